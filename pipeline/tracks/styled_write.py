"""Writing styled subtitles (:class:`pipeline.ingest.styled.StyledSubs`) as SRT, WebVTT or ASS.

Each target keeps what it can hold and counts what it drops, by kind, in cues:

* SRT: italics, bold, underline, strike-through (``<i>``...), the primary colour (``<font color>``)
  and the 9 positions (``{\\an8}``, which players honour);
* WebVTT: italics, bold, underline, speakers (``<v Ann>``), positions as cue settings (the
  source's own settings when it was WebVTT);
* ASS: everything pysubs2 read (styles, tags, comments), WebVTT settings as the nearest position.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pysubs2

from pipeline.core.timecode import format_srt_time
from pipeline.ingest.styled import StyledSubs
from pipeline.ingest.vttstyle import vtt_settings_of

_BLOCK = re.compile(r"(\{[^{}]*\})")
_HTML = re.compile(r"</?(?:i|b|u|s|font)\b[^>]*>")
# Override tags by name, longest first so that "fscx" is not read as "fs".
_TAG_NAMES = (
    "i b u s an a pos move org c 1c 2c 3c 4c alpha 1a 2a 3a 4a fn fs fscx fscy fsp fe bord xbord ybord shad "
    "xshad yshad be blur fr frx fry frz fax fay k K kf ko q r t fad fade clip iclip p pbo"
)
_NAMES = sorted(_TAG_NAMES.split(), key=len, reverse=True)
_KIND = {
    **dict.fromkeys(("pos", "move", "org"), "exact positions (\\pos, \\move)"),
    **dict.fromkeys(("2c", "3c", "4c", "alpha", "1a", "2a", "3a", "4a"), "outline, shadow and transparency colours"),
    **dict.fromkeys(("fn", "fs", "fscx", "fscy", "fsp", "fe"), "fonts and sizes (\\fn, \\fs)"),
    **dict.fromkeys(("bord", "xbord", "ybord", "shad", "xshad", "yshad", "be", "blur"), "borders, shadows, blur"),
    **dict.fromkeys(("fr", "frx", "fry", "frz", "fax", "fay"), "rotations and shears"),
    **dict.fromkeys(("k", "K", "kf", "ko"), "karaoke"),
    **dict.fromkeys(("t", "fad", "fade"), "fades and animations (\\fad, \\t)"),
    **dict.fromkeys(("clip", "iclip"), "clips (\\clip)"),
    **dict.fromkeys(("p", "pbo"), "drawings (\\p)"),
}
_EXACT_VTT = frozenset(
    ("line:0", "line:-1", "line:50%", "align:start", "align:left", "align:end", "align:right", "align:center")
)


@dataclass(frozen=True)
class Composed:
    """A composed file: its text, how many cues it holds, and what it dropped (kind -> cues)."""

    text: str
    cues: int
    dropped: Counter[str]


@dataclass
class StyledCue:
    """One event on its way to SRT or WebVTT (``align``: 1-9 as on a numeric keypad)."""

    start: int
    end: int
    text: str = ""
    align: int = 2
    name: str = ""
    open: list[str] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)


def _tags(block: str) -> list[tuple[str, str]]:
    """The (name, argument) pairs of one override block ``{\\i1\\an8}``."""
    out = []
    for raw in block.strip("{}").split("\\")[1:]:
        name = next((n for n in _NAMES if raw.startswith(n)), raw[:1])
        out.append((name, raw[len(name) :].strip("()")))
    return out


def _html(cue: StyledCue, tag: str, on: bool, vtt: bool, color: str = "") -> None:
    """Open or close one of i, b, u, s, font (``color`` ``#rrggbb``)."""
    if tag == "s" and vtt:
        cue.lost.add("strike-through")
        return
    if tag == "font" and vtt:
        cue.lost.add("colours (\\c)")
        return
    if on and tag not in cue.open:
        cue.open.append(tag)
        cue.text += f'<font color="{color}">' if tag == "font" else f"<{tag}>"
    elif not on and tag in cue.open:
        cue.open.remove(tag)
        cue.text += f"</{tag}>"


def _apply(cue: StyledCue, name: str, arg: str, vtt: bool) -> None:
    if name in ("i", "b", "u", "s"):
        _html(cue, name, arg not in ("0", ""), vtt)
    elif name == "an" and arg.isdigit() and 1 <= int(arg) <= 9:
        cue.align = int(arg)
    elif name == "a" and arg.isdigit():  # SSA's legacy alignment: 1-3 bottom, +4 top, +8 middle
        n = int(arg)
        cue.align = (n & 3 or 2) + (6 if n & 4 else 3 if n & 8 else 0)
    elif name in ("c", "1c"):
        _color(cue, arg, vtt)
    elif name in _KIND:
        cue.lost.add(_KIND[name])


def _color(cue: StyledCue, arg: str, vtt: bool) -> None:
    bgr = re.sub(r"[^0-9A-Fa-f]", "", arg.replace("&H", "").replace("&h", ""))[-6:].rjust(6, "0")
    if "font" in cue.open:
        _html(cue, "font", False, vtt)
    if arg.strip():
        _html(cue, "font", True, vtt, f"#{bgr[4:6]}{bgr[2:4]}{bgr[0:2]}".lower())


def _text(cue: StyledCue, piece: str, vtt: bool) -> None:
    text = piece.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", "\u00a0")
    if vtt:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cue.text += text


def _style_tags(style: pysubs2.SSAStyle | None) -> list[tuple[str, str]]:
    if style is None:
        return []
    flags = [("i", style.italic), ("b", style.bold), ("u", style.underline), ("s", style.strikeout)]
    return [(name, "1") for name, on in flags if on] + [("an", str(int(style.alignment)))]


def _to_cue(event: pysubs2.SSAEvent, style: pysubs2.SSAStyle | None, vtt: bool) -> StyledCue:
    cue = StyledCue(event.start, event.end, name=event.name)
    for name, arg in _style_tags(style):
        _apply(cue, name, arg, vtt)
    drawing = False
    for piece in _BLOCK.split(event.text):
        if piece.startswith("{") and piece.endswith("}"):
            for name, arg in _tags(piece):
                drawing = arg not in ("0", "") if name == "p" else drawing
                _apply(cue, name, arg, vtt)
        elif not drawing:
            _text(cue, piece, vtt)
    for tag in reversed(list(cue.open)):
        _html(cue, tag, False, vtt)
    cue.text = "\n".join(line.strip() for line in cue.text.strip("\n").split("\n") if line.strip())
    return cue


def _cues(doc: StyledSubs, vtt: bool, dropped: Counter[str]) -> list[tuple[int, StyledCue]]:
    out = []
    styled = doc.source == "ass"
    for index, event in enumerate(doc.subs):
        if event.is_comment:
            dropped["comment lines"] += 1
            continue
        cue = _to_cue(event, doc.subs.styles.get(event.style), vtt)
        if styled:
            cue.lost.add("ASS styles (font, size, colours, outline, margins)")
        if cue.name and not vtt:
            cue.lost.add("speaker names")
        dropped.update(cue.lost)
        if _HTML.sub("", cue.text).strip():  # a cue of markup alone (a drawing, an empty <i></i>) shows nothing
            out.append((index, cue))
    return sorted(out, key=lambda item: (item[1].start, item[1].end))


def _vtt_settings_lost(doc: StyledSubs, dropped: Counter[str]) -> None:
    """Count WebVTT cue settings that only the nearest of the 9 positions stands for."""
    for settings in doc.vtt_settings.values():
        if any(item.lower() not in _EXACT_VTT for item in settings.split()):
            dropped["WebVTT cue settings beyond the 9 positions (size, vertical, exact line)"] += 1


def cues_for_srt(doc: StyledSubs, dropped: Counter[str]) -> list[StyledCue]:
    """``doc``'s cues as SRT holds them (HTML markup, one of 9 positions), in time order; what SRT
    cannot hold is counted in ``dropped`` (the delivery formats start from here)."""
    _vtt_settings_lost(doc, dropped)
    return [cue for _, cue in _cues(doc, False, dropped)]


def compose_styled_srt(doc: StyledSubs) -> Composed:
    """``doc`` as SRT, with what SRT drops."""
    dropped: Counter[str] = Counter(doc.dropped)
    _vtt_settings_lost(doc, dropped)
    blocks = []
    cues = _cues(doc, False, dropped)
    for n, (_, cue) in enumerate(cues, start=1):
        position = f"{{\\an{cue.align}}}" if cue.align != 2 else ""
        stamp = f"{format_srt_time(cue.start)} --> {format_srt_time(cue.end)}"
        blocks.append(f"{n}\n{stamp}\n{position}{cue.text}\n")
    return Composed("\n".join(blocks), len(cues), dropped)


def compose_styled_vtt(doc: StyledSubs) -> Composed:
    """``doc`` as WebVTT, with what WebVTT drops."""
    dropped: Counter[str] = Counter(doc.dropped)
    blocks = []
    cues = _cues(doc, True, dropped)
    for index, cue in cues:
        settings = doc.vtt_settings.get(index, vtt_settings_of(cue.align))
        stamp = f"{format_srt_time(cue.start)} --> {format_srt_time(cue.end)}".replace(",", ".")
        voice = f"<v {cue.name}>" if cue.name else ""
        blocks.append(f"{stamp}{' ' + settings if settings else ''}\n{voice}{cue.text}\n")
    return Composed("WEBVTT\n\n" + "\n".join(blocks), len(cues), dropped)


def compose_styled_ass(doc: StyledSubs) -> Composed:
    """``doc`` as ASS (comments kept), with the WebVTT settings it can only approximate."""
    dropped: Counter[str] = Counter(doc.dropped)
    _vtt_settings_lost(doc, dropped)
    cues = sum(1 for event in doc.subs if not event.is_comment)
    return Composed(str(doc.subs.to_string("ass")), cues, dropped)


COMPOSERS = {"srt": compose_styled_srt, "vtt": compose_styled_vtt, "ass": compose_styled_ass}
