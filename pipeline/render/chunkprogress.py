"""Progress of a chunked burn: chunk outputs done of total, source frames per second, time left."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pipeline.media.ffmpeg import ProgressFn


class _Job(Protocol):
    """What the tracker reads of a chunk job: its frames."""

    @property
    def chunk(self) -> _Frames: ...


class _Frames(Protocol):
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


ChunkProgressFn = Callable[[ChunkProgress], None]


class Tracker:
    """Reports each finished batch to the fraction callback and the chunk callback."""

    def __init__(self, batches: Sequence[Sequence[_Job]], fraction: ProgressFn | None, chunks: ChunkProgressFn | None):
        self.fraction, self.chunks = fraction, chunks
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
            self.chunks(ChunkProgress(self.done, self.total, fps, (self.total_frames - self.frames) / fps))
