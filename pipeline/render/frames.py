"""Decoded pictures in display geometry: the frame shown at a time, pixel aspect and rotation applied."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from pipeline.render.framecursor import Cursor
from pipeline.render.framecursor import frame_ms as _ms

Gray = npt.NDArray[np.uint8]
CONTINUE_MS = 3000.0
"""Decode on from the frame in hand, rather than seek, when the next time is at most this much later,
where the keyframes are not known: about what a seek costs in a source with a keyframe every 6 s (it
decodes from the keyframe before the time). Decoding on is exact (it is how a player gets there); a
seek is the shortcut."""


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


def iter_frames_shown(
    path: str | Path, stream_index: int, times_ms: Iterable[float], sar: Fraction, keyframes_ms: Sequence[float] = ()
) -> Iterator[Shown]:
    """:func:`frames_shown`, one time after the other: ``times_ms`` is read lazily (a later time may be
    computed from an earlier result); ascending times cost least (see :data:`CONTINUE_MS`), and known
    keyframes (:class:`pipeline.render.framecursor.Cursor`) less."""
    cursor = open_cursor(path, stream_index, keyframes_ms=keyframes_ms)
    try:
        for t in times_ms:
            yield picture_of(cursor.shown_at(t), sar)
    finally:
        cursor.close()


def open_cursor(
    path: str | Path, stream_index: int, *, skip: bool = True, keyframes_ms: Sequence[float] = ()
) -> Cursor:
    """A decoder at the start of stream ``stream_index`` of ``path`` (close it when done); ``skip``: it may
    skip pictures that none of the frames it returns depends on (:mod:`pipeline.render.framecursor`);
    ``keyframes_ms``: where the stream has keyframes, as far as known (where it seeks).

    Raises:
        av.error.FFmpegError: when the file cannot be opened.
        LookupError: when it has no such stream.
    """
    container = av.open(str(path))
    stream = next((s for s in container.streams if s.index == stream_index), None)
    if stream is None:
        container.close()
        raise LookupError(f"no stream {stream_index} in {path}")
    return Cursor(container, stream, CONTINUE_MS, skip, sorted(keyframes_ms))


def picture_of(frame: Any, sar: Fraction) -> Shown:
    """A decoded frame as :class:`Shown`: grey, in display geometry."""
    width, height = display_size(frame.width, frame.height, sar)
    gray = frame.reformat(width=width, height=height, format="gray").to_ndarray()
    picture = upright(np.asarray(gray, dtype=np.uint8), round(frame.rotation or 0))
    return Shown(_ms(frame), picture)


@dataclass
class _Memo:
    lo: float  # on screen at the times t with lo <= t + 0.5 < hi
    hi: float
    shown: Shown


class FrameMemo:
    """The frames of one video stream shown at requested times, each decoded and converted once,
    shared by threads (the verifications of one burn ask the source for mostly the same frames).

    A time whose frame is held is answered without decoding. A miss decodes with one cursor for all
    callers; on the way it also takes every :meth:`plan`-ned time not yet held between the cursor and
    the time asked, so that planned times are decoded in one ascending pass whatever order the
    callers come in. The pictures kept are bounded by ``budget`` bytes (the least recently used go
    first: asked again, they are decoded again). Each answer is the frame :func:`frames_shown` finds.
    """

    def __init__(self, path: str | Path, stream_index: int, sar: Fraction, budget: int = 512 << 20) -> None:
        self.path, self.stream_index, self.sar, self.budget = str(path), stream_index, sar, budget
        self.decoded = 0  # times the decoder was moved to a time (each a seek or decoding on)
        self.hits = 0  # times answered from the pictures held, without the decoder
        self._held: OrderedDict[float, _Memo] = OrderedDict()  # by the frame's pts (ms), least recently used first
        self._planned: list[float] = []
        self.keyframes_ms: list[float] = []  # where the stream has keyframes, as far as known (planned)
        self._bytes = 0  # of the pictures held
        self._frame_bytes = 0  # of the last picture decoded (0: none yet)
        self._lock = threading.Lock()  # the pictures held, the plan, the counts
        self._decoding = threading.Lock()  # the cursor
        self._cursor: Cursor | None = None
        self._closed = False

    def plan(self, times_ms: Iterable[float], keyframes_ms: Iterable[float] = ()) -> None:
        """Times (ms on the stream's clock) that will be asked for, and times of keyframes of the stream
        (as far as known: where the cursor seeks, :class:`pipeline.render.framecursor.Cursor`)."""
        with self._lock:
            self._planned = sorted({*self._planned, *times_ms})
            self.keyframes_ms = sorted({*self.keyframes_ms, *keyframes_ms})

    def shown_at(self, t_ms: float) -> Shown:
        """The frame on screen at ``t_ms`` (as :func:`frames_shown`).

        Raises:
            av.error.FFmpegError: when the file cannot be decoded.
            LookupError: when no frame can be found for the time, or a miss comes after :meth:`close`.
        """
        if (found := self._find(t_ms)) is not None:
            return found
        with self._decoding:
            if (found := self._find(t_ms)) is not None:  # decoded by another caller meanwhile
                return found
            if self._closed:
                raise LookupError(f"the frames of {self.path} are no longer read")  # a caller left behind
            if self._cursor is None:
                self._cursor = open_cursor(self.path, self.stream_index)
            with self._lock:
                self._cursor.keyframes_ms = self.keyframes_ms
            try:
                for t in self._on_the_way(self._cursor, t_ms):
                    if not self._holds(t):  # not in the frame of a time just before it
                        self._decode(self._cursor, t)
                return self._decode(self._cursor, t_ms)
            except BaseException:
                self._cursor.close()  # where it stands is unknown: the next miss opens the file again
                self._cursor = None
                raise

    def prefetch(self, stop: threading.Event, budget: int | None = None) -> None:
        """Decode the :meth:`plan`-ned times not held yet, in ascending order: run in a thread of its own
        while the callers get ready (probing their cuts), they then find their frames held
        (:func:`prefetching`). Stops once one more picture would not fit in the budget (it would push out
        one no caller has taken yet, to be decoded twice), at the first error (a caller meets it again
        when it asks), when ``stop`` is set or the memo closed. ``budget``: a smaller bound (bytes) for the
        pictures held, for a prefetch while other work needs the memory."""
        with self._lock:
            planned = list(self._planned)
        for t in planned:
            if stop.is_set() or self._closed or not self._room(budget):
                return
            try:
                self.shown_at(t)
            except Exception:  # a caller meets it again when it asks; this thread reports nothing
                return

    def _room(self, budget: int | None = None) -> bool:
        with self._lock:
            return self._bytes + self._frame_bytes <= min(self.budget, budget or self.budget)

    def close(self) -> None:
        """Close the file and drop the pictures."""
        with self._decoding, self._lock:
            self._closed = True
            if self._cursor is not None:
                self._cursor.close()
                self._cursor = None
            self._held.clear()
            self._bytes = 0

    def __enter__(self) -> FrameMemo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _find(self, t_ms: float) -> Shown | None:
        with self._lock:
            for pts, memo in self._held.items():
                if memo.lo <= t_ms + 0.5 < memo.hi:
                    self._held.move_to_end(pts)
                    self.hits += 1
                    return memo.shown
        return None

    def _on_the_way(self, cursor: Cursor, t_ms: float) -> list[float]:
        """The planned times not held from the cursor's frame (the start of the stream) to ``t_ms``."""
        start = _ms(cursor.held) if cursor.held is not None else float("-inf")
        if start > t_ms + 0.5:
            return []  # behind the cursor: only the time asked is decoded again
        with self._lock:
            planned = [t for t in self._planned if start <= t + 0.5 and t < t_ms]
        return [t for t in planned if not self._holds(t)]

    def _holds(self, t_ms: float) -> bool:
        with self._lock:
            return any(m.lo <= t_ms + 0.5 < m.hi for m in self._held.values())

    def _decode(self, cursor: Cursor, t_ms: float) -> Shown:
        frame = cursor.shown_at(t_ms)
        lo, hi = cursor.span(t_ms)
        pts = _ms(frame)
        with self._lock:
            self.decoded += 1
            memo = self._held.get(pts)
        if memo is None:
            memo = _Memo(lo, hi, picture_of(frame, self.sar))
            with self._lock:
                self._held[pts] = memo
                self._frame_bytes = memo.shown.picture.nbytes
                self._bytes += self._frame_bytes
                self._evict()
        elif lo < hi and lo <= memo.hi and memo.lo <= hi:  # held already, asked where its span did not reach
            with self._lock:
                memo.lo, memo.hi = min(memo.lo, lo), max(memo.hi, hi)
        return memo.shown

    def _evict(self) -> None:
        while len(self._held) > 1 and self._bytes > self.budget:
            _pts, gone = self._held.popitem(last=False)
            self._bytes -= gone.shown.picture.nbytes


@contextmanager
def prefetching(memo: FrameMemo, on: bool = True, budget: int | None = None) -> Iterator[None]:
    """:meth:`FrameMemo.prefetch` (within ``budget`` bytes) in a thread of its own (named ``source-frames``)
    while the block runs (``on``); stopped and joined when the block ends, however it ends."""
    stop = threading.Event()
    ahead = threading.Thread(target=memo.prefetch, args=(stop, budget), name="source-frames", daemon=True)
    try:
        if on:
            ahead.start()
        yield
    finally:
        stop.set()  # what no caller asked for (one that stopped early) is not decoded
        if ahead.is_alive():
            ahead.join()
