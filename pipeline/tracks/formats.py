"""Writing subtitle files: SRT and WebVTT here, ASS with pysubs2 (its style model is what we need).

The readers are in :mod:`pipeline.ingest.subparse`.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from fractions import Fraction

import pysubs2

from pipeline.core.cues import Track
from pipeline.core.timecode import format_srt_time, to_centiseconds_ms
from pipeline.tracks.measure import TextBox, font_key

__all__ = ["AssStyle", "compose_ass", "compose_srt", "compose_vtt", "default_sizes"]

# Font size: 6 % of the displayed height, but at most 4.5 % of its width, so a 42-character line
# fits 90 % of a vertical picture's width (1080x1920: 49 px, not 115); margin: 5.5 % of the height.
FONT_HEIGHT_SHARE = 0.06
FONT_WIDTH_SHARE = 0.045
MARGIN_SHARE = 0.055
SIDE_MARGIN_SHARE = 0.05


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


def default_sizes(display_width: int, display_height: int) -> tuple[int, int]:
    """The default font size and bottom margin (pixels) for a picture displayed at this size.

    >>> default_sizes(1920, 1080), default_sizes(1080, 1920), default_sizes(853, 480)
    ((65, 59), (49, 106), (29, 26))
    """
    size = min(FONT_HEIGHT_SHARE * display_height, FONT_WIDTH_SHARE * display_width)
    return round(size), round(MARGIN_SHARE * display_height)


@dataclass(frozen=True)
class AssStyle:
    """How a burned track looks. Sizes are in pixels of the video (PlayRes = video size)."""

    font_family: str
    font_size: int = 44
    outline: float = 2.5
    shadow: float = 0.8
    margin_v: int = 40
    bold: bool = False


def compose_ass(
    track: Track, style: AssStyle, width: int, height: int, fps: Fraction | None = None, sar: Fraction = Fraction(1)
) -> str:
    """The ASS text of ``track``: one style, our own line breaks (WrapStyle 2), auto base direction.

    ``width`` x ``height`` is the stored picture (PlayRes, what libass draws on) and ``sar`` its
    pixel aspect: the style's ScaleX is ``100 / sar``, so on anamorphic video (720x480 at 32:27)
    glyphs are not stretched when the picture is shown at its display width. A line wider than the
    title-safe area (90 % of the displayed width; only one word can be, the track builder wraps
    the rest) is scaled down to fit with ``\\fscx``/``\\fscy``.

    ``Encoding=-1`` lets libass find each line's base direction, so an Arabic line's final
    punctuation lands on its left (measured: with the default it lands on the right). ASS keeps
    centiseconds: with ``fps`` each time is rounded down within its frame, so no cue gains or loses
    a frame and the minimum gap holds (plain rounding can cost a gap its second frame).

    A run composes each language's ASS for its file and for its burn: the last few are remembered,
    keyed on the values and their types (``1920`` and ``1920.0`` are written differently); arguments
    that cannot be hashed (cues in a list) are composed every time.
    """
    args = (track, style, width, height, fps, sar)
    try:
        hash(args)
    except TypeError:
        return _composed(*args)
    return _remembered(*args, tuple(type(getattr(style, f.name)) for f in dataclasses.fields(style)))


@functools.lru_cache(maxsize=16, typed=True)  # an entry is the size of the ASS text: ~1 MiB for a film
def _remembered(
    track: Track,
    style: AssStyle,
    width: int,
    height: int,
    fps: Fraction | None,
    sar: Fraction,
    _style_types: tuple[type, ...],
) -> str:
    return _composed(track, style, width, height, fps, sar)


def _composed(track: Track, style: AssStyle, width: int, height: int, fps: Fraction | None, sar: Fraction) -> str:
    subs = pysubs2.SSAFile()
    subs.info.update(
        {"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "2", "ScaledBorderAndShadow": "yes"}
    )
    scale_x = float(100 / sar)
    side = round(SIDE_MARGIN_SHARE * width)
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=style.font_family,
        fontsize=style.font_size,
        bold=style.bold,
        outline=style.outline,
        shadow=style.shadow,
        marginv=style.margin_v,
        marginl=side,
        marginr=side,
        scalex=round(scale_x, 2),
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        encoding=-1,
    )
    box = TextBox.title_safe(font_key(style.font_family), style.font_size, round(width * sar), style.outline)
    box = TextBox(box.font, box.size, box.max_width, box.outline, style.bold)
    for cue in track.cues:
        text = "\\N".join(line.replace("{", "(").replace("}", ")") for line in cue.lines)
        scale = min((box.scale(line) for line in cue.lines), default=1.0)
        if scale < 1.0:
            text = f"{{\\fscx{scale_x * scale:.2f}\\fscy{100 * scale:.2f}}}" + text
        start, end = cue.start_ms, cue.end_ms
        if fps is not None:
            start, end = to_centiseconds_ms(start, fps), to_centiseconds_ms(end, fps)
        subs.append(pysubs2.SSAEvent(start=start, end=end, text=text))
    return str(subs.to_string("ass"))
