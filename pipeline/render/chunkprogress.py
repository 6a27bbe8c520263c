"""Progress of a chunked burn: chunk outputs done of total, source frames per second, time left;
and, logged at INFO (``-v``), what it reuses from the cache and which chunks it encodes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline.core.timecode import format_clock
from pipeline.media.ffmpeg import ProgressFn

logger = logging.getLogger(__name__)
MAX_RANGES = 12


class _Job(Protocol):
    """What the tracker reads of a chunk job: its frames, and the request it burns (-1: none)."""

    @property
    def chunk(self) -> _Frames: ...

    @property
    def request(self) -> int: ...


class _Frames(Protocol):
    @property
    def index(self) -> int: ...

    @property
    def first(self) -> int: ...

    @property
    def end(self) -> int: ...


@dataclass(frozen=True)
class ChunkProgress:
    """Where an encode stands: chunk outputs done of total, source frames per second, seconds left."""

    done: int
    total: int
    fps: float
    eta_s: float
    cached: int = 0
    """Chunk outputs the cache already held (not part of ``total``: nothing to encode)."""


ChunkProgressFn = Callable[[ChunkProgress], None]


class Tracker:
    """Reports each finished batch to the fraction callback and the chunk callback."""

    def __init__(
        self,
        batches: Sequence[Sequence[_Job]],
        fraction: ProgressFn | None,
        chunks: ChunkProgressFn | None,
        cached: int = 0,
    ):
        self.fraction, self.chunks, self.cached = fraction, chunks, cached
        self.total = sum(len(b) for b in batches)
        self.total_frames = sum(j.chunk.end - j.chunk.first for b in batches for j in b)
        self.done = self.frames = 0
        self.started = time.monotonic()

    def batch_done(self, batch: Sequence[_Job]) -> None:
        self.done += len(batch)
        self.frames += sum(j.chunk.end - j.chunk.first for j in batch)
        fps = self.frames / max(time.monotonic() - self.started, 1e-6)
        if self.fraction:
            self.fraction(0.95 * self.done / max(self.total, 1))
        if self.chunks:
            eta = (self.total_frames - self.frames) / fps
            self.chunks(ChunkProgress(self.done, self.total, fps, eta, self.cached))

    def all_cached(self) -> None:
        """Say that every chunk output came from the cache (when there was nothing to encode)."""
        if self.chunks and not self.total:
            self.chunks(ChunkProgress(0, 0, 0.0, 0.0, self.cached))


def log_plan(
    video: str,
    names: Sequence[str],
    chunks: int,
    missing: Sequence[_Job],
    cached: int,
    ms: Callable[[int], float],
    force: bool = False,
) -> None:
    """Log what a chunked burn of ``names`` (the cuts) reuses and encodes: chunk outputs from the
    cache, and per cut (and for the bare picture) the chunks encoded, by index and time span
    (``ms``: a frame's time)."""
    why = "--force: the cache is not read" if force else f"{cached} chunk output(s) from the cache"
    logger.info(
        "%s: chunked burn of %s: %d chunk(s); %s, %d to encode", video, ", ".join(names), chunks, why, len(missing)
    )
    for request in sorted({job.request for job in missing}):
        mine = sorted({(j.chunk.index, j.chunk.first, j.chunk.end) for j in missing if j.request == request})
        who = names[request] if request >= 0 else "the picture without subtitles (shared by every cut)"
        logger.info("%s: encoding chunk(s) %s", who, _ranges(mine, ms))


def _ranges(chunks: Sequence[tuple[int, int, int]], ms: Callable[[int], float]) -> str:
    """``1 (0:00:02.002-0:00:04.371), 3-4 (...)``: runs of consecutive chunks with their time span."""
    runs: list[list[tuple[int, int, int]]] = []
    for chunk in chunks:
        if runs and runs[-1][-1][0] == chunk[0] - 1:
            runs[-1].append(chunk)
        else:
            runs.append([chunk])
    parts = []
    for run in runs[:MAX_RANGES]:
        first, last = run[0], run[-1]
        number = f"{first[0]}" if first is last else f"{first[0]}-{last[0]}"
        parts.append(f"{number} ({format_clock(int(ms(first[1])))}-{format_clock(int(ms(last[2] - 1)))})")
    more = f" and {len(runs) - MAX_RANGES} more run(s)" if len(runs) > MAX_RANGES else ""
    return ", ".join(parts) + more
