"""Writing the studio's edits back into each video's transcript (placeholder until the export lands)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.errors import UsageError

if TYPE_CHECKING:
    from pipeline.studio.state import Studio


def export_job(studio: Studio) -> list[Path]:
    """The transcripts written.

    Raises:
        UsageError: always, for now.
    """
    raise UsageError(f"export of {studio.job_path} is not available yet")
