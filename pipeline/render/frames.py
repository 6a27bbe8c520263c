"""Decoded pictures in display geometry: the frame shown at a time, pixel aspect and rotation applied."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
SEEK_BACK_MS: tuple[float | None, ...] = (1500, 8000, None)  # None: from the stream's start


@dataclass(frozen=True)
class Shown:
    """The frame on screen at a requested time: its own timestamp (ms) and its grey picture as displayed."""

    pts_ms: float
    picture: Gray


def upright(picture: Gray, rotation: int) -> Gray:
    """Turn a stored picture as a display matrix of ``rotation`` degrees (PyAV's sign) asks."""
    quarter = round(rotation / 90) % 4
    return np.ascontiguousarray(np.rot90(picture, k=quarter)) if quarter else picture


def display_size(width: int, height: int, sar: Fraction) -> tuple[int, int]:
    """Stored size with the pixel aspect applied to the width (before rotation)."""
    return max(round(width * sar), 1), height


def frames_shown(path: str | Path, stream_index: int, times_ms: Sequence[float], sar: Fraction) -> list[Shown]:
    """For each time (ms on the stream's own clock), the frame on screen then: the last one that
    starts at or before it (the first frame for a time before it), in display geometry.

    Raises:
        av.error.FFmpegError: when the file cannot be decoded.
        LookupError: when no frame can be found for a time.
    """
    try:
        with av.open(str(path)) as container:
            stream: Any = next(s for s in container.streams if s.index == stream_index)
            stream.thread_type = "AUTO"
            return [_shown_at(container, stream, t, sar) for t in times_ms]
    except av.error.PermissionError:  # a demuxer that cannot seek (some AVI): one pass from the start
        with av.open(str(path)) as container:
            stream = next(s for s in container.streams if s.index == stream_index)
            return _shown_in_one_pass(container, stream, times_ms, sar)


def _shown_in_one_pass(container: Any, stream: Any, times_ms: Sequence[float], sar: Fraction) -> list[Shown]:
    order = sorted(range(len(times_ms)), key=lambda i: times_ms[i])
    found: dict[int, Shown] = {}
    last: Any = None
    for frame in container.decode(stream):
        if frame.pts is None:
            continue
        at = float(frame.pts * frame.time_base) * 1000
        while order and at > times_ms[order[0]] + 0.5:
            found[order.pop(0)] = _picture(last if last is not None else frame, sar)
        if not order:
            break
        last = frame
    for i in order:
        if last is None:
            raise LookupError(f"no frame at or before {times_ms[i]:.0f} ms")
        found[i] = _picture(last, sar)
    return [found[i] for i in range(len(times_ms))]


def _picture(frame: Any, sar: Fraction) -> Shown:
    width, height = display_size(frame.width, frame.height, sar)
    gray = frame.reformat(width=width, height=height, format="gray").to_ndarray()
    picture = upright(np.asarray(gray, dtype=np.uint8), round(frame.rotation or 0))
    return Shown(float(frame.pts * frame.time_base) * 1000, picture)


def _shown_at(container: Any, stream: Any, t_ms: float, sar: Fraction) -> Shown:
    # Seek a little before the time; some demuxers (MPEG-TS) land late, so back off further.
    for back_ms in SEEK_BACK_MS:
        start = (
            (t_ms - back_ms) if back_ms is not None else float(stream.start_time or 0) * float(stream.time_base) * 1000
        )
        container.seek(int(start / 1000 / float(stream.time_base)), stream=stream, backward=True, any_frame=False)
        chosen = _last_frame_until(container, stream, t_ms)
        if chosen is not None:
            break
    else:
        raise LookupError(f"no frame at or before {t_ms:.0f} ms")
    return _picture(chosen, sar)


def _last_frame_until(container: Any, stream: Any, t_ms: float) -> Any:
    """The last decoded frame that starts by ``t_ms``; None when the first one already starts after it
    (the seek landed late), unless it is the stream's first frame."""
    chosen: Any = None
    for frame in container.decode(stream):
        if frame.pts is None:
            continue
        if float(frame.pts * frame.time_base) * 1000 > t_ms + 0.5:
            if chosen is None and frame.pts <= (stream.start_time or 0):
                return frame  # a time before the first frame: the first frame is what shows
            break
        chosen = frame
    return chosen
