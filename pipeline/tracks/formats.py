"""Writing subtitle files: SRT and WebVTT here, ASS with pysubs2 (its style model is what we need).

The readers are in :mod:`pipeline.ingest.subparse`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import pysubs2

from pipeline.core.cues import Track
from pipeline.core.timecode import format_srt_time, to_centiseconds_ms

__all__ = ["AssStyle", "compose_ass", "compose_srt", "compose_vtt"]


def compose_srt(track: Track) -> str:
    """The SRT text of ``track`` (UTF-8, ``\\n`` line ends, numbered from 1)."""
    parts = [
        f"{i}\n{format_srt_time(c.start_ms)} --> {format_srt_time(c.end_ms)}\n{c.text}\n"
        for i, c in enumerate(track.cues, start=1)
    ]
    return "\n".join(parts)


def compose_vtt(track: Track) -> str:
    """The WebVTT text of ``track``."""

    def stamp(ms: int) -> str:
        return format_srt_time(ms).replace(",", ".")

    def escape(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    parts = [f"{stamp(c.start_ms)} --> {stamp(c.end_ms)}\n{escape(c.text)}\n" for c in track.cues]
    return "WEBVTT\n\n" + "\n".join(parts)


@dataclass(frozen=True)
class AssStyle:
    """How a burned track looks. Sizes are in pixels of the video (PlayRes = video size)."""

    font_family: str
    font_size: int = 44
    outline: float = 2.5
    shadow: float = 0.8
    margin_v: int = 40
    bold: bool = False


def compose_ass(track: Track, style: AssStyle, width: int, height: int, fps: Fraction | None = None) -> str:
    """The ASS text of ``track``: one style, our own line breaks (WrapStyle 2), auto base direction.

    ``Encoding=-1`` lets libass find each line's base direction, so an Arabic line's final
    punctuation lands on its left (measured: with the default it lands on the right). ASS keeps
    centiseconds: with ``fps`` each time is rounded down within its frame, so no cue gains or loses
    a frame and the minimum gap holds (plain rounding can cost a gap its second frame).
    """
    subs = pysubs2.SSAFile()
    subs.info.update(
        {"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "2", "ScaledBorderAndShadow": "yes"}
    )
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=style.font_family,
        fontsize=style.font_size,
        bold=style.bold,
        outline=style.outline,
        shadow=style.shadow,
        marginv=style.margin_v,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        encoding=-1,
    )
    for cue in track.cues:
        text = "\\N".join(line.replace("{", "(").replace("}", ")") for line in cue.lines)
        start, end = cue.start_ms, cue.end_ms
        if fps is not None:
            start, end = to_centiseconds_ms(start, fps), to_centiseconds_ms(end, fps)
        subs.append(pysubs2.SSAEvent(start=start, end=end, text=text))
    return str(subs.to_string("ass"))
