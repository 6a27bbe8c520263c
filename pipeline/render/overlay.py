"""A track's burned subtitles as overlays rendered once by libass, composited onto decoded frames.

Between two consecutive event times (a *state*) a static ASS track shows the same picture, so libass
renders each state once, over two canvases in the picture's own format (yuv420p): every plane all 0
and every plane all 255. libass blends linearly, per plane (chroma with its own subsampled
coverage), so for any source value ``s`` the burned value is ``B + s * (W - B) / 255``, where ``B``
and ``W`` are the two renders: compositing that onto a decoded frame equals libass's own burn
(``subtitles`` filter) to within 2 grey levels on a few edge pixels (its blends round at each
layer; ``tests/test_inproc.py`` measures the bound on real frames).

The states are rendered in time order by one libass instance from a copy of the track whose times
are squeezed onto a 40 ms grid (one frame per state), so overlapping events are placed as libass
places them over time. Only *static* tracks qualify: no animation tags, no effects
(:func:`is_static`); the others are burned by ffmpeg itself. Each state keeps the box of pixels
it changes, zlib-compressed (a 4-minute track is a few MB).
"""

from __future__ import annotations

import bisect
import os
import re
import tempfile
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pysubs2

from pipeline.media.ffmpeg import escape_filter_value, ffmpeg_exe
from pipeline.media.fonts import make_fontsdir
from pipeline.media.rawpipe import raw_frames

STEP_MS = 40
_ANIMATED = re.compile(r"\\(t\(|move|fade?\(|fad\b|k[fo]?\d|K\d)", re.IGNORECASE)
Planes = list[npt.NDArray[np.uint8]]


def is_static(subs: pysubs2.SSAFile) -> bool:
    """Whether every event of ``subs`` shows one unchanging picture for as long as it is shown."""
    return all(not ev.effect and not _ANIMATED.search(ev.text) for ev in subs.events if not ev.is_comment)


@dataclass(frozen=True)
class Box:
    """What one state does to one plane: inside rows ``[y0, y1)`` x columns ``[x0, x1)``."""

    y0: int
    y1: int
    x0: int
    x1: int
    packed: bytes
    """zlib of the render over 0 (``B``) then the gain ``W - B``, both uint8, box-shaped."""

    def arrays(self) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint16]]:
        """``B`` and ``W - B`` as uint16 arrays of the box's shape."""
        flat = np.frombuffer(zlib.decompress(self.packed), dtype=np.uint8)
        shape = (self.y1 - self.y0, self.x1 - self.x0)
        half = flat.size // 2
        return flat[:half].reshape(shape).astype(np.uint16), flat[half:].reshape(shape).astype(np.uint16)


State = tuple[Box, ...]
Drawn = tuple[Box, npt.NDArray[np.uint16], npt.NDArray[np.uint16]]
"""A state's box of one plane with its ``B`` and ``W - B`` arrays."""


@dataclass(frozen=True)
class Overlay:
    """A track's states: state ``k`` is shown for ``bounds[k] <= now < bounds[k + 1]`` (ms, ASS clock)."""

    bounds: tuple[int, ...]
    states: tuple[State, ...]

    def index_at(self, now_ms: int) -> int:
        """The state shown at ``now_ms`` (-1: before the first event time, nothing)."""
        k = bisect.bisect_right(self.bounds, now_ms) - 1
        return k if k < len(self.states) else -1

    def window(self, first_ms: int, end_ms: int) -> Overlay:
        """The same overlay with only the states shown in ``[first_ms, end_ms)`` kept (the others
        draw nothing): what a batch of chunks needs, small to send to another process."""
        first_ms, end_ms = first_ms - 1, end_ms + 1  # a frame's truncated time may be a millisecond early
        keep = [
            state if self.bounds[k] < end_ms and self.bounds[k + 1] > first_ms else ()
            for k, state in enumerate(self.states)
        ]
        return Overlay(self.bounds, tuple(keep))

    def drawn(self, k: int) -> bool:
        """Whether state ``k`` changes any pixel."""
        return k >= 0 and bool(self.states[k])


def composite(planes: Planes, state: Sequence[Drawn]) -> None:
    """Burn a state into ``planes`` (Y, U, V views of a writable frame), in place."""
    for plane, (box, base, gain) in zip(planes, state, strict=True):
        view = plane[box.y0 : box.y1, box.x0 : box.x1]
        y = view * gain  # uint16: at most 255 * 255
        y += 127
        y += 1 + (y >> 8)  # (y + 1 + (y >> 8)) >> 8 is y // 255 for every y up to 65152 (tested)
        y >>= 8
        y += base
        view[...] = y


def render_overlay(
    ass_text: str,
    font_key: str,
    width: int,
    height: int,
    colour: Sequence[str] = (),
    window: tuple[int, int] | None = None,
) -> Overlay:
    """Render every state of a static track on a ``width`` x ``height`` yuv420p picture.

    ``colour``: the picture's ``colorspace``/``color_range`` as ffmpeg options, so libass converts
    the track's colours as it does on the source. ``window`` (``first_ms``, ``end_ms``): only the
    states shown there are rendered (the others draw nothing, as :meth:`Overlay.window`), from the
    start of any run of overlapping cues that reaches it, so libass places them as it does over the
    whole track: what a rerun that encodes a few chunks needs.

    Raises:
        FfmpegError: when libass cannot render it (or lacks a glyph).
    """
    subs = pysubs2.SSAFile.from_string(ass_text)
    events = _events(subs)
    bounds = sorted({0} | {ev.start for ev in events} | {ev.end for ev in events})
    if len(bounds) < 2:
        return Overlay(tuple(bounds), ())
    first, last = (0, len(bounds) - 1) if window is None else _span(events, bounds, *window)
    index = {t: k for k, t in enumerate(bounds)}
    squeezed = pysubs2.SSAFile()
    squeezed.info.update(subs.info)
    squeezed.styles.update(subs.styles)
    for ev in events:
        a, b = max(index[ev.start], first) - first, min(index[ev.end], last) - first
        if b > 0 and a < last - first:
            moved = ev.copy()
            moved.start, moved.end = max(a * STEP_MS - STEP_MS // 2, 0), b * STEP_MS - STEP_MS // 2
            squeezed.append(moved)
    states = _render_states(squeezed.to_string("ass"), font_key, width, height, last - first, colour)
    return Overlay(tuple(bounds), ((),) * first + states + ((),) * (len(bounds) - 1 - last))


def _span(events: Sequence[pysubs2.SSAEvent], bounds: Sequence[int], first_ms: int, end_ms: int) -> tuple[int, int]:
    """The states ``[first, last)`` to render for a window: those shown in it, from the start of a
    run of overlapping cues that reaches it (no cue is on screen there, so none was placed before)."""
    first_ms, end_ms = first_ms - 1, end_ms + 1  # as Overlay.window
    for run in _runs(events):
        if len(run) > 1 and run[0].start < end_ms and max(e.end for e in run) > first_ms:
            first_ms = min(first_ms, run[0].start)
    first = max(bisect.bisect_right(bounds, first_ms) - 1, 0)
    last = min(bisect.bisect_left(bounds, end_ms), len(bounds) - 1)
    return first, max(last, first)


def _render_states(
    text: str, font_key: str, width: int, height: int, count: int, colour: Sequence[str]
) -> tuple[State, ...]:
    """States ``0..count-1`` of a squeezed track (one per :data:`STEP_MS`), rendered by libass."""
    if count <= 0:
        return ()
    with tempfile.TemporaryDirectory(prefix="subpipe-overlay-") as tmp:
        work = Path(tmp)
        make_fontsdir(work / "fonts", [font_key])
        (work / "track.ass").write_text(text, encoding="utf-8")
        argv = _overlay_args(width, height, count, colour)
        frame_bytes = width * height * 3  # two stacked yuv420p pictures
        return tuple(_state(f, width, height) for f in raw_frames(argv, frame_bytes, work))


def _events(subs: pysubs2.SSAFile) -> list[pysubs2.SSAEvent]:
    return [ev for ev in subs.events if not ev.is_comment and ev.end > ev.start]


def _runs(events: Sequence[pysubs2.SSAEvent]) -> list[list[pysubs2.SSAEvent]]:
    """The events in runs: each run a chain of events that overlap the one before them in time."""
    runs: list[list[pysubs2.SSAEvent]] = []
    end = -1
    for ev in sorted(events, key=lambda e: (e.start, e.end)):
        if runs and ev.start < end:
            runs[-1].append(ev)
        else:
            runs.append([ev])
        end = max(end, ev.end) if len(runs[-1]) > 1 else ev.end
    return runs


def placement_context(subs: pysubs2.SSAFile, first_ms: int, last_ms: int) -> str:
    """The events that decide where libass places what it shows on ``[first_ms, last_ms]``, beyond
    the events shown there: every event of a run of overlapping events that reaches that span
    (libass keeps an event where it first placed it, so an earlier cue of the run moves a later
    one). Part of an in-process chunk's key; empty when no cue there overlaps another."""
    runs = _runs(_events(subs))
    shown = [r for r in runs if len(r) > 1 and r[0].start <= last_ms and max(e.end for e in r) > first_ms]
    return "\n".join(f"{e.start},{e.end},{e.layer},{e.style},{e.marginv},{e.text}" for r in shown for e in r)


def render_overlays(
    tracks: Sequence[tuple[str, str] | None],
    width: int,
    height: int,
    colour: Sequence[str] = (),
    jobs: int | None = None,
    windows: Sequence[tuple[int, int] | None] = (),
) -> list[Overlay | None]:
    """:func:`render_overlay` of each ``(ass_text, font_key)`` (None stays None), ``jobs`` at a time,
    each in its window of ``windows`` (none given: whole).

    Raises:
        FfmpegError: when one cannot be rendered.
    """

    def one(i: int) -> Overlay | None:
        track, window = tracks[i], windows[i] if i < len(windows) else None
        return None if track is None else render_overlay(track[0], track[1], width, height, colour, window)

    with ThreadPoolExecutor(jobs or os.cpu_count() or 1) as pool:
        return list(pool.map(one, range(len(tracks))))


def _overlay_args(width: int, height: int, count: int, colour: Sequence[str]) -> list[str]:
    params = ":".join(f"{k.lstrip('-')}={v}" for k, v in zip(colour[::2], colour[1::2], strict=True))
    set_params = f",setparams={params}" if params else ""
    burn = f"subtitles=filename={escape_filter_value('track.ass')}:fontsdir=fonts"

    def canvas(level: int) -> str:
        return (
            f"color=c=black:s={width}x{height}:r=25:d={count * STEP_MS / 1000:.3f},format=yuv420p,"
            f"lutyuv=y={level}:u={level}:v={level}{set_params},{burn}"
        )

    graph = f"{canvas(0)}[b];{canvas(255)}[w];[b][w]vstack"
    head = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "warning", "-filter_complex", graph]
    return [
        *head,
        "-frames:v",
        str(count),
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "yuv420p",
        "pipe:1",
    ]


def _state(frame: bytes, width: int, height: int) -> State:
    """One rendered state (B above W, each yuv420p) as the boxes of the planes it changes."""
    flat = np.frombuffer(frame, dtype=np.uint8)
    luma = 2 * width * height
    y = flat[:luma].reshape(2 * height, width)
    cw, ch = width // 2, height // 2
    u = flat[luma : luma + cw * ch * 2].reshape(2 * ch, cw)
    v = flat[luma + cw * ch * 2 :].reshape(2 * ch, cw)
    boxes = [_box(p[: p.shape[0] // 2], p[p.shape[0] // 2 :]) for p in (y, u, v)]
    if all(b is None for b in boxes):
        return ()
    return tuple(b if b is not None else _empty() for b in boxes)


def _box(over0: npt.NDArray[np.uint8], over255: npt.NDArray[np.uint8]) -> Box | None:
    touched = (over0 != 0) | (over255 != 255)
    rows, cols = np.flatnonzero(touched.any(axis=1)), np.flatnonzero(touched.any(axis=0))
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    base = over0[y0:y1, x0:x1]
    gain = (over255[y0:y1, x0:x1].astype(np.int16) - base).clip(0, 255).astype(np.uint8)
    return Box(y0, y1, x0, x1, zlib.compress(base.tobytes() + gain.tobytes(), 1))


def _empty() -> Box:
    return Box(0, 0, 0, 0, zlib.compress(b"", 1))
