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

from pipeline.media.chunkargs import ChunkSettings
from pipeline.media.stills import JPEG_QUALITY, STILL_WIDTH
from pipeline.render.chunks import Chunk, FrameTable
from pipeline.render.overlay import Drawn, Overlay, Planes, composite

ENGINE = f"pyav-{av.__version__}-libavcodec-{'.'.join(map(str, av.library_versions['libavcodec']))}"
"""What encodes in-process chunks (part of their keys: another PyAV may give other bytes)."""
M_PERTURB = -6  # glibc's mallopt parameter
SEEK_TRIES = 3


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
        return str(self.target.with_suffix("")) + ".s"


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
    by_first: dict[int, list[InprocOutput]] = {}
    for out in outputs:
        by_first.setdefault(out.chunk.first, []).append(out)
    states = _States(overlays)
    open_: list[_Open] = []
    scratch: _Scratch | None = None
    try:
        for frame in _frames_from(video, table, first):
            index = bisect.bisect_left(table.pts, frame.pts)
            if index >= end:
                break
            if table.pts[index] != frame.pts:
                continue  # a frame the demuxer does not show (the chunk's frame count then fails)
            size = (frame.width, frame.height)
            if scratch is None:
                scratch = _Scratch(*size)
            open_ += [_open(o, table, settings, size) for o in by_first.get(index, ())]
            now = _now_ms(table, table.pts[index])
            for item in open_:
                _encode_frame(item, frame, index, table.pts[index] - item.first_pts, now, states, scratch)
            for item in [i for i in open_ if index == i.out.chunk.end - 1]:
                _close(item)
                open_.remove(item)
    finally:
        for item in open_:
            item.container.close()


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
    """The millisecond libass sees for a frame: its time on the burn clock, truncated."""
    return math.floor((pts - table.clock_ticks) * table.time_base * 1000)


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
    stream.codec_context.thread_count = 1
    stream.time_base = tb
    stream.codec_context.open()
    return _Open(out, container, stream, table.pts[out.chunk.first])


def _encode_frame(item: _Open, frame: Any, index: int, pts: int, now: int, states: _States, scratch: _Scratch) -> None:
    """Encode frame ``index`` of the source (at ``pts`` in its chunk), burned with what is shown ``now``."""
    out = item.out
    k = -1
    if out.overlay >= 0:
        shown = states.overlays[out.overlay].index_at(now)
        k = shown if states.overlays[out.overlay].drawn(shown) else -1
    picture = scratch.picture(frame, states.get(out.overlay, k) if k >= 0 else ())
    picture.pts = pts
    picture.time_base = item.stream.codec_context.time_base
    for packet in item.stream.encode(picture):
        item.container.mux(packet)
    if index - out.chunk.first in out.stills:
        item.stills_done += 1
        _still(picture, f"{out.stills_prefix}000_{item.stills_done:05d}.jpg")


class _Scratch:
    """The one picture handed to the encoders, reused for every output and frame.

    A packed yuv420p array wrapped without a copy: no frame is allocated per output (with the
    zeroed heap every allocation is written twice). Each encoder copies the picture when it is
    handed over, so the next output can overwrite it.
    """

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        size = width * height * 3 // 2
        flat = np.zeros(size, np.uint8)
        self.packed = flat.reshape(height * 3 // 2, width)
        luma, chroma = width * height, (width // 2) * (height // 2)
        self.planes: Planes = [
            self.packed[:height],
            flat[luma : luma + chroma].reshape(height // 2, width // 2),
            flat[luma + chroma :].reshape(height // 2, width // 2),
        ]

    def picture(self, frame: Any, state: Sequence[Drawn]) -> Any:
        """``frame``'s pixels (and nothing else of it: its picture type would force keyframes, its
        colour properties make libx264 reconfigure x264), ``state`` burned in, as a new frame."""
        for src, dst in zip(frame.planes, self.planes, strict=True):
            rows = np.frombuffer(memoryview(src), np.uint8).reshape(-1, src.line_size)
            dst[...] = rows[: dst.shape[0], : dst.shape[1]]
        if state:
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
