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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from pipeline.media.chunkargs import ChunkSettings, stills_prefix
from pipeline.media.stills import JPEG_QUALITY, STILL_WIDTH
from pipeline.render.chunks import Chunk, FrameTable
from pipeline.render.overlay import Drawn, Overlay, Planes, composite

ENGINE = f"pyav-{av.__version__}-libavcodec-{'.'.join(map(str, av.library_versions['libavcodec']))}"
"""What encodes in-process chunks (part of their keys: another PyAV may give other bytes)."""
M_PERTURB = -6  # glibc's mallopt parameter
SEEK_TRIES = 3
BLOCK_BYTES = 16 << 20  # decoded frames gathered before the outputs encode them


@dataclass(frozen=True)
class InprocOutput:
    """One chunk to encode: its frames, the overlay it burns (-1: none), where it goes, its stills."""

    chunk: Chunk
    overlay: int
    target: Path
    stills: tuple[int, ...] = ()

    @property
    def stills_prefix(self) -> str:
        """Where its stills go (as the ffmpeg engine names them)."""
        return stills_prefix(self.target)


@dataclass
class _Open:
    out: InprocOutput
    container: Any
    stream: Any
    first_pts: int
    stills_done: int = 0


@dataclass
class _States:
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
    first = min(out.chunk.first for out in outputs)
    end = max(out.chunk.end for out in outputs)
    run = _Run(table, settings, outputs, _States(overlays))
    try:
        for frame in _frames_from(video, table, first):
            index = bisect.bisect_left(table.pts, frame.pts)
            if index >= end:
                break
            if table.pts[index] != frame.pts:
                continue  # a frame the demuxer does not show (the chunk's frame count then fails)
            run.add(frame, index)
        run.flush()
    finally:
        for item in run.open:  # an error: close what is open, each on its own (the first error stands)
            with contextlib.suppress(Exception):
                item.container.close()


class _Run:
    """Decoded frames gathered a block at a time, then each open output encodes the whole block.

    One encoder after the other over a few dozen frames keeps each x264's working set in the CPU's
    caches; handing every frame to every encoder in turn made x264 a fifth slower with four outputs.
    """

    def __init__(self, table: FrameTable, settings: ChunkSettings, outputs: Sequence[InprocOutput], states: _States):
        self.table, self.settings, self.states = table, settings, states
        self.by_first: dict[int, list[InprocOutput]] = {}
        for out in outputs:
            self.by_first.setdefault(out.chunk.first, []).append(out)
        self.open: list[_Open] = []
        self.indices: list[int] = []
        self.block: npt.NDArray[np.uint8] | None = None
        self.scratch: _Scratch | None = None

    def add(self, frame: Any, index: int) -> None:
        """Keep a packed copy of decoded frame ``index``; encode the block once it is full."""
        if self.block is None:
            self.scratch = _Scratch(frame.width, frame.height)
            count = max(1, BLOCK_BYTES // self.scratch.packed.nbytes)
            self.block = np.zeros((count, *self.scratch.packed.shape), np.uint8)
        _pack(frame, self.block[len(self.indices)])
        self.indices.append(index)
        if len(self.indices) == len(self.block):
            self.flush()

    def flush(self) -> None:
        """Encode the gathered frames with every output they belong to, a segment between chunk
        starts at a time (the chunks ending in it are closed before the next ones open)."""
        if not self.indices or self.block is None or self.scratch is None:
            return
        size = (self.scratch.width, self.scratch.height)
        cuts = [n for n, index in enumerate(self.indices) if n == 0 or index in self.by_first]
        for start, stop in zip(cuts, [*cuts[1:], len(self.indices)], strict=True):
            self.open += [_open(o, self.table, self.settings, size) for o in self.by_first.get(self.indices[start], ())]
            for item in self.open:
                for slot in range(start, stop):
                    index = self.indices[slot]
                    if item.out.chunk.first <= index < item.out.chunk.end:
                        pts = self.table.pts[index]
                        picture = self._picture(item.out, self.block[slot], _now_ms(self.table, pts))
                        _encode(item, picture, index, pts - item.first_pts)
            for item in [i for i in self.open if i.out.chunk.end - 1 <= self.indices[stop - 1]]:
                _close(item)
                self.open.remove(item)
        self.indices = []

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
    try:
        libc = ctypes.CDLL(None)
        return bool(libc.mallopt(M_PERTURB, 0xFF))  # malloc fills with 0xFF ^ 0xFF = 0
    except (OSError, AttributeError):
        return False


def _now_ms(table: FrameTable, pts: int) -> int:
    """The millisecond libass sees for a frame, computed as ffmpeg's ``subtitles`` filter computes it
    (the frame's time on the burn clock, in double precision, truncated)."""
    return int((pts - table.clock_ticks) * (table.time_base.numerator / table.time_base.denominator) * 1000)


def _open(out: InprocOutput, table: FrameTable, settings: ChunkSettings, size: tuple[int, int]) -> _Open:
    """The chunk's MP4 and libx264 encoder, opened (the ffmpeg engine's settings and muxing)."""
    tb = table.time_base
    options = {"fflags": "+bitexact"}
    if tb.numerator == 1:
        options["video_track_timescale"] = str(tb.denominator)
    container = av.open(str(out.target), "w", format="mp4", options=options)
    codec = {"preset": settings.preset, "crf": str(settings.crf), "x264-params": settings.x264_params()}
    codec["flags"] = "+bitexact"
    codec.update({k.lstrip("-"): v for k, v in zip(settings.colour[::2], settings.colour[1::2], strict=True)})
    stream = container.add_stream("libx264", options=codec)
    stream.width, stream.height = size
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = tb
    if table.rate:  # as ffmpeg gives its encoders: the stream's rate in the SPS, and the cut's
        stream.codec_context.framerate = table.rate
    stream.codec_context.thread_count = 1
    stream.time_base = tb
    stream.codec_context.open()
    return _Open(out, container, stream, table.pts[out.chunk.first])


def _encode(item: _Open, picture: Any, index: int, pts: int) -> None:
    """Hand source frame ``index`` (at ``pts`` in its chunk) to the chunk's encoder; tap its still."""
    picture.pts = pts
    picture.time_base = item.stream.codec_context.time_base
    for packet in item.stream.encode(picture):
        item.container.mux(packet)
    if index - item.out.chunk.first in item.out.stills:
        item.stills_done += 1
        _still(picture, f"{item.out.stills_prefix}000_{item.stills_done:05d}.jpg")


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


def _close(item: _Open) -> None:
    for packet in item.stream.encode(None):
        item.container.mux(packet)
    item.container.close()


def _still(picture: Any, path: str) -> None:
    height = max(2, math.trunc(STILL_WIDTH * picture.height / picture.width / 2) * 2)
    small = picture.reformat(width=STILL_WIDTH, height=height, format="yuvj420p", interpolation="BICUBIC")
    codec = av.codec.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = STILL_WIDTH, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.qmin = codec.qmax = JPEG_QUALITY
    codec.qscale = True
    codec.global_quality = JPEG_QUALITY * 118
    data = b"".join(bytes(p) for p in codec.encode(small)) + b"".join(bytes(p) for p in codec.encode(None))
    Path(path).write_bytes(data)
