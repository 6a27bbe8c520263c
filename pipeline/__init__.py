"""subpipe: timed transcript segments -> checked subtitle tracks -> burned and muxed localized cuts."""

from pipeline.batch import JobResult, VideoResult, run_job, run_video
from pipeline.cues import Cue, Track
from pipeline.errors import (
    FfmpegError,
    FontCoverageError,
    InputError,
    OutputError,
    PipelineError,
    UsageError,
    VerifyError,
)
from pipeline.job import Job, load_job, parse_job
from pipeline.profiles import Profile, get_profile
from pipeline.segments import Segment, Transcript, load_transcript
from pipeline.subformats import compose_ass, compose_srt, compose_vtt, read_subtitles
from pipeline.tracks import build_track

__all__ = [
    "Cue",
    "FfmpegError",
    "FontCoverageError",
    "InputError",
    "Job",
    "JobResult",
    "OutputError",
    "PipelineError",
    "Profile",
    "Segment",
    "Track",
    "Transcript",
    "UsageError",
    "VerifyError",
    "VideoResult",
    "build_track",
    "compose_ass",
    "compose_srt",
    "compose_vtt",
    "get_profile",
    "load_job",
    "load_transcript",
    "parse_job",
    "read_subtitles",
    "run_job",
    "run_video",
]
__version__ = "0.1.0"
