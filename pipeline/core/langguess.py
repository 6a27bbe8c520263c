"""A file's language from the script of its letters, where only one profile's language writes it.

Hangul is Korean and kana is Japanese; Thai script is Thai. Han characters alone are Chinese or
Japanese (or Korean hanja), Latin letters any of a dozen languages: those are not guessed. A script
that a single profile writes (Arabic: ar, Cyrillic: ru, Devanagari: hi, as the profiles stand) is
taken as that language, and the guess says so, since Persian, Urdu, Ukrainian or Marathi share it.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The first word of a letter's Unicode name -> its ISO 15924 script.
_SCRIPT_OF_NAME = {
    "LATIN": "Latn",
    "HANGUL": "Hang",
    "HIRAGANA": "Kana",
    "KATAKANA": "Kana",
    "CJK": "Hani",
    "THAI": "Thai",
    "ARABIC": "Arab",
    "DEVANAGARI": "Deva",
    "CYRILLIC": "Cyrl",
    "HEBREW": "Hebr",
    "GREEK": "Grek",
}
# A profile's script -> the scripts its text is written in (any other: the script itself).
_PARTS = {
    "Kore": frozenset({"Hang", "Hani"}),
    "Jpan": frozenset({"Kana", "Hani"}),
    "Hans": frozenset({"Hani"}),
    "Hant": frozenset({"Hani"}),
}
SCRIPT_NAMES = {  # in words (others, such as Thai, are their own code)
    "Latn": "Latin",
    "Hang": "Hangul",
    "Kana": "kana",
    "Hani": "Han",
    "Arab": "Arabic",
    "Deva": "Devanagari",
    "Cyrl": "Cyrillic",
    "Hebr": "Hebrew",
    "Grek": "Greek",
}
# A script with less than this share of the letters is a borrowing (a name, a quoted word).
_MIN_SHARE = 0.05


@dataclass(frozen=True)
class LanguageGuess:
    """The language the letters say (``tag``, None when they do not), and why, in words."""

    tag: str | None
    reason: str


def letter_scripts(texts: Iterable[str]) -> Counter[str]:
    """How many letters of each script ``texts`` hold (``Hang``, ``Kana``, ``Hani``, ``Latn``...)."""
    counts: Counter[str] = Counter()
    for text in texts:
        for ch in text:
            if unicodedata.category(ch).startswith("L"):
                first = unicodedata.name(ch, "UNKNOWN").split(" ")[0]
                counts[_SCRIPT_OF_NAME.get(first, first.title())] += 1
    return counts


def _named(scripts: Iterable[str]) -> str:
    return " and ".join(SCRIPT_NAMES.get(s, s) for s in sorted(scripts))


def guess_language(texts: Iterable[str], profile_scripts: Mapping[str, str]) -> LanguageGuess:
    """The one language of ``profile_scripts`` (tag -> its profile's script) that writes ``texts``' letters.

    Latin letters beside another script are ignored (names and brands appear in any language).
    """
    counts = letter_scripts(texts)
    total = sum(counts.values())
    if not total:
        return LanguageGuess(None, "it has no letters")
    main = {s for s, n in counts.items() if n >= _MIN_SHARE * total}
    if len(main) > 1:
        main.discard("Latn")
    writers = sorted(t for t, s in profile_scripts.items() if main <= _PARTS.get(s, frozenset({s})))
    letters = f"its letters are {_named(main)} script"
    if len(writers) == 1:
        return LanguageGuess(writers[0], f"{letters}, which no other language profile writes")
    if writers:
        return LanguageGuess(None, f"{letters}, which {', '.join(writers[:-1])} and {writers[-1]} all write")
    return LanguageGuess(None, f"{letters}, which no language profile writes")
