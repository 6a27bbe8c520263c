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
class Reuse:
    """What one stage of a video's run made and what it kept: outputs made now, outputs the last
    manifest proved unchanged (``kept``), and of a chunked burn's chunk outputs, how many were
    encoded and how many came from the chunk cache."""

    made: int = 0
    kept: int = 0
    encoded: int = 0
    cached: int = 0

    def describe(self) -> str:
        """``unchanged`` when everything was kept, else what was made and kept (``2 made; 3/5 chunks from cache``)."""
        if self.kept and not self.made:
            return "unchanged"
        made = ", ".join([f"{self.made} made"] * bool(self.made) + [f"{self.kept} unchanged"] * bool(self.kept))
        chunks = self.encoded + self.cached
        cached = f"{self.cached}/{chunks} chunks from cache" if chunks else ""
        return "; ".join(part for part in (made, cached) if part)


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
    reuse: dict[str, Reuse] = field(default_factory=dict)
    """Per stage (``burn``, ``mux``): what was made and what was kept from the last run."""
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether every output was produced."""
        return not self.failures

    def reuse_of(self, stage: str) -> Reuse:
        """The :class:`Reuse` of ``stage`` (created empty)."""
        return self.reuse.setdefault(stage, Reuse())


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
