"""Decoded pictures in display geometry: the frame shown at a time, pixel aspect and rotation applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
SEEK_BACK_MS: tuple[float | None, ...] = (1500, 8000, None)  # None: from the stream's start
CONTINUE_MS = 3000.0
"""Decode on from the frame in hand, rather than seek, when the next time is at most this much later:
about what a seek costs in a source with a keyframe every 6 s (it decodes from the keyframe before
the time). Decoding on is exact (it is how a player gets there); a seek is the shortcut."""


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
    wanted = list(times_ms)
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])  # ascending: each frame decoded at most once
    found = dict(zip(order, iter_frames_shown(path, stream_index, [wanted[i] for i in order], sar), strict=True))
    return [found[i] for i in range(len(wanted))]


def iter_frames_shown(path: str | Path, stream_index: int, times_ms: Iterable[float], sar: Fraction) -> Iterator[Shown]:
    """:func:`frames_shown`, one time after the other: ``times_ms`` is read lazily (a later time may be
    computed from an earlier result); ascending times cost least (see :data:`CONTINUE_MS`)."""
    container = av.open(str(path))
    stream = next((s for s in container.streams if s.index == stream_index), None)
    if stream is None:
        container.close()
        raise LookupError(f"no stream {stream_index} in {path}")
    cursor = _Cursor(container, stream)
    try:
        for t in times_ms:
            yield _picture(cursor.shown_at(t), sar)
    finally:
        cursor.container.close()


class _Cursor:
    """A decoder position in one stream: the frame in hand and the one decoded after it."""

    def __init__(self, container: Any, stream: Any) -> None:
        self.container, self.stream = container, stream
        stream.thread_type = "AUTO"
        self.seekable = True
        self.held: Any = None  # the last frame returned
        self.ahead: Any = None  # the first frame decoded after it (None: not decoded yet, or the end)
        self.frames: Iterator[Any] = iter(())

    def shown_at(self, t_ms: float) -> Any:
        """The frame on screen at ``t_ms``.

        Raises:
            LookupError: when no frame can be found.
        """
        held_ms = _ms(self.held) if self.held is not None else None
        if held_ms is not None and held_ms <= t_ms + 0.5 and (t_ms - held_ms <= CONTINUE_MS or not self.seekable):
            return self._decode_on(t_ms)
        if self.seekable:
            try:
                return self._seek(t_ms)
            except av.error.PermissionError:  # a demuxer that cannot seek (some AVI): passes from the start
                self.seekable = False
        self._restart()
        if self._decode_on(t_ms) is None:
            raise LookupError(f"no frame at or before {t_ms:.0f} ms")
        return self.held

    def _decode_on(self, t_ms: float) -> Any:
        """Decode forward to the last frame that starts by ``t_ms``; the first frame when even it starts later."""
        while self.ahead is None or _ms(self.ahead) <= t_ms + 0.5:
            if self.ahead is not None:
                self.held, self.ahead = self.ahead, None
            nxt = next(self.frames, None)
            if nxt is None:
                break  # the end: the frame in hand stays on screen
            self.ahead = nxt
        if self.held is None:
            self.held, self.ahead = self.ahead, None
        return self.held

    def _decode_from_here(self) -> None:
        """Forget the frames in hand and decode from where the container now stands."""
        self.held, self.ahead = None, None
        self.frames = (f for f in self.container.decode(self.stream) if f.pts is not None)

    def _restart(self) -> None:
        """Open the file again and decode from its start (a demuxer that cannot seek)."""
        name, index = self.container.name, self.stream.index
        self.container.close()
        self.container = av.open(name)
        self.stream = next(s for s in self.container.streams if s.index == index)
        self._decode_from_here()

    def _seek(self, t_ms: float) -> Any:
        # Seek a little before the time; some demuxers (MPEG-TS) land late, so back off further.
        stream = self.stream
        for back_ms in SEEK_BACK_MS:
            start = (
                (t_ms - back_ms)
                if back_ms is not None
                else float(stream.start_time or 0) * float(stream.time_base) * 1000
            )
            self.container.seek(
                int(start / 1000 / float(stream.time_base)), stream=stream, backward=True, any_frame=False
            )
            self._decode_from_here()
            first = next(self.frames, None)
            if first is None:
                continue
            if _ms(first) <= t_ms + 0.5 or first.pts <= (stream.start_time or 0):
                self.ahead = first  # at or before the time, or the stream's first frame: a good landing
                return self._decode_on(t_ms)
        raise LookupError(f"no frame at or before {t_ms:.0f} ms")


def _ms(frame: Any) -> float:
    return float(frame.pts * frame.time_base) * 1000


def _picture(frame: Any, sar: Fraction) -> Shown:
    width, height = display_size(frame.width, frame.height, sar)
    gray = frame.reformat(width=width, height=height, format="gray").to_ndarray()
    picture = upright(np.asarray(gray, dtype=np.uint8), round(frame.rotation or 0))
    return Shown(_ms(frame), picture)
