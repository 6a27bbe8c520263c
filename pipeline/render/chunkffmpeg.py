"""A chunk batch of tracks with animation, burned by ffmpeg: one process decodes a keyframe span once
and encodes the batch's chunks in it for every language that needs them (``split``)."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pysubs2

from pipeline.media.chunkargs import BurnStream, ChunkOutput, ChunkSettings, chunk_args
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.render.chunkbatch import ChunkJob
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkengine import store_chunks
from pipeline.render.chunks import Chunk, FrameTable, chunk_offset_ms, slice_ass


def encode_ffmpeg(
    video: Path,
    table: FrameTable,
    subs: Sequence[pysubs2.SSAFile],
    settings: ChunkSettings,
    batch: Sequence[ChunkJob],
    cache: ChunkCache,
    work: Path,
) -> dict[str, Path]:
    """Encode ``batch`` (``subs``: every request's track) with one ffmpeg in ``work``; check and cache its chunks.

    Raises:
        FfmpegError: when ffmpeg fails or libass reports a missing glyph.
        VerifyError: when a chunk does not hold exactly the source's frames.
    """
    streams, slots = _streams(table, subs, batch, work)
    outputs = [
        ChunkOutput(table.pts[job.chunk.first], table.end_pts(job.chunk.end), slot, work / f"{job.key}.mp4", job.stills)
        for job, slot in zip(batch, slots, strict=True)
    ]
    seek_us = math.floor((_seek_pts(table, batch[0].chunk) - table.start_ticks) * table.time_base * 1_000_000)
    seek = f"{max(seek_us, 0) // 1_000_000}.{max(seek_us, 0) % 1_000_000:06d}"
    ts = table.time_base.denominator if table.time_base.numerator == 1 else 0
    run_ffmpeg(chunk_args(video, seek, streams, outputs, settings, ts), cwd=work)
    return store_chunks(batch, [(out.target, out.stills_prefix) for out in outputs], cache)


def _streams(
    table: FrameTable, subs: Sequence[pysubs2.SSAFile], batch: Sequence[ChunkJob], work: Path
) -> tuple[list[BurnStream], list[int]]:
    """The batch's streams (one per request shown, one bare) and each job's stream index.

    A request's stream burns the events shown on any of its chunks here, re-based to its first
    chunk: libass then shows, on each chunk's frames, what that chunk's key describes.
    """
    streams: list[BurnStream] = []
    slot: dict[int, int] = {}
    for job in batch:
        if job.request in slot:
            continue
        slot[job.request] = len(streams)
        mine = [j.chunk for j in batch if j.request == job.request]
        if job.request < 0 or job.font_key is None:
            streams.append(BurnStream(None, None, 0))
            continue
        span = Chunk(-1, min(c.first for c in mine), max(c.end for c in mine))
        first = min(mine, key=lambda c: c.first)
        text = slice_ass(subs[job.request], table, span, chunk_offset_ms(table, first)) or ""
        name = f"{job.key}.ass"
        (work / name).write_text(text, encoding="utf-8")
        streams.append(BurnStream(name, f"fonts-{job.font_key}", _clock_pts(table, first)))
    return streams, [slot[job.request] for job in batch]


def _seek_pts(table: FrameTable, chunk: Chunk) -> int:
    """The keyframe at or before the chunk's first frame: where its decoding starts."""
    i = bisect.bisect_right(table.keyframes, table.pts[chunk.first]) - 1
    return table.keyframes[i] if i >= 0 else table.pts[0]


def _clock_pts(table: FrameTable, chunk: Chunk) -> int:
    offset_ticks = int(Fraction(chunk_offset_ms(table, chunk), 1000) / table.time_base)
    return table.clock_ticks + offset_ticks
