"""Language tags as people write them: spelling, case, names, and which profile a regional tag takes.

A tag is compared without regard to case (``EN`` is ``en``, ``ZH-hant`` is ``zh-Hant``) and kept
whole in outputs: ``zh-TW`` names its files ``<stem>.zh-TW.srt`` and its MKV tracks ``zh-TW``,
while the rules come from the profile that BCP 47 matching gives it (CLDR's language distance, as
``langcodes`` computes it): ``zh-TW``, ``zh-HK`` -> ``zh-Hant``, ``zh-CN`` -> ``zh-Hans``, ``en-US``
-> ``en``. A match must keep the language and the script: ``zh-Latn`` (pinyin) is not judged as
Chinese characters, and Catalan is not Spanish.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence

import langcodes

from pipeline.core.errors import UsageError

logger = logging.getLogger(__name__)

# A match farther than this is no match (CLDR: 4-5 between regions of one language, 10+ across languages).
_MAX_DISTANCE = 10
# Language names people type where a tag belongs, in English (the profiles add their own names).
ENGLISH_NAMES: Mapping[str, str] = {
    "english": "en",
    "korean": "ko",
    "japanese": "ja",
    "chinese": "zh-Hans or zh-Hant",
    "mandarin": "zh-Hans or zh-Hant",
    "simplified chinese": "zh-Hans",
    "traditional chinese": "zh-Hant",
    "cantonese": "yue",
    "arabic": "ar",
    "spanish": "es",
    "french": "fr",
    "german": "de",
    "portuguese": "pt",
    "brazilian portuguese": "pt-BR",
    "brazilian": "pt-BR",
    "russian": "ru",
    "vietnamese": "vi",
    "indonesian": "id",
    "thai": "th",
    "hindi": "hi",
    "italian": "it",
    "dutch": "nl",
    "turkish": "tr",
    "polish": "pl",
    "persian": "fa",
    "farsi": "fa",
    "urdu": "ur",
    "hebrew": "he",
    "greek": "el",
    "swedish": "sv",
    "ukrainian": "uk",
}
_noted: set[str] = set()


def parse_tag(raw: str, names: Mapping[str, str] = ENGLISH_NAMES) -> str:
    """``raw`` as a well-formed BCP 47 tag in its standard case (``zh-hant-tw`` -> ``zh-Hant-TW``).

    The tag is kept as given otherwise: a deprecated or alternate tag (``tl``, ``iw``, ``zh-yue``)
    stays what the user (and the transcript's column) calls the language; :func:`standard_tag` gives
    the form it stands for (``fil``, ``he``, ``yue``), for looking up its profile.

    ``zh_TW`` is read as ``zh-TW``, with a note in the log (once per spelling). ``names`` maps a
    lower-case language name to its tag, for the suggestion when a name is given instead of a tag.

    Raises:
        UsageError: when ``raw`` is not a language tag (a name such as ``english`` suggests ``en``).
    """
    text = raw.strip()
    spelled = text.replace("_", "-")
    if not spelled or not langcodes.tag_is_valid(spelled):
        raise UsageError(_not_a_tag(raw, names))
    tag = _cased(spelled)
    if spelled != text and raw not in _noted:
        _noted.add(raw)
        logger.warning("language tag %r read as %r (BCP 47 joins subtags with '-')", raw, tag)
    return tag


def _cased(tag: str) -> str:
    """``tag`` in the case BCP 47 recommends: ``en-us`` -> ``en-US``, ``zh-hant`` -> ``zh-Hant``,
    ``en-a-bbb`` and ``x-foo`` lower (after a singleton, extension and private subtags)."""
    out: list[str] = []
    for i, sub in enumerate(tag.split("-")):
        if i == 0 or len(out[-1]) == 1 or any(len(s) == 1 for s in out):
            out.append(sub.lower())
        elif len(sub) == 2:
            out.append(sub.upper())
        else:
            out.append(sub.title() if len(sub) == 4 else sub.lower())
    return "-".join(out)


def standard_tag(tag: str) -> str:
    """The standard form of a well-formed tag (``tl`` -> ``fil``, ``iw`` -> ``he``, ``zh-yue`` -> ``yue``)."""
    return str(langcodes.standardize_tag(tag))


def suggestion(word: str, names: Mapping[str, str] = ENGLISH_NAMES) -> str | None:
    """The tag (or ``a or b``) that ``word``, a language's name, stands for (``French`` -> ``fr``), None if none."""
    key = " ".join(word.replace("_", " ").replace("-", " ").split()).lower()
    close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.75)
    name = key if key in names else next(iter(close), None)
    return names[name] if name is not None else None


def _not_a_tag(raw: str, names: Mapping[str, str]) -> str:
    hint = suggestion(raw, names)
    if hint:
        quoted = " or ".join(repr(t) for t in hint.split(" or "))
        return f"{raw!r} is not a BCP 47 language tag: did you mean {quoted}?"
    return f"not a valid BCP 47 language tag: {raw!r} (a tag looks like en, pt-BR, zh-Hant)"


def tag_key(tag: str) -> str:
    """``tag`` as tags are compared: case and ``_``/``-`` aside (``zh_TW`` and ``ZH-tw`` are ``zh-tw``)."""
    return tag.replace("_", "-").lower()


def same_tag(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one tag, case and ``_``/``-`` aside (``EN`` is ``en``)."""
    return tag_key(a) == tag_key(b)


def find_key(tag: str, keys: Sequence[str]) -> str | None:
    """The key of ``keys`` (profile tables) whose rules apply to ``tag``; None when none is close.

    The key spelled like the tag wins; else the closest by BCP 47 matching that has the same
    language and script. Put a language's own table before its regional ones (``pt`` before
    ``pt-BR``): on a tie the earlier key wins (``pt-PT`` -> ``pt``).
    """
    exact = next((k for k in keys if same_tag(k, tag)), None)
    if exact is not None:
        return exact
    try:
        match = langcodes.closest_supported_match(tag, list(keys), max_distance=_MAX_DISTANCE)
    except (LookupError, ValueError):
        return None
    return match if match is not None and _same_language_and_script(tag, match) else None


def _same_language_and_script(a: str, b: str) -> bool:
    la, lb = (langcodes.Language.get(langcodes.standardize_tag(t, macro=True)).maximize() for t in (a, b))
    return (la.language, la.script) == (lb.language, lb.script)


def fallbacks(tag: str) -> list[str]:
    """The tables that serve ``tag``, most specific first: the tag, its BCP 47 lookup truncations, and
    its language with its region and (likely) script: ``zh-TW`` -> ``zh-TW``, ``zh-Hant-TW``,
    ``zh-Hant``, ``zh``; ``pt-BR`` -> ``pt-BR``, ``pt-Latn-BR``, ``pt-Latn``, ``pt``; ``tl`` -> ``tl``,
    ``fil-Latn``, ``fil``. Compared as :func:`same_tag` compares tags."""
    subtags = tag.replace("_", "-").split("-")
    cut = ["-".join(subtags[:n]) for n in range(len(subtags), 1, -1) if len(subtags[n - 1]) > 1]
    chain = [tag.replace("_", "-"), *cut]
    try:
        parsed = langcodes.Language.get(chain[0])
        script = parsed.script or parsed.maximize().script
    except (LookupError, ValueError):
        parsed, script = None, None
    if parsed is not None and parsed.language and "-" not in parsed.language:
        lang, region = parsed.language, parsed.territory
        chain += [f"{lang}-{script}-{region}"] if region and script else []
        chain += [f"{lang}-{region}"] if region else []
        chain += [f"{lang}-{script}"] if script else []
        chain.append(lang)
    chain += [subtags[0]] if len(subtags[0]) > 1 else []  # x-foo: no x
    seen: dict[str, str] = {}
    for key in chain:
        seen.setdefault(key.lower(), key)
    return list(seen.values())


def tables_for(tag: str, tables: Mapping[str, object]) -> list[str]:
    """The keys of ``tables`` (per-language tables) that serve ``tag``, least specific first: merge
    them in this order and the most specific wins, field by field."""
    chain = [tag_key(t) for t in fallbacks(tag)]
    keys = [k for k in tables if tag_key(k) in chain]
    return sorted(keys, key=lambda k: -chain.index(tag_key(k)))


def merged_table(tag: str, tables: Mapping[str, object]) -> dict[str, object]:
    """The per-language tables of ``tables`` that serve ``tag`` (:func:`tables_for`), merged field by field."""
    merged: dict[str, object] = {}
    for key in tables_for(tag, tables):
        value = tables[key]
        merged.update(value if isinstance(value, Mapping) else {})
    return merged


def two_letter(code: str) -> str | None:
    """The 2-letter ISO 639-1 code a language code stands for (``eng`` -> ``en``, ``ger`` -> ``de``,
    ``zho`` -> ``zh``, ``fr`` -> ``fr``), None when it has none (``new``, ``sdh``)."""
    try:
        language = langcodes.Language.get(code).language
    except (LookupError, ValueError):
        return None
    return language if language is not None and len(language) == 2 and language.isalpha() else None


def has_region(tag: str) -> bool:
    """Whether ``tag`` names a region (``pt-BR``, ``zh-Hant-TW``, ``es-419``)."""
    return langcodes.Language.get(tag).territory is not None


def iso639_2b(tag: str) -> str:
    """The 3-letter ISO 639-2/B code of a tag (``fr`` -> ``fre``, ``zh-TW`` -> ``chi``), ``und`` when unknown."""
    try:
        return str(langcodes.Language.get(tag).to_alpha3(variant="B"))
    except (LookupError, ValueError):
        return "und"
