"""Findings: what a rule found about a cue. Data, never exceptions; the caller picks the exit code.

Used by the track builder (rules it could not satisfy) and by ``subpipe check``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.timecode import format_clock

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


@dataclass(frozen=True)
class Finding:
    """One problem found: ``cue`` is the 1-based cue number in time order (None: the whole file)."""

    rule: str
    severity: str
    cue: int | None
    start_ms: int
    message: str
    fix: str = ""

    @property
    def time(self) -> str:
        """The start time as ``H:MM:SS.mmm``."""
        return format_clock(self.start_ms)
