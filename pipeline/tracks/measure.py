"""The pixel width of subtitle lines in the real font, shaped with HarfBuzz (uharfbuzz), and what
to do when a line is wider than the title-safe area: wrap narrower, and scale down only a line
that is one word too wide.

Sizes follow libass (and VSFilter): an ASS font size is the height of the font's OS/2 ``winAscent
+ winDescent`` box, not its em, so a unit of the font is ``size / (winAscent + winDescent)`` pixels
(Noto Sans: the em is 0.73 of the font size). The width of a line is its shaped advance plus the
outline on both sides. Widths are in display pixels: the ASS style compensates non-square pixels
(:mod:`pipeline.tracks.formats`), so the picture's displayed width is the budget.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import uharfbuzz as hb
from fontTools.ttLib import TTCollection, TTFont

from pipeline.core.findings import WARNING, Finding
from pipeline.core.profiles import Profile
from pipeline.media.fonts import FONTS, font_spec
from pipeline.tracks.wrap import count_chars, tokenize, visible_text

TITLE_SAFE = 0.9  # the share of the displayed width that text may use


@dataclass(frozen=True)
class TextBox:
    """Where lines must fit: a font (key in :data:`pipeline.media.fonts.FONTS`), its ASS size in
    pixels, its outline, and the widest a line may be (display pixels)."""

    font: str
    size: float
    max_width: float
    outline: float = 0.0
    bold: bool = False

    @classmethod
    def title_safe(cls, font: str, size: float, display_width: int, outline: float = 0.0) -> TextBox:
        """The box of ``TITLE_SAFE`` of a picture ``display_width`` pixels wide."""
        return cls(font, size, TITLE_SAFE * display_width, outline)

    def width(self, line: str) -> float:
        """The displayed width of ``line`` in pixels (outline included)."""
        return line_width(line, self.font, self.size, bold=self.bold) + 2 * self.outline

    def fits(self, line: str) -> bool:
        """Whether ``line`` fits the box."""
        return self.width(line) <= self.max_width

    def scale(self, line: str) -> float:
        """The scale (at most 1) that makes ``line`` fit."""
        width = self.width(line)
        return 1.0 if width <= self.max_width else self.max_width / width


@functools.lru_cache(maxsize=16)
def _font(key: str, bold: bool) -> tuple[hb.Font, float]:
    """The HarfBuzz font of ``key`` and how many pixels one font unit is at ASS size 1."""
    spec = font_spec(key)
    path = str(spec.path)
    font = hb.Font(hb.Face(hb.Blob.from_file_path(path), spec.face))
    if bold:
        font.set_variations({"wght": 700})
    tt = TTCollection(path, lazy=True).fonts[spec.face] if path.lower().endswith((".ttc", ".otc")) else TTFont(path)
    os2 = tt["OS/2"]
    return font, 1.0 / (os2.usWinAscent + os2.usWinDescent)


def font_key(family: str) -> str:
    """The key in :data:`pipeline.media.fonts.FONTS` of the font named ``family`` ("noto-sans" if none)."""
    return next((k for k, spec in FONTS.items() if spec.family == family), "noto-sans")


def line_width(line: str, font: str, size: float, *, bold: bool = False) -> float:
    """The shaped advance width of ``line`` (tags removed) in pixels at ASS size ``size``."""
    hb_font, unit = _font(font, bold)
    buf = hb.Buffer()
    buf.add_str(visible_text(line))
    buf.guess_segment_properties()
    hb.shape(hb_font, buf, {})
    advance: int = sum(p.x_advance for p in buf.glyph_positions)
    return advance * unit * size


def narrower(profile: Profile, lines: list[str], box: TextBox) -> Profile | None:
    """``profile`` with fewer characters per line when a breakable line is wider than ``box``; None
    when every line fits or only unbreakable ones (one word) do not."""
    limit = profile.max_line_chars
    for line in lines:
        if box.fits(line) or len(tokenize(line, profile)) < 2:
            continue
        chars = count_chars(line, profile)
        limit = min(limit, int(chars * box.max_width / box.width(line)), round(chars) - 1)
    if limit >= profile.max_line_chars or limit < 1:
        return None
    return dataclasses.replace(profile, max_line_chars=limit)


def scaled_findings(lines_by_cue: list[tuple[int, int, list[str]]], box: TextBox) -> list[Finding]:
    """A ``scaled_down`` warning for each cue (number, start ms, lines) with a line wider than ``box``."""
    out = []
    for n, start, lines in lines_by_cue:
        scale = min((box.scale(line) for line in lines), default=1.0)
        if scale < 1.0:
            out.append(
                Finding(
                    "scaled_down",
                    WARNING,
                    n,
                    start,
                    f"a word is wider than the title-safe area ({box.max_width:.0f} px): shown at {scale:.0%} size",
                    "shorten or hyphenate the word",
                )
            )
    return out
