"""SRT and WebVTT markup as ASS override tags; WebVTT cue settings as one of ASS's 9 positions.

``<i>``, ``<b>``, ``<u>``, ``<s>`` become ``{\\i1}``... ``{\\i0}``; ``<font color>`` becomes ``{\\c}``;
ASS tags already in an SRT (``{\\an8}``) stay; a WebVTT voice (``<v Ann>``) becomes the event's
speaker. What ASS has no place for (WebVTT classes, ruby, karaoke timestamps, other ``<font>``
attributes) is dropped and counted by kind, so a conversion can say what it dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

_SIMPLE = {"i": "i", "b": "b", "u": "u", "s": "s"}
_TAG = re.compile(r"<(/?)\s*([A-Za-z]+|\d[\d:.]*)([^>]*)>")
_COLOR = re.compile(r"""color\s*=\s*["']?#?([0-9A-Fa-f]{6})""")
_RUBY_TEXT = re.compile(r"<rt>.*?</rt>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&nbsp;": "\\h", "&lrm;": "\u200e", "&rlm;": "\u200f", "&amp;": "&"}
_DROPPED_TAG = {"c": "WebVTT classes (<c.…>)", "ruby": "ruby text", "rt": "ruby text", "lang": "language spans"}


def _color(attrs: str) -> str | None:
    match = _COLOR.search(attrs)
    if match is None:
        return None
    rgb = match.group(1).upper()
    return f"{{\\c&H{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}&}}"


def _tag_to_ass(closing: str, name: str, attrs: str, state: dict[str, str], dropped: Counter[str]) -> str:
    """The ASS form of one HTML/WebVTT tag ('' when it has none), recording what is dropped."""
    key = name.lower()
    if key in _SIMPLE:
        return f"{{\\{_SIMPLE[key]}{0 if closing else 1}}}"
    if key == "font":
        color = None if closing else _color(attrs)
        if closing:
            return "{\\c}"
        if re.search(r"face|size", attrs, re.IGNORECASE):
            dropped["font faces and sizes (<font face/size>)"] += 1
        return color or ""
    if key == "v":
        voice = "" if closing else attrs.strip()
        if voice.startswith("."):  # <v.loud Ann>: a class, then the name
            voice = voice.partition(" ")[2].strip()
        if voice:
            state.setdefault("name", voice)
        return ""
    if key[:1].isdigit():
        dropped["karaoke timestamps (<00:01.000>)"] += 1 if not closing else 0
        return ""
    if not closing:
        dropped[_DROPPED_TAG.get(key, f"<{key}> tags")] += 1
    return ""


def ass_markup(lines: Sequence[str], vtt: bool) -> tuple[str, str, Counter[str]]:
    """The ASS text of a cue's raw lines, its speaker (WebVTT voice) and the kinds of markup dropped."""
    state: dict[str, str] = {}
    dropped: Counter[str] = Counter()
    out = []
    for line in lines:
        text = re.sub(r"\{(?!\\)", "(", line)
        text = _RUBY_TEXT.sub("", text)  # the reading above the base text has no place below it
        text = _TAG.sub(lambda m: _tag_to_ass(m.group(1), m.group(2), m.group(3), state, dropped), text)
        if vtt:
            for entity, char in _ENTITIES.items():
                text = text.replace(entity, char)
        out.append(text)
    return "\\N".join(out), state.get("name", ""), dropped


def _settings(settings: str) -> dict[str, str]:
    pairs = (item.split(":", 1) for item in settings.split() if ":" in item)
    return {key.strip().lower(): value.strip().lower() for key, value in pairs}


def _row(line: str | None) -> int:
    """0 bottom, 1 middle, 2 top, from a WebVTT ``line`` setting."""
    if not line:
        return 0
    value = line.split(",")[0]
    try:
        if value.endswith("%"):
            percent = float(value[:-1])
            return 2 if percent < 34 else (1 if percent < 67 else 0)
        return 2 if int(value) >= 0 else 0
    except ValueError:
        return 0


def _column(align: str | None, position: str | None) -> int:
    """1 left, 2 centre, 3 right, from WebVTT ``align`` and ``position``."""
    if align in ("start", "left"):
        return 1
    if align in ("end", "right"):
        return 3
    if align is None and position and position.split(",")[0].endswith("%"):
        try:
            percent = float(position.split(",")[0][:-1])
        except ValueError:
            return 2
        return 1 if percent <= 33 else (3 if percent >= 67 else 2)
    return 2


def alignment_of(settings: str) -> int | None:
    """The ASS alignment (numpad 1-9) nearest to WebVTT cue settings; None without settings.

    >>> alignment_of("line:0"), alignment_of("line:10% align:start"), alignment_of("position:90%"), alignment_of("")
    (8, 7, 3, None)
    """
    found = _settings(settings)
    if not found:
        return None
    return 3 * _row(found.get("line")) + _column(found.get("align"), found.get("position"))


def vtt_settings_of(alignment: int) -> str:
    """WebVTT cue settings for an ASS alignment (numpad 1-9); '' for bottom centre.

    >>> vtt_settings_of(8), vtt_settings_of(1), vtt_settings_of(2)
    ('line:0', 'align:left', '')
    """
    row, column = (alignment - 1) // 3, (alignment - 1) % 3
    parts = [("", "line:50%", "line:0")[row], ("align:left", "", "align:right")[column]]
    return " ".join(p for p in parts if p)
