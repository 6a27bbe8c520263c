"""Counting characters, breaking lines and cutting long texts into cue-sized parts. Pure.

Counting follows the profile: every grapheme counts 1, or (ko, ja, zh) full-width characters 1 and
everything else 0.5. Tags, bidi marks and zero-width characters never count, nor do combining marks
(Arabic harakat, Thai tone marks and above/below vowels).

Breaking works on tokens that each carry their trailing white space, so joining tokens gives the
text back exactly; a line is its tokens joined, stripped at both ends.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Sequence

from pipeline.core.profiles import Profile
from pipeline.core.scripts import unwrap
from pipeline.tracks.breakrules import boundary_cost, kinsoku_merge, phrase_tokens, thai_tokens

_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_UNCOUNTED = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
# White space a line may break at. A no-break space (French "vivre\u00a0:") glues its neighbours.
_BREAKABLE_SPACE = re.compile(r"[ \t\n\r\f\v\u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+")
# Weights against breakrules' boundary costs: lines care more for balance than cues do.
_TOP_HEAVY_COST = 0.12
_LINE_BALANCE = 1.5
_CUE_BALANCE = 0.5


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
    return _counted(visible_text(text), profile.is_cjk_count)


@functools.lru_cache(maxsize=1 << 16)
def _counted(text: str, cjk: bool) -> float:
    return sum(char_width(ch, cjk) for ch in text)


def normalize_space(text: str) -> str:
    """Collapse runs of breakable white space to one space; keep no-break spaces.

    A line break is joined by script first (:func:`pipeline.core.scripts.unwrap`): no space
    appears between two lines of Japanese, Chinese or Thai.
    """
    return " ".join(_BREAKABLE_SPACE.split(unwrap(text).strip()))


def tokenize(text: str, profile: Profile) -> list[str]:
    """Split ``text`` into unbreakable tokens, each with its trailing space; ``"".join`` restores it."""
    text = normalize_space(text)
    if not text:
        return []
    if profile.breaking == "phrase":
        tokens = phrase_tokens(text, profile.tag)
    elif profile.breaking == "thai":
        tokens = thai_tokens(text)
    else:
        words = text.split(" ")
        tokens = [w + " " for w in words[:-1]] + [words[-1]]
    return _fit_tokens(_glue_spaces(kinsoku_merge(tokens) if profile.breaking == "phrase" else tokens), profile)


def _glue_spaces(tokens: list[str]) -> list[str]:
    """Attach white-space-only tokens to the token before them."""
    out: list[str] = []
    for tok in tokens:
        if out and not tok.strip():
            out[-1] += tok
        elif tok:
            out.append(tok)
    return out


def _fit_tokens(tokens: list[str], profile: Profile) -> list[str]:
    """Cut CJK phrases wider than a line into characters (kinsoku kept); words stay whole."""
    if profile.breaking != "phrase":
        return tokens
    out: list[str] = []
    for tok in tokens:
        if count_chars(tok, profile) > profile.max_line_chars:
            out.extend(kinsoku_merge(list(tok)))
        else:
            out.append(tok)
    return out


def join_line(tokens: Sequence[str]) -> str:
    """The line made of ``tokens``."""
    return "".join(tokens).strip()


class _Run:
    """A text's tokens with prefix sums of their counted widths: any line's width in O(1)."""

    def __init__(self, tokens: list[str], profile: Profile) -> None:
        self.tokens = tokens
        self.profile = profile
        self.prefix = [0.0]
        self.lead: list[float] = []
        self.trail: list[float] = []
        self.edges: list[float | None] = [None] * len(tokens)
        for tok in tokens:
            self.prefix.append(self.prefix[-1] + count_chars(tok, profile))
            self.lead.append(count_chars(tok[: len(tok) - len(tok.lstrip())], profile))
            self.trail.append(count_chars(tok[len(tok.rstrip()) :], profile))

    def width(self, i: int, j: int) -> float:
        """The counted width of the line ``tokens[i:j]`` (outer white space excluded)."""
        if j <= i:
            return 0.0
        return max(self.prefix[j] - self.prefix[i] - self.lead[i] - self.trail[j - 1], 0.0)

    def edge(self, k: int) -> float:
        """The cost of a break between ``tokens[k-1]`` and ``tokens[k]`` (computed once)."""
        cost = self.edges[k]
        if cost is None:
            cost = self.edges[k] = boundary_cost(self.tokens[k - 1], self.tokens[k], self.profile.tag)
        return cost

    def line(self, i: int, j: int) -> str:
        """The text of the line ``tokens[i:j]``."""
        return join_line(self.tokens[i:j])


def _split_cost(run: _Run, i: int, k: int, j: int) -> float:
    """The cost of breaking the line ``tokens[i:j]`` into ``[i:k]`` over ``[k:j]``."""
    top, bottom = run.width(i, k), run.width(k, j)
    total = run.width(i, j) or 1.0
    cost = _LINE_BALANCE * abs(top - bottom) / total + run.edge(k)
    return cost + (_TOP_HEAVY_COST if top > bottom else 0.0)


def _best_split(run: _Run, i: int, j: int, max_top: float | None) -> int | None:
    """The cheapest index in ``(i, j)`` to cut at (top line within ``max_top`` when given)."""
    best: tuple[float, int] | None = None
    for k in range(i + 1, j):
        if max_top is not None and run.width(i, k) > max_top:
            break
        cost = _split_cost(run, i, k, j)
        if best is None or cost < best[0]:
            best = (cost, k)
    return None if best is None else best[1]


def _lines(run: _Run, i: int, j: int, lines_left: int) -> list[int] | None:
    """Break points that fit ``tokens[i:j]`` in at most ``lines_left`` lines, or None if impossible."""
    limit = run.profile.max_line_chars
    if run.width(i, j) <= limit:
        return []
    if lines_left <= 1 or j - i < 2:
        return None
    best: tuple[float, list[int]] | None = None
    for k in range(i + 1, j):
        if run.width(i, k) > limit:
            break
        rest = _lines(run, k, j, lines_left - 1)
        if rest is None:
            continue
        cost = _split_cost(run, i, k, j) if not rest else run.edge(k)
        if best is None or cost < best[0]:
            best = (cost, [k, *rest])
    return None if best is None else best[1]


def _fits(run: _Run, i: int, j: int) -> bool:
    """Whether ``tokens[i:j]`` fits one cue: greedy filling needs the fewest lines."""
    limit, lines, start = run.profile.max_line_chars, 1, i
    for k in range(i + 1, j + 1):
        if run.width(start, k) > limit:
            if k - 1 == start:
                return False  # one token wider than a line
            lines, start = lines + 1, k - 1
            if lines > run.profile.max_lines:
                return False
    return True


def wrap_lines(text: str, profile: Profile) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines: one when it fits, else balanced, bottom-heavy.

    A text that cannot fit is still returned whole (never truncated), in as many lines as it needs;
    :func:`split_text` is what keeps parts small enough. A single word longer than a line stays whole.
    """
    run = _Run(tokenize(text, profile), profile)
    n = len(run.tokens)
    if not n:
        return []
    cuts = _lines(run, 0, n, profile.max_lines)
    if cuts is None:
        cuts = _overflow_cuts(run, 0, n)
    return [run.line(a, b) for a, b in itertools.pairwise([0, *cuts, n])]


def _overflow_cuts(run: _Run, i: int, j: int) -> list[int]:
    if j - i < 2 or run.width(i, j) <= run.profile.max_line_chars:
        return []
    k = _best_split(run, i, j, run.profile.max_line_chars) or _best_split(run, i, j, None) or i + 1
    return [*_overflow_cuts(run, i, k), k, *_overflow_cuts(run, k, j)]


def split_text(text: str, profile: Profile, min_parts: int = 1) -> list[str]:
    """Cut ``text`` into as few parts as fit one cue each, at sentence, then clause, then word limits.

    Among the cuts with the fewest parts (at least ``min_parts`` where the text has enough tokens,
    for a segment too long in time for one cue) the one with the best boundaries and the most even
    parts wins. Never drops or changes a word: the parts joined give the text back, spaces aside.
    """
    run = _Run(tokenize(text, profile), profile)
    n = len(run.tokens)
    if not n:
        return []
    reach = _reaches(run)
    parts = max(_fewest_parts(reach), min(min_parts, n))
    cuts = _best_cuts(run, reach, parts)
    return [run.line(a, b) for a, b in itertools.pairwise([0, *cuts, n])]


def _reaches(run: _Run) -> list[int]:
    """For each start, the largest end such that ``tokens[start:end]`` fits one cue (at least start+1).

    Monotone in the start (dropping a first token never needs more lines): two pointers.
    """
    n, out, end = len(run.tokens), [], 1
    for start in range(n):
        end = max(end, start + 1)
        while end < n and _fits(run, start, end + 1):
            end += 1
        out.append(end)
    return out


def _fewest_parts(reach: list[int]) -> int:
    count, pos = 0, 0
    while pos < len(reach):
        pos, count = reach[pos], count + 1
    return count


def _best_cuts(run: _Run, reach: list[int], parts: int) -> list[int]:
    """Dynamic programming over cut positions: exactly ``parts`` parts, cheapest boundaries."""
    n = len(run.tokens)
    total = run.width(0, n) or 1.0
    target = total / parts
    inf = float("inf")
    # best[k][j]: cost of cutting tokens[:j] into k parts; back[k][j]: where the last part starts.
    best = [[inf] * (n + 1) for _ in range(parts + 1)]
    back = [[0] * (n + 1) for _ in range(parts + 1)]
    best[0][0] = 0.0
    for k in range(1, parts + 1):
        for i in range(n):
            if best[k - 1][i] == inf:
                continue
            for j in range(i + 1, reach[i] + 1):
                edge = run.edge(j) if j < n else 0.0
                cost = best[k - 1][i] + edge + _CUE_BALANCE * abs(run.width(i, j) - target) / total
                if cost < best[k][j]:
                    best[k][j], back[k][j] = cost, i
    if best[parts][n] == inf:  # more parts asked than fitting parts allow: fall back to reach steps
        return _reach_cuts(reach)
    cuts, j = [], n
    for k in range(parts, 0, -1):
        j = back[k][j]
        cuts.append(j)
    return sorted(c for c in cuts if 0 < c < n)


def _reach_cuts(reach: list[int]) -> list[int]:
    cuts, pos = [], 0
    while reach[pos] < len(reach):
        pos = reach[pos]
        cuts.append(pos)
    return cuts
