"""subpipe: timed transcript segments -> checked subtitle tracks -> burned and muxed localized cuts.

The public names below are imported on first use (PEP 562), so ``import pipeline`` and the CLI's
light commands do not load the render stack (PyAV, numpy, fonts) until they need it.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "JobResult": "pipeline.batch",
    "VideoResult": "pipeline.batch",
    "run_job": "pipeline.batch",
    "run_video": "pipeline.batch",
    "Cue": "pipeline.cues",
    "Track": "pipeline.cues",
    "FfmpegError": "pipeline.errors",
    "FontCoverageError": "pipeline.errors",
    "InputError": "pipeline.errors",
    "OutputError": "pipeline.errors",
    "PipelineError": "pipeline.errors",
    "UsageError": "pipeline.errors",
    "VerifyError": "pipeline.errors",
    "Finding": "pipeline.findings",
    "Job": "pipeline.job",
    "load_job": "pipeline.job",
    "parse_job": "pipeline.job",
    "Profile": "pipeline.profiles",
    "get_profile": "pipeline.profiles",
    "Segment": "pipeline.segments",
    "Transcript": "pipeline.segments",
    "load_transcript": "pipeline.segments",
    "compose_ass": "pipeline.subformats",
    "compose_srt": "pipeline.subformats",
    "compose_vtt": "pipeline.subformats",
    "read_subtitles": "pipeline.subformats",
    "build_track": "pipeline.tracks",
    "build_track_report": "pipeline.tracks",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
