"""What the delivery formats (TTML/IMSC, SCC, EBU-STL) are written from: plain cues with their place.

Each delivery writer takes :class:`Placed` cues: times, lines of plain text and one of the 9 positions
of the numeric keypad (2 = bottom centre, 8 = top centre), the place a moved cue keeps. They come
from a built track (all at the bottom) or from a styled file being converted (its ``{\\an8}``, WebVTT
``line:0``); markup the delivery formats do not carry is counted by kind, as ``convert`` says.
"""

from __future__ import annotations

import re
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence

from pipeline.core.cues import Track
from pipeline.core.errors import UsageError
from pipeline.ingest.delivery_read import Placed
from pipeline.ingest.styled import StyledSubs
from pipeline.tracks.styled_write import cues_for_srt

_MARKUP = re.compile(r"</?(?:i|b|u|s|font)\b[^>]*>")
__all__ = ["CharsetError", "Placed", "fit_lines", "placed_of_styled", "placed_of_track", "split_rows"]
_MARKUP_KINDS = {"i": "italics", "b": "bold", "u": "underline", "s": "strike-through", "f": "colours (\\c)"}


class CharsetError(UsageError):
    """A track has characters the target format's character set cannot carry (one line, naming them)."""

    def __init__(self, fmt: str, lang: str, chars: Iterable[str], carries: str) -> None:
        self.fmt, self.lang = fmt, lang
        self.chars = tuple(dict.fromkeys(chars))
        shown = " ".join(self.chars[:24]) + (f" (and {len(self.chars) - 24} more)" if len(self.chars) > 24 else "")
        super().__init__(f"{fmt} cannot carry the {lang!r} track: {shown} are not in its character set ({carries})")


def placed_of_track(track: Track) -> list[Placed]:
    """A built track's cues, all at the bottom centre."""
    return [Placed(c.start_ms, c.end_ms, c.lines) for c in track.cues]


def placed_of_styled(doc: StyledSubs, dropped: Counter[str]) -> list[Placed]:
    """A styled file's cues with their position; ``dropped`` counts, by kind, the markup left out."""
    out = []
    for cue in cues_for_srt(doc, dropped):
        for kind in dict.fromkeys(_MARKUP_KINDS[m.group(0).lstrip("</")[0]] for m in _MARKUP.finditer(cue.text)):
            dropped[kind] += 1
        lines = tuple(line for line in _MARKUP.sub("", cue.text).split("\n") if line.strip())
        if lines:
            out.append(Placed(cue.start, cue.end, lines, cue.align))
    return out


def fit_lines(lines: Sequence[str], width: int) -> tuple[tuple[str, ...], bool]:
    """``lines`` as they are when each fits ``width`` characters, else the text broken again at spaces
    (a word longer than the width is cut); and whether they were broken again."""
    if all(len(line) <= width for line in lines):
        return tuple(lines), False
    text = " ".join(line.strip() for line in lines)
    return tuple(textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)), True


def split_rows(cue: Placed, rows: int) -> list[Placed]:
    """``cue`` in parts of at most ``rows`` lines, its time shared by their characters (frame-free ms)."""
    if len(cue.lines) <= rows:
        return [cue]
    parts = [cue.lines[i : i + rows] for i in range(0, len(cue.lines), rows)]
    total = sum(len("".join(p)) for p in parts) or 1
    out, start, done = [], cue.start_ms, 0
    for part in parts:
        done += len("".join(part))
        end = cue.start_ms + (cue.end_ms - cue.start_ms) * done // total
        out.append(Placed(start, end, part, cue.align))
        start = end
    return out
