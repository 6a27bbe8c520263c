"""The libx264 side of in-process chunks: each chunk's encoder and MP4, and its review stills.

An encoder has the ffmpeg engine's settings (IDR first, ``stitchable``, one thread, bit-exact MP4 in
the source's time base); see :mod:`pipeline.render.inproc`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from pipeline.media.chunkargs import ChunkSettings, stills_prefix
from pipeline.media.stills import JPEG_QUALITY, STILL_WIDTH
from pipeline.render.chunks import Chunk, FrameTable


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
class Open:
    """A chunk being encoded: its output, MP4, stream, first pts and the stills tapped so far."""

    out: InprocOutput
    container: Any
    stream: Any
    first_pts: int
    stills_done: int = 0


def open_chunk(out: InprocOutput, table: FrameTable, settings: ChunkSettings, size: tuple[int, int]) -> Open:
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
    return Open(out, container, stream, table.pts[out.chunk.first])


def encode_frame(item: Open, picture: Any, index: int, pts: int) -> None:
    """Hand source frame ``index`` (at ``pts`` in its chunk) to the chunk's encoder; tap its still."""
    picture.pts = pts
    picture.time_base = item.stream.codec_context.time_base
    for packet in item.stream.encode(picture):
        item.container.mux(packet)
    if index - item.out.chunk.first in item.out.stills:
        item.stills_done += 1
        still(picture, f"{item.out.stills_prefix}000_{item.stills_done:05d}.jpg")


def close_chunk(item: Open) -> None:
    """Flush the chunk's encoder into its MP4 and close it."""
    for packet in item.stream.encode(None):
        item.container.mux(packet)
    item.container.close()


def still(picture: Any, path: str) -> None:
    """Write ``picture``, scaled to the review width, as a JPEG (as the ffmpeg engine taps it)."""
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
