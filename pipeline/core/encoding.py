"""Guessing the legacy encoding of a subtitle file that is not UTF-8, informed by its language.

Candidates come from the language first (``talk.ko.srt`` -> cp949); each one that decodes the file is scored by
plausibility: letters of the language's alphabet or script count for it; controls, unassigned characters, foreign
letters, symbols, mixed scripts in a word, odd case, letter densities and frequencies, rare CJK characters against.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

_LATIN: dict[str, str] = {  # the non-ASCII letters of each language written in Latin script
    "en": "", "fr": "àâæçéèêëîïôœùûüÿ", "de": "äöüß", "es": "áéíñóúü", "pt": "àáâãçéêíóôõú", "it": "àèéìíîòóù",
    "nl": "áéèëïóöü", "sv": "åäöé", "da": "æøåé", "no": "æøåéô", "fi": "äöåšž", "id": "é", "ca": "àçèéíïòóúü",
    "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž", "hr": "čćđšž", "sl": "čćđšž",
    "hu": "áéíóöőúüű", "ro": "ăâîşţșț", "tr": "âçğıîöşûüİ", "lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "et": "äõöüšž",
}  # fmt: skip
_CYR = "".join(map(chr, range(0x430, 0x450)))
_VI_TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # cp1258 stores them as combining marks
_LETTERS = {
    **_LATIN,
    "vi": "đ" + "".join(_VI_TONES)
    + "".join(unicodedata.normalize("NFC", vowel + tone) for vowel in "aăâeêioôơuưy" for tone in _VI_TONES),
    "ru": _CYR + "\u0451", "uk": re.sub("[\u044a\u044b\u044d]", "", _CYR) + "\u0456\u0457\u0454\u0491",
    "bg": re.sub("[\u044b\u044d]", "", _CYR), "el": "".join(map(chr, range(0x3AC, 0x3CF))) + "\u0390",
    "sr": re.sub("[\u0439\u0449-\u044f]", "", _CYR) + "\u0452\u0458\u0459\u045a\u045b\u045f" + "čćđšž",
}  # fmt: skip
_ALPHABETS = {lang: frozenset(letters + letters.upper()) for lang, letters in _LETTERS.items()}
_RANGES = {"he": (0x0590, 0x05FF), "ar": (0x0600, 0x06FF), "fa": (0x0600, 0x06FF), "th": (0x0E01, 0x0E4F)}
_ENCODINGS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("en", "fr", "de", "es", "pt", "it", "nl", "sv", "da", "no", "fi", "id", "ca"), ("cp1252",)),
    **dict.fromkeys(("pl", "cs", "sk", "hr", "sl", "hu", "ro"), ("cp1250",)),
    "ru": ("cp1251", "koi8_r"), "uk": ("cp1251", "koi8_u"), "bg": ("cp1251",), "sr": ("cp1251", "cp1250"),
    "el": ("cp1253",), "tr": ("cp1254",), "he": ("cp1255",), "ar": ("cp1256",), "fa": ("cp1256",), "vi": ("cp1258",),
    "th": ("cp874",), "zh-Hans": ("gb18030",), "zh-Hant": ("big5", "cp950"), "ko": ("cp949", "euc_kr"),
    "ja": ("cp932", "shift_jis", "euc_jp"), "lt": ("cp1257",), "lv": ("cp1257",), "et": ("cp1257",),
}  # fmt: skip
_NAMES = {  # candidates without a language, in order of preference when equally plausible: multi-byte first
    "gb18030": "Simplified Chinese", "big5": "Traditional Chinese", "cp950": "Traditional Chinese",
    "cp949": "Korean", "euc_kr": "Korean", "cp932": "Japanese", "shift_jis": "Japanese", "euc_jp": "Japanese",
    "cp1252": "Western European", "cp1250": "Central European", "cp1251": "Cyrillic", "koi8_r": "Russian, KOI8-R",
    "koi8_u": "Ukrainian, KOI8-U", "cp1253": "Greek", "cp1254": "Turkish", "cp1255": "Hebrew", "cp1256": "Arabic",
    "cp1257": "Baltic", "cp1258": "Vietnamese", "cp874": "Thai",
}  # fmt: skip
_FREQUENT = {  # the ten most frequent letters (over 60 % of text) and rare ones (under 8 %)
    "ru": ("оеаинтсрвл", "йхжшюцщэфъё"), "uk": ("оанивітерс", "хцїжшйюєщфґ"), "bg": ("аоеинтрсвл", "жцщхшюйф"),
    "sr": ("аиоенсртјв", "цћњжхљђџф"), "el": ("αοιετσςνηρ", "ζψξβφθχϊΰ"),
}  # fmt: skip
_COMMON_HAN = {  # the hundred most frequent characters: about 40 % of Chinese text, 2 % of random ones
    "zh-Hans": "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生"
    "会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从",
    "zh-Hant": "的一是不了人我在有他這中大來上國個到說們為子和你地出道也時年得就那要下以生"
    "會自著去之過家學對可她裡後小麼心多天而能好都然沒日於起還發成事只作當想看文無開手十用主行方又如前所本見經頭面公同三已老從",
}
_CJK_COMMON = {"ko": ("euc_kr", b"\xc9"), "ja": ("cp932", b"\x98\x73"), "zh-Hans": ("gb2312", b"\xf8"),
               "zh-Hant": ("big5", b"\xc6\xa1")}  # fmt: skip  # the frequent subset: level 1, KS X 1001
_NEUTRAL = frozenset("\xa0«»„“”\u2018\u2019\u201a\u2039\u203a\u2013—…·•°€£¥©®™\xd7§¿¡\u200c\u200d\u200e\u200f")
_HINT_DISCOUNT = 0.6  # an encoding the language does not suggest must be clearly more plausible
_MIN_SCORE = 0.3
_ALPHABET_FIT = 0.95  # letters of the hinted language's alphabet only: its encoding, whatever the densities
_SAMPLE_BYTES = 4096
_WORD, _MARKUP = re.compile(r"[^\W\d_]+"), re.compile(r"<[^>]*>|\{[^}]*\}")  # letters; tags
_THAI_MISPLACED = re.compile(  # a vowel sign or tone mark without its consonant, a leading vowel without one
    "(?<![\u0e01-\u0e2e])[\u0e31\u0e34-\u0e3a\u0e47]|(?<![\u0e01-\u0e2e\u0e31\u0e34-\u0e39])[\u0e48-\u0e4e]|[\u0e40-\u0e44](?![\u0e01-\u0e2e])"
)
_STRAY_MARK = re.compile(r"(?<![^\W\d_])[\u0300-\u036f]")  # a combining accent that follows no letter
_CJK_SPACED = re.compile(r"(?<=[\u3040-\u30ff\u4e00-\u9fff]) (?=[\u3040-\u30ff\u4e00-\u9fff])")


@dataclass(frozen=True)
class EncodingGuess:
    """A guessed encoding: its plausibility (0-1), the language its text looks like, and other candidates."""

    encoding: str
    score: float
    language_hint: str | None
    alternatives: tuple[str, ...]


@dataclass(frozen=True)
class _Features:
    """What the scoring needs from one decoded sample, computed once for all languages."""

    chars: tuple[tuple[str, int], ...]  # non-ASCII characters and their counts
    letters: int
    ascii_letters: int
    upper: int  # upper-case non-ASCII letters
    shape: float  # words mixing scripts or with an implausible case pattern, misplaced Thai marks
    cjk_spaced: int  # spaces between two CJK characters


def normalize_language(tag: str | None) -> str | None:
    """The key of a BCP 47 tag in the language table (``zh-TW`` -> ``zh-Hant``), or None if unknown."""
    parts = re.split(r"[-_]", (tag or "").strip().lower())
    if parts[0] in ("zh", "cmn", "yue"):
        return "zh-Hant" if parts[0] == "yue" or {"hant", "tw", "hk", "mo"} & set(parts[1:]) else "zh-Hans"
    primary = {"nb": "no", "nn": "no", "iw": "he"}.get(parts[0], parts[0])
    return primary if primary in _ENCODINGS else None


def _cjk_value(ch: str, lang: str) -> float:
    """Evidence from one character for a CJK language: frequent characters of its script for, others against."""
    cp = ord(ch)
    han = 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
    if (lang == "ja" and 0x3040 <= cp <= 0x30FF) or (lang == "ko" and 0x3130 <= cp <= 0x318F):
        return 1.0 if lang == "ja" else 0.0  # kana; Korean jamo alone (ㅋㅋ) are neutral
    if not (0xAC00 <= cp <= 0xD7A3 if lang == "ko" else han):
        return -0.5 if han else -1.5  # Hanja in Korean text are rare; other scripts are foreign
    codec, limit = _CJK_COMMON[lang]
    raw = ch.encode(codec, "replace")  # one byte when not encodable; 8 bytes for a composed Hangul syllable
    return 1.0 if len(raw) == 2 and raw < limit else (0.0 if lang in ("ja", "zh-Hant") else -1.0)


@lru_cache(maxsize=65536)
def _char_value(ch: str, lang: str) -> float:
    """Evidence from one non-ASCII character: > 0 for the language, < 0 against, 0 neutral."""
    cp = ord(ch)
    category = unicodedata.category(ch)
    if ch in _NEUTRAL or category == "Zs" or 0x3000 <= cp <= 0x303F or 0xFF01 <= cp <= 0xFF5E or 0xE50 <= cp <= 0xE59:
        return 0.0  # punctuation, spaces, Thai digits
    if category in ("Cc", "Cn", "Co", "Cs") or ch in "\u0e03\u0e05":  # controls, unassigned, obsolete Thai
        return -3.0
    if lang in _CJK_COMMON:
        return _cjk_value(ch, lang)
    low, high = _RANGES.get(lang, (1, 0))
    if ch in _ALPHABETS.get(lang, ()) or low <= cp <= high:
        return 1.0
    return -1.5 if category[0] in "LM" else -1.0


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name (kana and ideographs together)."""
    words = unicodedata.name(ch, "?").split()
    first = words[1] if words[0] in ("FULLWIDTH", "HALFWIDTH") and len(words) > 1 else words[0]
    return "CJK" if first.startswith(("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC")) else first


def _shape_penalty(text: str, thai: bool) -> float:
    """Words whose letters mix scripts or whose case goes from lower to upper (``xYZ``); misplaced Thai marks."""
    penalty = 2.0 * len(_THAI_MISPLACED.findall(text) if thai else ()) + 2.0 * len(_STRAY_MARK.findall(text))
    for word, n in Counter(_WORD.findall(text)).items():
        if not word.isascii():
            penalty += 2.0 * n * (len({_script(c) for c in set(word)}) - 1)
            if word != word.swapcase() and not (word.islower() or word.isupper() or word.istitle()):
                penalty += n
    return penalty


def _features(text: str) -> _Features:
    """Counts and penalties of one decoded sample, independent of the language."""
    counts = Counter(text)
    chars = tuple((c, n) for c, n in counts.items() if ord(c) > 0x7F)
    letters = sum(n for c, n in counts.items() if c.isalpha())
    ascii_letters = sum(n for c, n in counts.items() if c.isascii() and c.isalpha())
    upper = sum(n for c, n in chars if c.isupper())
    shape = _shape_penalty(text, any(0xE00 <= ord(c) <= 0xE7F for c, _ in chars))
    return _Features(chars, letters, ascii_letters, upper, shape, len(_CJK_SPACED.findall(text)))


def _cjk_penalty(f: _Features, lang: str) -> float:
    """Spaces between ideographs, Japanese without kana, Chinese without its most frequent characters."""
    kana = sum(n for c, n in f.chars if 0x3040 <= ord(c) <= 0x30FF)
    han = sum(n for c, n in f.chars if 0x4E00 <= ord(c) <= 0x9FFF)
    if lang == "ja":
        return f.cjk_spaced + 2.0 * max(0.0, 0.2 * (kana + han) - kana)
    return f.cjk_spaced + 2.0 * max(0.0, 0.15 * han - sum(n for c, n in f.chars if c in _COMMON_HAN[lang]))


def _structure_penalty(f: _Features, lang: str) -> float:
    """Implausible densities: accented letters, Latin inside a script, capitals, rare letters."""
    if lang in _CJK_COMMON:
        return _cjk_penalty(f, lang) if lang != "ko" else 0.0
    other, weight = f.letters - f.ascii_letters, min(1.0, max(0, f.letters - 4) / 10)  # little in a word or two
    penalty = max(0.0, f.upper / max(other, 1) - 0.6) * other  # capitals: mostly a KOI8 / cp1251 swap
    if lang in _LATIN or lang == "vi":
        limit = 0.75 if lang == "vi" else 0.4
        return penalty + 2.0 * weight * max(0.0, other / max(f.letters, 1) - limit) * f.letters
    penalty += 2.0 * weight * max(0.0, f.ascii_letters / max(f.letters, 1) - 0.5) * f.letters
    if lang in _FREQUENT:  # most high bytes are letters in cp1251, KOI8 and cp1253: which ones matters
        frequent, rare = _FREQUENT[lang]
        common = sum(n for c, n in f.chars if unicodedata.normalize("NFD", c.lower())[:1] in frequent) / max(other, 1)
        uncommon = sum(n for c, n in f.chars if c.lower() in rare) / max(other, 1)
        penalty += 3.0 * (max(0.0, 0.45 - common) + max(0.0, uncommon - 0.12)) * other
    return penalty


def _plausibility(f: _Features, lang: str) -> float:
    """How plausible a decoded sample is as text in ``lang``, from 0 to 1."""
    good = bad = 0.0
    for ch, n in f.chars:
        value = _char_value(ch, lang)
        good, bad = (good + value * n, bad) if value > 0 else (good, bad - value * n)
    bad += f.shape + _structure_penalty(f, lang)
    return good / (good + bad) if good + bad else 0.9  # only neutral punctuation: any decoding is fine


def _sample(data: bytes) -> bytes:
    """The lines that hold non-ASCII bytes, up to about ``_SAMPLE_BYTES``."""
    joined = b"\n".join(line for line in data.splitlines() if line and max(line) > 0x7F)
    return joined[: joined.find(b"\n", _SAMPLE_BYTES) % (len(joined) + 1)]  # whole lines


@lru_cache(maxsize=64)
def _page_letters(encoding: str) -> frozenset[str]:
    """The letters of every language the table writes in ``encoding`` (cp1252: French, Spanish, German...)."""
    langs = (lang for lang, encodings in _ENCODINGS.items() if encoding in encodings)
    return frozenset().union(*(_ALPHABETS.get(lang, ()) for lang in langs))


def _alphabet_score(f: _Features, lang: str, encoding: str) -> float:
    """0.9-1 when the non-neutral non-ASCII characters are all (``_ALPHABET_FIT``) letters of ``lang``, else 0.

    Letters of another language of the same code page (Spanish Á in French, Ukrainian Ї in Russian) are
    neutral: an alphabet sample may show them, and they decode alike in that code page.

    An alphabet sample (``Àà Áá Ââ``, ``Жж Щщ Юю``) has implausible letter densities and frequencies, but
    every letter of it is French or Russian: for the language a file is said to be in, that is evidence
    enough. Between two encodings that both fit, odd word shapes (cp1251 and KOI8-R swap case) and a text
    mixing scripts decide.
    """
    good = bad = 0
    page = _page_letters(encoding)
    for ch, n in f.chars:
        value = 0.0 if ch in page and ch not in _ALPHABETS.get(lang, ()) else _char_value(ch, lang)
        good, bad = (good + n, bad) if value > 0 else (good, bad + n if value < 0 else bad)
    if good < 2 or good / (good + bad) < _ALPHABET_FIT:
        return 0.0
    latin = f.ascii_letters + sum(n for c, n in f.chars if c.isalpha() and _script(c) == "LATIN")
    mixed = min(latin, f.letters - latin)  # Serbian in Latin letters (cp1250) read as Cyrillic (cp1251)
    return 0.9 + 0.1 * good / (good + f.shape + mixed)


def _score(features: _Features, encoding: str, hint: str | None) -> tuple[float, str]:
    """The plausibility of a decoding and the language it fits best (the hint, if it suggests ``encoding``)."""
    if hint is not None and encoding in _ENCODINGS[hint]:
        alphabet = _alphabet_score(features, hint, encoding) if hint not in _CJK_COMMON else 0.0
        return max(_plausibility(features, hint), alphabet), hint
    langs = (lang for lang, encodings in _ENCODINGS.items() if encoding in encodings)
    score, lang = max(((_plausibility(features, la), la) for la in langs), key=lambda pair: pair[0])
    return score * (_HINT_DISCOUNT if hint else 1.0), lang


def guess_encoding(data: bytes, lang: str | None = None) -> EncodingGuess | None:
    """The most plausible legacy encoding of ``data``, or None if none decodes it into plausible text.

    ``data`` is normally not valid UTF-8 (valid UTF-8 gives ``utf-8``). ``lang`` is a BCP 47 tag (from the
    file name, ``--lang`` or the job's languages): its encodings come first, others must be clearly better.
    """
    hint = normalize_language(lang)
    try:
        data.decode("utf-8")
        return EncodingGuess("utf-8", 1.0, hint, ())
    except UnicodeDecodeError:
        pass
    sample, cache = _sample(data), dict[str, _Features]()
    ranked: list[tuple[float, int, str, str]] = []
    for rank, encoding in enumerate(dict.fromkeys((_ENCODINGS[hint] if hint else ()) + tuple(_NAMES))):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = _MARKUP.sub("", sample.decode(encoding))
        features = cache[text] if text in cache else cache.setdefault(text, _features(text))
        score, language = _score(features, encoding, hint)
        ranked.append((-round(score, 6), rank, encoding, language))
    ranked.sort()
    if not ranked or -ranked[0][0] < _MIN_SCORE:
        return None
    threshold = max(_MIN_SCORE, -ranked[0][0] - 0.25)
    alternatives = tuple(enc for score, _, enc, _ in ranked[1:] if -score >= threshold)[:4]
    return EncodingGuess(ranked[0][2], round(-ranked[0][0], 3), ranked[0][3], alternatives)


def suggested_encodings(lang: str | None) -> tuple[str, ...]:
    """The legacy encodings a language's files are usually in (``fr`` -> cp1252), none for an unknown one."""
    key = normalize_language(lang)
    return _ENCODINGS[key] if key else ()


def describe(guess: EncodingGuess) -> str:
    """A short human description, e.g. ``cp1252 (Western European)``."""
    return f"{guess.encoding} ({_NAMES.get(guess.encoding, 'Unicode' if guess.encoding == 'utf-8' else 'legacy')})"
