"""What a run produced: per video its files, failures, QC findings, notes and stage times."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.findings import Finding
from pipeline.render.manifest import ManifestEntry


@dataclass
class VideoResult:
    """What one video's run produced and what failed."""

    name: str
    entries: list[ManifestEntry] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    qc: dict[str, list[Finding]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    burns: dict[str, dict[str, object]] = field(default_factory=dict)
    muxes: dict[str, dict[str, object]] = field(default_factory=dict)
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether every output was produced."""
        return not self.failures


@dataclass
class JobResult:
    """All videos' results."""

    videos: list[VideoResult]

    @property
    def ok(self) -> bool:
        """Whether every video succeeded completely."""
        return all(v.ok for v in self.videos)


@contextmanager
def timed(result: VideoResult, stage: str) -> Iterator[None]:
    """Add the time spent in the block to ``result``'s ``stage``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[stage] = result.seconds.get(stage, 0.0) + time.perf_counter() - start
