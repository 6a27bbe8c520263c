"""The data of a subtitle track: cues with integer-millisecond times and their lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from pipeline.core.timecode import DEFAULT_FPS


@dataclass(frozen=True)
class Cue:
    """One subtitle event: shown from ``start_ms`` (inclusive) to ``end_ms`` (exclusive)."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    segment_id: str = ""

    @property
    def text(self) -> str:
        """The lines joined with newlines."""
        return "\n".join(self.lines)

    @property
    def duration_ms(self) -> int:
        """How long the cue is shown."""
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Track:
    """All cues of one language, in time order."""

    lang: str
    cues: tuple[Cue, ...]
    fps: Fraction = field(default=DEFAULT_FPS)

    def texts(self) -> list[str]:
        """Each cue's text, in order."""
        return [cue.text for cue in self.cues]
