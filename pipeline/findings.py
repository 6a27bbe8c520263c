"""Findings: what a rule found about a cue. Data, never exceptions; the caller picks the exit code."""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One finding: which rule, how bad, which cue (0-based index, -1 for the whole track), what, fix."""

    rule: str
    severity: str
    cue_index: int
    start_ms: int
    message: str
    fix: str = ""
