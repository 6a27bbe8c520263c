"""Chunks encoded in this process: decode a run of frames once, burn each language's overlay, encode.

The engine of a chunked burn whose tracks are static (:func:`pipeline.render.overlay.is_static`):
PyAV decodes the source from the keyframe before a run of chunks, each frame is composited with
each language's libass overlay (:mod:`pipeline.render.overlay`) and handed to that chunk's own
libx264 encoder, with the settings of the ffmpeg engine (IDR first, ``stitchable``, one thread,
bit-exact MP4 in the source's time base). An encoder lives as long as its chunk, so memory grows
with the outputs of one chunk (at most ``group``), not with the length of the run; no process starts
per chunk, and libass runs once per track instead of on every frame.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import functools
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from pipeline.media.chunkargs import ChunkSettings
from pipeline.render.chunks import FrameTable
from pipeline.render.inprocx264 import InprocOutput as InprocOutput
from pipeline.render.inprocx264 import Open, close_chunk, encode_frame, open_chunk
from pipeline.render.overlay import Drawn, Overlay, Planes, composite

ENGINE = f"pyav-{av.__version__}-libavcodec-{'.'.join(map(str, av.library_versions['libavcodec']))}"
"""What encodes in-process chunks (part of their keys: another PyAV may give other bytes)."""
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_PERTURB = -1, -3, -6  # glibc's mallopt parameters
MMAP_THRESHOLD_BYTES = 32 << 20  # the largest glibc takes on 64 bits: every block of an encoder from the heap
KEPT_HEAP_BYTES = (1 << 31) - 1  # free memory at the heap top given back to the kernel past this (a C int)
SEEK_TRIES = 3
BLOCK_BYTES = 16 << 20  # decoded frames gathered before the outputs encode them


@dataclass
class States:
    """Decompressed overlay states, kept while frames still show them."""

    overlays: Sequence[Overlay]
    held: dict[tuple[int, int], list[Drawn]] = field(default_factory=dict)

    def get(self, overlay: int, k: int) -> list[Drawn]:
        key = (overlay, k)
        if key not in self.held:
            for old in [h for h in self.held if h[0] == overlay]:
                del self.held[old]
            self.held[key] = [(box, *box.arrays()) for box in self.overlays[overlay].states[k]]
        return self.held[key]


def encode_run(
    video: Path,
    table: FrameTable,
    outputs: Sequence[InprocOutput],
    overlays: Sequence[Overlay],
    settings: ChunkSettings,
) -> None:
    """Decode the frames of ``outputs``' chunks once and encode every output.

    Raises:
        av.error.FFmpegError: when the source cannot be decoded or a chunk cannot be written.
    """
    zeroed_heap()
    lane = Lane(table, settings, outputs, States(overlays))
    held: list[npt.NDArray[np.uint8]] = []

    def one_block(shape: tuple[int, ...]) -> npt.NDArray[np.uint8]:
        if not held:
            held.append(np.zeros((max(1, BLOCK_BYTES // math.prod(shape)), *shape), np.uint8))
        return held[0]

    try:
        for block, indices in decoded_blocks(video, table, span(outputs), one_block):
            lane.encode(block, indices)
    finally:
        lane.abandon()


def span(outputs: Sequence[InprocOutput]) -> tuple[int, int]:
    """The frames ``[first, end)`` that ``outputs``' chunks cover."""
    return min(out.chunk.first for out in outputs), max(out.chunk.end for out in outputs)


def decoded_blocks(
    video: Path,
    table: FrameTable,
    frames: tuple[int, int],
    take: Callable[[tuple[int, ...]], npt.NDArray[np.uint8]],
) -> Iterator[tuple[npt.NDArray[np.uint8], list[int]]]:
    """Frames ``[first, end)`` of ``video`` decoded once, packed into blocks (``take(shape)``: an
    empty block of packed frames of that shape), each yielded with the frame indices it holds."""
    first, end = frames
    block: npt.NDArray[np.uint8] | None = None
    indices: list[int] = []
    for frame in _frames_from(video, table, first):
        index = bisect.bisect_left(table.pts, frame.pts)
        if index >= end:
            break
        if table.pts[index] != frame.pts:
            continue  # a frame the demuxer does not show (the chunk's frame count then fails)
        if block is None:
            block = take((frame.height * 3 // 2, frame.width))
        _pack(frame, block[len(indices)])
        indices.append(index)
        if len(indices) == len(block):
            yield block, indices
            block, indices = None, []
    if block is not None and indices:
        yield block, indices


class Lane:
    """Outputs encoded from blocks of decoded frames: each open output encodes the whole block in turn.

    One encoder after the other over a few dozen frames keeps each x264's working set in the CPU's
    caches; handing every frame to every encoder in turn made x264 a fifth slower with four outputs.
    """

    def __init__(self, table: FrameTable, settings: ChunkSettings, outputs: Sequence[InprocOutput], states: States):
        self.table, self.settings, self.states = table, settings, states
        self.by_first: dict[int, list[InprocOutput]] = {}
        for out in outputs:
            self.by_first.setdefault(out.chunk.first, []).append(out)
        self.open: list[Open] = []
        self.scratch: _Scratch | None = None

    def encode(self, block: npt.NDArray[np.uint8], indices: Sequence[int]) -> None:
        """Encode the frames ``indices`` held in ``block`` with every output they belong to, a segment
        between chunk starts at a time (the chunks ending in it are closed before the next ones open)."""
        if not indices:
            return
        if self.scratch is None:
            self.scratch = _Scratch(block.shape[2], block.shape[1] * 2 // 3)
        size = (self.scratch.width, self.scratch.height)
        cuts = [n for n, index in enumerate(indices) if n == 0 or index in self.by_first]
        for start, stop in zip(cuts, [*cuts[1:], len(indices)], strict=True):
            self.open += [open_chunk(o, self.table, self.settings, size) for o in self.by_first.get(indices[start], ())]
            self._segment(block, indices, range(start, stop))
            self._close_ended(indices[stop - 1])

    def _segment(self, block: npt.NDArray[np.uint8], indices: Sequence[int], slots: range) -> None:
        """Encode the frames of ``slots`` with every open output whose chunk holds them, one after the other."""
        for item in self.open:
            for slot in slots:
                index = indices[slot]
                if item.out.chunk.first <= index < item.out.chunk.end:
                    pts = self.table.pts[index]
                    picture = self._picture(item.out, block[slot], _now_ms(self.table, pts))
                    encode_frame(item, picture, index, pts - item.first_pts)

    def _close_ended(self, last: int) -> None:
        """Flush and close the chunks that end by frame ``last``. Nothing holds one once it is closed (no
        loop variable of :meth:`encode`), so its encoder (115 MiB at 720p) is freed before the next
        chunk's opens; two lanes of a process hand over at the same frame."""
        ended = [item for item in self.open if item.out.chunk.end - 1 <= last]
        while ended:
            close_chunk(ended[0])  # still open in self.open if it fails: abandon() closes it
            self.open.remove(ended.pop(0))

    def abandon(self) -> None:
        """Close what is still open (after an error), each on its own (the first error stands)."""
        for item in self.open:
            with contextlib.suppress(Exception):
                item.container.close()
        self.open = []

    def _picture(self, out: InprocOutput, packed: npt.NDArray[np.uint8], now: int) -> Any:
        k = -1
        if out.overlay >= 0:
            shown = self.states.overlays[out.overlay].index_at(now)
            k = shown if self.states.overlays[out.overlay].drawn(shown) else -1
        if k < 0:  # nothing drawn: the packed frame itself (each encoder copies what it is given)
            return av.VideoFrame.from_numpy_buffer(packed, format="yuv420p")
        assert self.scratch is not None
        return self.scratch.burned(packed, self.states.get(out.overlay, k))


def _frames_from(video: Path, table: FrameTable, first: int) -> Iterator[Any]:
    """The decoded frames from frame ``first`` on: decoding starts at the keyframe before it (an
    earlier one when a demuxer such as MPEG-TS lands late; the file's start as a last resort)."""
    want = table.pts[first]
    before = [k for k in table.keyframes if k <= want][::-1][:SEEK_TRIES]
    for seek in [*before, None]:
        with av.open(str(video)) as source:
            stream = source.streams.video[0]
            stream.thread_count = 1
            if seek is not None:
                source.seek(seek, stream=stream, backward=True, any_frame=False)
            frames = (f for f in source.decode(stream) if f.pts is not None)
            head = next(frames, None)
            if head is None or (int(head.pts or 0) > want and seek is not None):
                continue  # landed after the frame (or nowhere): start earlier
            for frame in itertools.chain([head], frames):
                if int(frame.pts or 0) >= want:
                    yield frame
            return


@functools.cache
def zeroed_heap() -> bool:
    """Make every later ``malloc`` of this process return zeroed memory (glibc's ``M_PERTURB``; False
    where there is none).

    libx264 reads memory it allocated before writing it, and its output depends on whether that
    memory was zero: a fresh process (pages from the kernel) and a process that had freed memory
    before gave different bytes for the same chunk. With this the bytes are those of a fresh
    process, whatever ran here before. Each freed block is overwritten too: a few percent of CPU.
    """
    return _mallopt((M_PERTURB, 0xFF))  # malloc fills with 0xFF ^ 0xFF = 0


def keep_heap() -> bool:
    """Keep this process's freed memory for its next allocations (False where glibc refuses): for a
    worker process that encodes chunks and ends with the burn (:class:`pipeline.render.batchrun.ProcessRunner`'s
    ``prepare``), never a long-lived one (a studio's render process, a Dask worker), whose memory
    would stay at its highest for good.

    Each chunk's encoder allocates about 70 MiB. By default its large blocks are mappings of their
    own, given back when it closes, so the next chunk's encoder faults in (and the kernel clears)
    the same amount again: a page fault per 4 KiB, half the system time of a 1-language burn. Here
    blocks up to 32 MiB (glibc's largest on 64 bits) come from the heap and freed memory stays in it
    (``M_MMAP_THRESHOLD``, ``M_TRIM_THRESHOLD``): the next encoder reuses the pages (zeroed by
    :func:`zeroed_heap`, the bytes are the same). The worker holds no more than its peak.
    """
    return _mallopt((M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (M_TRIM_THRESHOLD, KEPT_HEAP_BYTES))


def _mallopt(*settings: tuple[int, int]) -> bool:
    """glibc's ``mallopt`` of each ``(parameter, value)`` in turn, until one is refused (False, as where
    there is no glibc)."""
    try:
        libc = ctypes.CDLL(None)
        return all(libc.mallopt(parameter, value) for parameter, value in settings)
    except (OSError, AttributeError):
        return False


def _now_ms(table: FrameTable, pts: int) -> int:
    """The millisecond libass sees for a frame, computed as ffmpeg's ``subtitles`` filter computes it
    (the frame's time on the burn clock, in double precision, truncated)."""
    return int((pts - table.clock_ticks) * (table.time_base.numerator / table.time_base.denominator) * 1000)


def _pack(frame: Any, packed: npt.NDArray[np.uint8]) -> None:
    """Copy a decoded yuv420p frame's pixels (and nothing else of it: its picture type would force
    keyframes, its colour properties make libx264 reconfigure x264) into a packed array."""
    for src, dst in zip(frame.planes, _planes(packed, frame.width, frame.height), strict=True):
        rows = np.frombuffer(memoryview(src), np.uint8).reshape(-1, src.line_size)
        dst[...] = rows[: dst.shape[0], : dst.shape[1]]


def _planes(packed: npt.NDArray[np.uint8], width: int, height: int) -> Planes:
    """The Y, U and V planes of a packed yuv420p picture, as views."""
    flat = packed.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return [
        packed[:height],
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    ]


class _Scratch:
    """The picture a burned output is handed, reused for every output and frame.

    A packed yuv420p array wrapped without a copy: no frame is allocated per output (with the
    zeroed heap every allocation is written twice). Each encoder copies the picture when it is
    handed over, so the next output can overwrite it.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.packed = np.zeros((height * 3 // 2, width), np.uint8)
        self.planes = _planes(self.packed, width, height)

    def burned(self, packed: npt.NDArray[np.uint8], state: Sequence[Drawn]) -> Any:
        """``packed`` with ``state`` burned in, as a frame over the scratch."""
        self.packed[...] = packed
        composite(self.planes, state)
        return av.VideoFrame.from_numpy_buffer(self.packed, format="yuv420p")
