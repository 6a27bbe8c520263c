"""Writing EBU-STL (EBU Tech 3264): a 1024-byte GSI block, then one 128-byte TTI block per cue.

Display standard: Level-1 teletext (DSC ``1``): rows of at most 40 characters (MNC 40), 23 rows
(MNR 23); a cue's lines are broken again to 40 columns where longer, and a cue of more rows than a
teletext subtitle page holds (``MAX_ROWS``) is split. Frame rate: ``STL25.01`` for 25 and 50 fps
video, ``STL30.01`` otherwise (timecodes are clock times in frames of 25 or 30). Vertical position:
bottom cues end on row 22, top ones start on row 1, middle ones on row 11; the justification code
keeps left, centre, right.

The character code table is chosen by the text: 00 (Latin, ISO 6937: accents as a non-spacing
diacritic before the letter) or 01-04 (ISO 8859-5 Cyrillic, -6 Arabic, -7 Greek, -8 Hebrew).
Typographic characters a table lacks but whose plain form it has (…, –, « », „ “, —) are written
plain, and counted. A track that none covers whole is refused
(:class:`~pipeline.tracks.delivery.CharsetError`), naming what the table that covers most of it lacks.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction

from pipeline.tracks.delivery import CharsetError, Placed, fit_lines, split_rows

COLUMNS, ROWS, MAX_ROWS = 40, 23, 11
_DIACRITICS = {  # ISO 6937 non-spacing diacritics, written before the letter
    "\u0300": 0xC1, "\u0301": 0xC2, "\u0302": 0xC3, "\u0303": 0xC4, "\u0304": 0xC5, "\u0306": 0xC6, "\u0307": 0xC7,
    "\u0308": 0xC8, "\u030a": 0xCA, "\u0327": 0xCB, "\u030b": 0xCD, "\u0328": 0xCE, "\u030c": 0xCF,
}  # fmt: skip
_SPECIAL = {  # ISO 6937 characters of their own (0xA0-0xFF)
    "¡": 0xA1, "¢": 0xA2, "£": 0xA3, "¥": 0xA5, "§": 0xA7, "¤": 0xA8, "‘": 0xA9, "“": 0xAA,
    "«": 0xAB, "°": 0xB0, "±": 0xB1, "²": 0xB2, "³": 0xB3, "×": 0xB4, "µ": 0xB5, "¶": 0xB6, "·": 0xB7, "÷": 0xB8,
    "’": 0xB9, "”": 0xBA, "»": 0xBB, "¼": 0xBC, "½": 0xBD, "¾": 0xBE, "¿": 0xBF, "—": 0xD0, "¹": 0xD1, "®": 0xD2,
    "©": 0xD3, "™": 0xD4, "♪": 0xD5, "Ω": 0xE0, "Æ": 0xE1, "Đ": 0xE2, "Ð": 0xE2, "ª": 0xE3, "Ħ": 0xE4, "Ĳ": 0xE6,
    "Ŀ": 0xE7, "Ł": 0xE8, "Ø": 0xE9, "Œ": 0xEA, "º": 0xEB, "Þ": 0xEC, "Ŧ": 0xED, "Ŋ": 0xEE, "ŉ": 0xEF, "ĸ": 0xF0,
    "æ": 0xF1, "đ": 0xF2, "ð": 0xF3, "ħ": 0xF4, "ı": 0xF5, "ĳ": 0xF6, "ŀ": 0xF7, "ł": 0xF8, "ø": 0xF9, "œ": 0xFA,
    "ß": 0xFB, "þ": 0xFC, "ŧ": 0xFD, "ŋ": 0xFE, "\u00a0": 0x20,
}  # fmt: skip  # $ and # are ASCII (0x24, 0x23), as ttconv reads them; Đ and Icelandic Ð share 0xE2
_TABLES = {"01": "iso8859_5", "02": "iso8859_6", "03": "iso8859_7", "04": "iso8859_8"}
_LANGUAGE_CODES = {  # EBU Tech 3264 Appendix 3
    "sq": 0x01, "ca": 0x03, "hr": 0x04, "cs": 0x06, "da": 0x07, "de": 0x08, "en": 0x09, "es": 0x0A, "et": 0x0C,
    "fr": 0x0F, "is": 0x14, "it": 0x15, "lv": 0x18, "lt": 0x1A, "hu": 0x1B, "nl": 0x1D, "no": 0x1E, "pl": 0x20,
    "pt": 0x21, "ro": 0x22, "sr": 0x24, "sk": 0x25, "sl": 0x26, "fi": 0x27, "sv": 0x28, "tr": 0x29, "ar": 0x7E,
    "bg": 0x77, "zh": 0x75, "el": 0x70, "he": 0x6C, "hi": 0x6B, "id": 0x6A, "ja": 0x69, "ko": 0x65, "ru": 0x56,
    "fa": 0x5A, "th": 0x4A, "uk": 0x49, "vi": 0x46,
}  # fmt: skip
CARRIES = "ISO 6937 Latin, or ISO 8859-5/6/7/8 Cyrillic, Arabic, Greek, Hebrew"
_PLAIN = {"…": "...", "–": "-", "\u2009": " ", "\u202f": " "}  # in no table: always written plain
_FALLBACK = {  # written plain only in a table that lacks them (ISO 8859-5 has no « », ISO 6937 no „)
    "«": '"', "»": '"', "„": '"', "“": '"', "”": '"', "‚": "'", "‘": "'", "’": "'", "‹": "'", "›": "'", "—": "-",
    "―": "-",
}  # fmt: skip
_PLAIN_KIND = "typographic characters written plain (… as ..., – as -)"
NEWLINE, UNUSED = 0x8A, 0x8F
CREATED = "000101"  # the GSI's creation and revision dates (YYMMDD): fixed, so a rerun writes the same bytes


def _latin(ch: str) -> bytes | None:
    """``ch`` in ISO 6937 (None when it has no place there)."""
    if ch in _SPECIAL:
        return bytes([_SPECIAL[ch]])
    if " " <= ch <= "~":
        return ch.encode("ascii")
    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _DIACRITICS:
        return bytes([_DIACRITICS[parts[1]], ord(parts[0])])
    return None


def _encode_char(ch: str, table: str) -> bytes | None:
    """One character in the table (None when it has no place there)."""
    if table == "00":
        return _latin(ch)
    try:
        return ch.encode(_TABLES[table])
    except UnicodeEncodeError:
        return None


def plain_text(text: str, table: str) -> str:
    """``text`` with the typographic characters ``table`` lacks in their plain form (… as ..., « as ")."""
    out = (_PLAIN.get(ch) or (_FALLBACK.get(ch, ch) if _encode_char(ch, table) is None else ch) for ch in text)
    return "".join(out)


def encode_text(text: str, table: str) -> bytes | None:
    """``text`` in the character code table ``table`` (``00``-``04``), or None when it does not fit."""
    out = [_encode_char(ch, table) for ch in plain_text(text, table)]
    return b"".join(b for b in out if b is not None) if all(b is not None for b in out) else None


def _table(cues: Sequence[Placed], lang: str) -> str:
    """The first table that holds every character of the track; else the refusal naming the characters
    missing from the table that holds the most of them."""
    chars = dict.fromkeys("".join("".join(c.lines) for c in cues))
    missing = {t: [ch for ch in chars if encode_text(ch, t) is None] for t in ("00", *_TABLES)}
    best = min(missing, key=lambda t: len(missing[t]))  # the first of the fewest
    if missing[best]:
        raise CharsetError("EBU-STL", lang, missing[best], CARRIES)
    return best


def _field(value: str, size: int) -> bytes:
    return value.encode("ascii", "replace")[:size].ljust(size, b" ")


def _gsi(fps: int, table: str, lang: str, subtitles: int, blocks: int, title: str) -> bytes:
    code = _LANGUAGE_CODES.get(lang.split("-")[0].lower(), 0)
    fields = [
        ("850", 3), (f"STL{fps}.01", 8), ("1", 1), (table, 2), (f"{code:02X}", 2), (title, 32), ("", 32),
        (title, 32), ("", 32), ("", 32), ("", 32), ("", 16), (CREATED, 6), (CREATED, 6), ("00", 2),
        (f"{blocks:05d}", 5), (f"{subtitles:05d}", 5), ("001", 3), (f"{COLUMNS:02d}", 2), (f"{ROWS:02d}", 2),
        ("1", 1), ("00000000", 8), ("00000000", 8), ("1", 1), ("1", 1), ("", 3), ("subpipe", 32), ("", 32),
        ("", 32), ("", 75),
    ]  # fmt: skip
    head = b"".join(_field(value, size) for value, size in fields)
    return head + b" " * (1024 - len(head))


def _timecode(ms: int, fps: int) -> bytes:
    frames = (ms * fps + 500) // 1000
    seconds, frame = divmod(frames, fps)
    return bytes([seconds // 3600 % 24, seconds // 60 % 60, seconds % 60, frame])


def _tti(number: int, cue: Placed, fps: int, table: str) -> list[bytes]:
    """The TTI blocks of one cue: one, or extension blocks when the text outlasts 112 bytes."""
    text = bytes([NEWLINE]).join(encode_text(line, table) or b"" for line in cue.lines)
    chunks = [text[i : i + 112] for i in range(0, len(text), 112)] or [b""]
    row = 1 if cue.align >= 7 else 11 if cue.align >= 4 else 23 - len(cue.lines)
    justify = {1: 1, 2: 2, 0: 3}[cue.align % 3]
    blocks = []
    for n, chunk in enumerate(chunks):
        extension = 0xFF if n == len(chunks) - 1 else n
        head = bytes([0, number & 0xFF, number >> 8 & 0xFF, extension, 0])
        times = _timecode(cue.start_ms, fps) + _timecode(cue.end_ms, fps)
        blocks.append(head + times + bytes([row, justify, 0]) + chunk.ljust(112, bytes([UNUSED])))
    return blocks


def stl_rate(fps: Fraction | None) -> int:
    """The STL frame rate for a video's: 25 for 25 and 50 fps (and unknown), else 30."""
    return 25 if fps is None or fps in (25, 50) else 30


def compose_stl(
    cues: Sequence[Placed], lang: str, dropped: Counter[str], fps: Fraction | None = None, title: str = ""
) -> bytes:
    """An EBU-STL file of ``cues`` in ``lang`` (Level-1 teletext display standard).

    Raises:
        CharsetError: characters no character code table covers, all named in one line.
    """
    table = _table(cues, lang)
    prepared: list[Placed] = []
    for cue in cues:
        plain = tuple(plain_text(line, table) for line in cue.lines)
        dropped[_PLAIN_KIND] += plain != cue.lines
        lines, broken = fit_lines(plain, COLUMNS)  # as written: … is three columns
        dropped["lines broken again to 40 columns"] += broken
        parts = split_rows(Placed(cue.start_ms, cue.end_ms, lines, cue.align), MAX_ROWS)
        dropped[f"cues split to fit {MAX_ROWS} rows"] += len(parts) > 1
        prepared += parts
    rate = stl_rate(fps)
    blocks = [b for n, cue in enumerate(prepared) for b in _tti(n, cue, rate, table)]
    return _gsi(rate, table, lang, len(prepared), len(blocks), title) + b"".join(blocks)
