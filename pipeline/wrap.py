"""Counting characters, breaking lines and cutting long texts into cue-sized parts. Pure.

Counting follows the profile: every grapheme counts 1, or (ko, ja, zh) full-width characters 1 and
everything else 0.5. Tags, bidi marks and zero-width characters never count, nor do combining marks
(Arabic harakat, Vietnamese marks written as combining characters).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

import budoux

from pipeline.profiles import Profile

_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_UNCOUNTED = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_BREAKABLE_SPACE = re.compile(r"[ \t\n\r\f\v\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+")
_SENTENCE_END = tuple(".!?。！？…؟")
_CLAUSE_END = tuple(",;:、，；：،؛—")

# Words a line should not end with (Netflix/BBC: keep article + noun, preposition + phrase,
# conjunction + clause together). Compared in lower case.
NO_BREAK_AFTER: dict[str, frozenset[str]] = {
    "en": frozenset(
        [
            "a",
            "an",
            "the",
            "of",
            "to",
            "in",
            "on",
            "at",
            "by",
            "for",
            "from",
            "with",
            "into",
            "onto",
            "and",
            "or",
            "but",
            "nor",
            "as",
            "than",
            "that",
            "which",
            "who",
            "whose",
            "our",
            "your",
            "their",
            "his",
            "her",
            "its",
            "my",
            "this",
            "these",
            "those",
            "mr.",
            "mrs.",
            "ms.",
            "dr.",
            "is",
            "are",
            "was",
            "were",
            "be",
            "has",
            "have",
            "had",
            "will",
            "can",
            "not",
        ]
    ),
    "es": frozenset(
        [
            "el",
            "la",
            "los",
            "las",
            "un",
            "una",
            "unos",
            "unas",
            "de",
            "del",
            "a",
            "al",
            "en",
            "con",
            "por",
            "para",
            "y",
            "o",
            "que",
            "su",
            "sus",
            "se",
            "no",
        ]
    ),
    "fr": frozenset(
        [
            "le",
            "la",
            "les",
            "l'",
            "un",
            "une",
            "des",
            "de",
            "du",
            "d'",
            "à",
            "au",
            "aux",
            "en",
            "et",
            "ou",
            "que",
            "qui",
            "son",
            "sa",
            "ses",
            "leur",
            "leurs",
            "ne",
        ]
    ),
    "de": frozenset(
        [
            "der",
            "die",
            "das",
            "den",
            "dem",
            "des",
            "ein",
            "eine",
            "einen",
            "einem",
            "einer",
            "und",
            "oder",
            "zu",
            "von",
            "mit",
            "in",
            "im",
            "an",
            "auf",
            "für",
        ]
    ),
    "pt": frozenset(
        [
            "o",
            "a",
            "os",
            "as",
            "um",
            "uma",
            "de",
            "do",
            "da",
            "dos",
            "das",
            "em",
            "no",
            "na",
            "com",
            "por",
            "para",
            "e",
            "ou",
            "que",
        ]
    ),
    "ru": frozenset(
        [
            "в",
            "во",
            "на",
            "с",
            "со",
            "к",
            "ко",
            "по",
            "о",
            "об",
            "от",
            "до",
            "из",
            "за",
            "для",
            "и",
            "а",
            "но",
            "не",
            "что",
        ]
    ),
    "vi": frozenset(["các", "những", "một", "của", "và", "với", "cho", "trong", "để", "là", "được"]),
    "id": frozenset(["di", "ke", "dari", "dan", "atau", "yang", "untuk", "dengan", "pada", "para", "sebuah"]),
}


def visible_text(text: str) -> str:
    """``text`` without HTML/ASS tags."""
    return _TAG.sub("", text)


def char_width(ch: str, cjk_count: bool) -> float:
    """How much one character counts toward line length and reading speed."""
    if ch in _UNCOUNTED or unicodedata.category(ch) in ("Mn", "Me", "Cc", "Cf"):
        return 0.0
    if not cjk_count:
        return 1.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.5


def count_chars(text: str, profile: Profile) -> float:
    """The counted length of ``text`` (tags excluded) under ``profile``'s rule."""
    cjk = profile.is_cjk_count
    return sum(char_width(ch, cjk) for ch in visible_text(text))


@functools.lru_cache(maxsize=4)
def _budoux_parser(tag: str) -> budoux.Parser:
    if tag == "ja":
        return budoux.load_default_japanese_parser()
    if tag == "zh-Hant":
        return budoux.load_default_traditional_chinese_parser()
    return budoux.load_default_simplified_chinese_parser()


def tokenize(text: str, profile: Profile) -> tuple[list[str], str]:
    """Split ``text`` into unbreakable tokens and return them with the string that joins them."""
    # Collapse breakable white space only: a no-break space (French "vivre\u00a0:") glues its neighbours.
    text = " ".join(_BREAKABLE_SPACE.split(text.strip()))
    if profile.breaking == "phrase":
        return [t for t in _budoux_parser(profile.tag).parse(text) if t], ""
    return text.split(" ") if text else [], " "


def _boundary_cost(left: str, profile: Profile) -> float:
    """How bad it is to end a line (or a cue) right after the token ``left``."""
    stripped = left.rstrip()
    if stripped.endswith(_SENTENCE_END):
        return 0.0
    if stripped.endswith(_CLAUSE_END):
        return 0.15
    words = NO_BREAK_AFTER.get(profile.tag.split("-")[0], frozenset())
    return 0.6 if stripped.lower() in words else 0.35


def _best_split(tokens: Sequence[str], joiner: str, profile: Profile, ok: Callable[[str, str], bool]) -> int | None:
    """The index to split ``tokens`` at, cheapest first; None when no split satisfies ``ok``."""
    best: tuple[float, int] | None = None
    total = count_chars(joiner.join(tokens), profile) or 1.0
    for i in range(1, len(tokens)):
        top, bottom = joiner.join(tokens[:i]), joiner.join(tokens[i:])
        if not ok(top, bottom):
            continue
        w_top, w_bottom = count_chars(top, profile), count_chars(bottom, profile)
        cost = abs(w_top - w_bottom) / total + _boundary_cost(tokens[i - 1], profile)
        if w_top > w_bottom:
            cost += 0.05  # bottom-heavy: prefer the longer line below
        if best is None or cost < best[0]:
            best = (cost, i)
    return None if best is None else best[1]


def _char_tokens(tokens: list[str], profile: Profile) -> list[str]:
    """Break tokens that are wider than a line into characters (CJK phrases only)."""
    if profile.breaking != "phrase":
        return tokens
    out: list[str] = []
    for tok in tokens:
        out.extend(list(tok) if count_chars(tok, profile) > profile.max_line_chars else [tok])
    return out


def wrap_lines(text: str, profile: Profile) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines: one when it fits, else balanced lines.

    A text that does not fit in the allowed lines is still returned whole (never truncated),
    in as many balanced lines as it needs; :func:`split_text` is what keeps parts small enough.
    """
    tokens, joiner = tokenize(text, profile)
    tokens = _char_tokens(tokens, profile)
    limit = profile.max_line_chars
    whole = joiner.join(tokens)
    if count_chars(whole, profile) <= limit or len(tokens) < 2:
        return [whole] if whole else []

    def fits(top: str, bottom: str) -> bool:
        return count_chars(top, profile) <= limit and count_chars(bottom, profile) <= limit

    cut = _best_split(tokens, joiner, profile, fits) if profile.max_lines >= 2 else None
    if cut is None:
        cut = _best_split(tokens, joiner, profile, lambda _t, _b: True)
        assert cut is not None  # two or more tokens always give a split
        return wrap_lines(joiner.join(tokens[:cut]), profile) + wrap_lines(joiner.join(tokens[cut:]), profile)
    return [joiner.join(tokens[:cut]), joiner.join(tokens[cut:])]


def fits_in_cue(text: str, profile: Profile) -> bool:
    """Whether ``text`` can be shown in one cue within the line limits."""
    lines = wrap_lines(text, profile)
    return len(lines) <= profile.max_lines and all(
        count_chars(line, profile) <= profile.max_line_chars for line in lines
    )


def split_text(text: str, profile: Profile) -> list[str]:
    """Cut ``text`` into parts that each fit one cue, at sentence, then clause, then word limits.

    Never drops or changes a word: joining the parts with the language's joiner gives the text back.
    """
    tokens, joiner = tokenize(text, profile)
    tokens = _char_tokens(tokens, profile)
    whole = joiner.join(tokens)
    if len(tokens) < 2 or fits_in_cue(whole, profile):
        return [whole] if whole else []
    cut = _best_split(tokens, joiner, profile, lambda _t, _b: True)
    assert cut is not None
    return split_text(joiner.join(tokens[:cut]), profile) + split_text(joiner.join(tokens[cut:]), profile)
