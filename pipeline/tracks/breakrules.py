"""Where a line may break, per language: no-break word lists, kinsoku, phrase and word segmentation.

Netflix and the BBC agree: break after punctuation and before conjunctions and prepositions; never
between article and noun, preposition and its phrase, pronoun and verb, verb and negation, first and
last name. Japanese and Chinese break between phrases (BudouX) with kinsoku shori (JIS X 4051):
no line starts with closing punctuation, a small kana or a prolonged sound mark, none ends with an
opening bracket. Thai has no spaces between words: PyThaiNLP's dictionary segmentation finds them.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

import budoux
import langcodes

from pipeline.core.errors import UsageError

# Costs of ending a line or cue: after a sentence 0, after a clause, after any other word.
CLAUSE_COST = 0.3
WORD_COST = 1.0
_SENTENCE_END = tuple(".!?。！？…؟")
_CLAUSE_END = tuple(",;:、，；：،؛—–")


def _load_word_lists() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    text = resources.files("pipeline.tracks").joinpath("nobreak.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    after = {lang: frozenset(str(v.get("after", "")).split()) for lang, v in table.items()}
    before = {lang: frozenset(str(v.get("before", "")).split()) for lang, v in table.items()}
    return after, before


# Words a line should not end with, and words it should not start with (negations), per language.
NO_BREAK_AFTER, NO_BREAK_BEFORE = _load_word_lists()

KINSOKU_NO_START = frozenset(
    ")]｝〕〉》」』】’”!?！？・:;：；。.、，,)）ー々ヽヾゝゞぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ〆"
)
KINSOKU_NO_END = frozenset("([｛〔〈《「『【“‘（［$£¥＄￡￥")


def _base(tag: str) -> str:
    return tag.split("-")[0].lower()


def _word(token: str) -> str:
    return token.strip().lower()


def boundary_cost(left: str, right: str, tag: str) -> float:
    """How bad it is to end a line (or a cue) after ``left`` when ``right`` comes next. 0 is best."""
    last = left.rstrip()
    if last.endswith(_SENTENCE_END):
        return 0.0
    if last.endswith(_CLAUSE_END):
        return CLAUSE_COST
    base = _base(tag)
    cost = WORD_COST
    if _word(left) in NO_BREAK_AFTER.get(base, frozenset()):
        cost += 0.8
    elif _word(right).strip(",.;:") in NO_BREAK_AFTER.get(base, frozenset()):
        cost -= 0.2  # before a conjunction or preposition: a good place
    if _word(right).strip(",.;:") in NO_BREAK_BEFORE.get(base, frozenset()):
        cost += 0.7
    if _is_name_part(last) and _is_name_part(right.strip()):
        cost += 0.5  # "Minwon 24", "Korea Customs": keep capitalised runs together
    return cost


def _is_name_part(word: str) -> bool:
    return bool(word) and (word[0].isupper() or word[0].isdigit()) and word.isalnum()


def kinsoku_merge(tokens: list[str]) -> list[str]:
    """Glue tokens so that none starts with a no-start character and none ends with a no-end one."""
    out: list[str] = []
    for tok in tokens:
        if out and (tok.strip()[:1] in KINSOKU_NO_START or out[-1].rstrip()[-1:] in KINSOKU_NO_END):
            out[-1] += tok
        else:
            out.append(tok)
    return out


@functools.lru_cache(maxsize=4)
def _budoux_parser(model: str) -> budoux.Parser:
    if model == "ja":
        return budoux.load_default_japanese_parser()
    if model == "Hant":
        return budoux.load_default_traditional_chinese_parser()
    return budoux.load_default_simplified_chinese_parser()


@functools.lru_cache(maxsize=64)
def _budoux_model(tag: str) -> str:
    """Which BudouX model reads ``tag``'s text: ja, or Chinese by its script (``zh-TW``, ``zh-HK`` -> Hant)."""
    lang = langcodes.Language.get(tag).maximize()
    return "ja" if lang.language == "ja" else "Hant" if lang.script == "Hant" else "Hans"


def phrase_tokens(text: str, tag: str) -> list[str]:
    """BudouX phrases of a Japanese or Chinese text (spaces stay attached to their phrase)."""
    return [t for t in _budoux_parser(_budoux_model(tag)).parse(text) if t]


def thai_tokens(text: str) -> list[str]:
    """Thai words by dictionary (PyThaiNLP newmm), spaces attached to the word before them.

    Raises:
        UsageError: when PyThaiNLP (the ``thai`` extra) is not installed.
    """
    try:
        from pythainlp.tokenize import word_tokenize
    except ImportError:
        raise UsageError("Thai line breaking needs PyThaiNLP: pip install 'subpipe[thai]'") from None
    out: list[str] = []
    for word in word_tokenize(text, engine="newmm", keep_whitespace=True):
        if word.isspace() and out:
            out[-1] += word
        elif word:
            out.append(word)
    return out
