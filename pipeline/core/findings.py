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
class Retime:
    """A fix that moves one time of one cue: its ``start`` or ``end`` (``which``) to ``ms``."""

    cue: int
    which: str
    ms: int


@dataclass(frozen=True)
class Finding:
    """One problem found: ``cue`` is the 1-based cue number in time order (None: the whole file).

    ``line`` is where to look in the file (the cue's timing line, or the line of a reader's
    problem); ``edit`` is the fix as data when the fix moves a time (checked by qc.fixes).
    """

    rule: str
    severity: str
    cue: int | None
    start_ms: int
    message: str
    fix: str = ""
    line: int | None = None
    edit: Retime | None = None

    @property
    def time(self) -> str:
        """The start time as ``H:MM:SS.mmm``."""
        return format_clock(self.start_ms)
