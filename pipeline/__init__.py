"""subpipe: timed transcript segments -> checked subtitle tracks -> burned and muxed localized cuts.

The library's face, for Python users (the CLI calls the same functions)::

    job = load_job("subpipe.toml"); result = run_job(job)         # a whole job, as `subpipe run`
    transcript = load_transcript("talk.json")                      # JSON, Whisper, CSV/TSV, SRT, VTT
    track = build_track(transcript.segments, "ko", get_profile("ko"), fps)   # one language's cues
    compose_srt(track); compose_vtt(track)                         # the files' text
    report = check_file(Path("talk.ko.srt"), "ko", None)           # findings, as `subpipe check`
    burn_file("talk.mp4", "talk.ko.srt", "talk.ko.mp4", "ko")      # a verified burned cut
    mux_files("talk.mp4", ["talk.en.srt", "talk.ko.srt"], ["en", "ko"], "talk.subs.mkv")
    sync_files("talk.mp4", [(Path("talk.en.srt"), Path("fixed.en.srt"))], ["en"])
    convert_file("talk.en.ass", "talk.en.vtt")                     # as `subpipe convert`: what it dropped

Every failure is a :class:`PipelineError`. The names are imported on first use (PEP 562), so
``import pipeline`` does not load the render stack (PyAV, numpy, fonts) until it is needed.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # run a job
    "Job": "pipeline.ingest.job",
    "load_job": "pipeline.ingest.job",
    "parse_job": "pipeline.ingest.job",
    "JobResult": "pipeline.batch.results",
    "VideoResult": "pipeline.batch.results",
    "run_job": "pipeline.batch.run",
    "run_video": "pipeline.batch.run",
    # load a transcript, read subtitle files
    "Segment": "pipeline.ingest.segments",
    "Transcript": "pipeline.ingest.segments",
    "load_transcript": "pipeline.ingest.segments",
    "read_subtitles": "pipeline.ingest.subparse",
    # build tracks and write them
    "Cue": "pipeline.core.cues",
    "Track": "pipeline.core.cues",
    "Profile": "pipeline.core.profiles",
    "get_profile": "pipeline.core.profiles",
    "build_track": "pipeline.tracks.build",
    "build_track_report": "pipeline.tracks.build",
    "compose_ass": "pipeline.tracks.formats",
    "compose_srt": "pipeline.tracks.formats",
    "compose_vtt": "pipeline.tracks.formats",
    # check and synchronise
    "Finding": "pipeline.core.findings",
    "FileReport": "pipeline.qc.check",
    "check_file": "pipeline.qc.check",
    "video_facts": "pipeline.qc.check",
    "sync_files": "pipeline.batch.files",
    # convert formats and encodings
    "Conversion": "pipeline.batch.convert",
    "convert_file": "pipeline.batch.convert",
    # burn and mux
    "burn_file": "pipeline.batch.files",
    "mux_files": "pipeline.batch.files",
    # errors
    "FfmpegError": "pipeline.core.errors",
    "FontCoverageError": "pipeline.core.errors",
    "InputError": "pipeline.core.errors",
    "OutputError": "pipeline.core.errors",
    "PipelineError": "pipeline.core.errors",
    "UsageError": "pipeline.core.errors",
    "VerifyError": "pipeline.core.errors",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
