"""In-process chunks encoded in threads: one decode of the source feeds an encoder thread per lane.

PyAV releases the GIL while libx264 encodes a frame (``avcodec_send_frame``/``receive_packet``, one
x264 thread each) and while the source decodes, so the encoders of two languages can run on two
cores inside one process that decodes each frame once, instead of two processes that each decode
it. Each lane (:class:`pipeline.render.inproc.Lane`) gets the same frames in the same order as
:func:`pipeline.render.inproc.encode_run` would give it, so its chunks have the same bytes.

Lanes covering the same frames share one decoder thread, which packs frames into a small ring of
blocks; a block returns to the ring when every lane of its decoder has encoded it. Lanes covering
different frames get a decoder each. An error in any thread stops every other one at its next
block; every thread is joined before :func:`encode_lanes` returns or raises.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.media.chunkargs import ChunkSettings
from pipeline.render.chunks import FrameTable
from pipeline.render.inproc import BLOCK_BYTES, InprocOutput, Lane, States, decoded_blocks, span, zeroed_heap
from pipeline.render.overlay import Overlay

RING = 3  # blocks per decoder: one being filled, the others being encoded
WAIT_S = 0.1  # how often a waiting thread looks whether the batch was stopped
_Item = tuple[int, list[int]] | None  # a block of the ring and the frames it holds; None: no more
DECODER, ENCODER = "inproc-decoder", "inproc-encoder"  # the threads' names (a decoder's: DECODER-n)


class _StoppedError(Exception):
    """The batch stopped (an error elsewhere): a thread leaves."""


class _Ring:
    """A decoder's blocks of packed frames, each back in the ring once every lane has encoded it."""

    def __init__(self, users: int, stop: threading.Event) -> None:
        self.users, self.stop = users, stop
        self.blocks: list[npt.NDArray[np.uint8]] = []
        self.free: queue.Queue[int] = queue.Queue()
        self.left: dict[int, int] = {}
        self.lock = threading.Lock()

    def take(self, shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
        """An empty block (waits for one when all are in use; raises :class:`_StoppedError` if stopped)."""
        if len(self.blocks) < RING:
            self.blocks.append(np.zeros((max(1, BLOCK_BYTES // (RING * math.prod(shape))), *shape), np.uint8))
            return self.blocks[-1]
        while True:
            if self.stop.is_set():
                raise _StoppedError
            try:
                return self.blocks[self.free.get(timeout=WAIT_S)]
            except queue.Empty:
                continue

    def handed(self, block: npt.NDArray[np.uint8]) -> int:
        """The number of ``block``, now handed to every lane."""
        number = next(n for n, b in enumerate(self.blocks) if b is block)
        with self.lock:
            self.left[number] = self.users
        return number

    def release(self, number: int) -> None:
        """One lane is done with block ``number``."""
        with self.lock:
            self.left[number] -= 1
            if self.left[number] == 0:
                self.free.put(number)


def encode_lanes(
    video: Path,
    table: FrameTable,
    lanes: Sequence[Sequence[InprocOutput]],
    overlays: Sequence[Overlay],
    settings: ChunkSettings,
) -> None:
    """Encode each lane of outputs in a thread of its own; lanes over the same frames share a decoder.

    Raises:
        av.error.FFmpegError: when the source cannot be decoded or a chunk cannot be written (the
            first error of any thread; the others are stopped and joined first).
    """
    zeroed_heap()
    stop, errors = threading.Event(), list[BaseException]()
    by_span: dict[tuple[int, int], list[Sequence[InprocOutput]]] = {}
    for lane in (lane for lane in lanes if lane):
        by_span.setdefault(span(lane), []).append(lane)
    threads = []
    for n, (frames, members) in enumerate(by_span.items()):
        ring = _Ring(len(members), stop)
        feeds = [queue.Queue[_Item]() for _ in members]
        decode = (_decode, (video, table, frames, ring, feeds))  # started before its lanes (see _encode)
        threads.append(threading.Thread(target=_guarded, args=(*decode, stop, errors), name=f"{DECODER}-{n}"))
        for m, (lane, feed) in enumerate(zip(members, feeds, strict=True)):
            encode = (_encode, (Lane(table, settings, lane, States(overlays)), ring, feed))
            threads.append(threading.Thread(target=_guarded, args=(*encode, stop, errors), name=f"{ENCODER}-{n}-{m}"))
    try:
        for thread in threads:
            thread.start()
        _join(threads)
    except BaseException:  # KeyboardInterrupt while joining: stop every thread, wait for them
        stop.set()
        _join(threads)
        raise
    if errors:
        raise errors[0]


def _join(threads: Sequence[threading.Thread]) -> None:
    for thread in threads:
        while thread.is_alive():
            thread.join(WAIT_S)


def _guarded(
    target: Callable[..., None], args: tuple[object, ...], stop: threading.Event, errors: list[BaseException]
) -> None:
    try:
        target(*args)
    except _StoppedError:
        pass
    except BaseException as exc:  # handed to the caller's thread, which raises it
        errors.append(exc)
        stop.set()


def _decode(
    video: Path,
    table: FrameTable,
    frames: tuple[int, int],
    ring: _Ring,
    feeds: Sequence[queue.Queue[_Item]],
) -> None:
    """Decode ``frames`` once into the ring's blocks, handing each block to every lane's feed."""
    try:
        for block, indices in decoded_blocks(video, table, frames, ring.take):
            if ring.stop.is_set():
                raise _StoppedError
            number = ring.handed(block)
            for feed in feeds:
                feed.put((number, indices))
    finally:
        for feed in feeds:
            feed.put(None)


def _encode(lane: Lane, ring: _Ring, feed: queue.Queue[_Item]) -> None:
    """Encode every block the feed hands over (after a stop: only give the blocks back), then close.

    A stop is seen while waiting too: a decoder that never started (its start failed, or Ctrl-C came
    before it) never hands over the end of the feed.
    """
    try:
        while (item := _next(feed, ring.stop)) is not None:
            number, indices = item
            try:
                if not ring.stop.is_set():
                    lane.encode(ring.blocks[number], indices)
            finally:
                ring.release(number)
    finally:
        lane.abandon()


def _next(feed: queue.Queue[_Item], stop: threading.Event) -> _Item:
    """The feed's next item (raises :class:`_StoppedError` when the batch stops while it waits)."""
    while True:
        try:
            return feed.get(timeout=WAIT_S)
        except queue.Empty:
            if stop.is_set():
                raise _StoppedError from None
