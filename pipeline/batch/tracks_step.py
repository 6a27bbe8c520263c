"""A video's tracks in a run: media facts (shot changes, speech pauses), then each language's track
built on the video's timeline and displayed picture, and its SRT/VTT/ASS files written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.batch.aligned import job_transcript
from pipeline.batch.deliver import delivery_format, write_delivery_files
from pipeline.batch.edited import apply_stored_edits
from pipeline.batch.results import VideoResult, timed
from pipeline.batch.sourcefacts import probe_source, source_frame_times
from pipeline.batch.steps import LangTrack, display_style, text_box, write_track_files
from pipeline.batch.trackmemo import build_key, remembered_build
from pipeline.core.errors import PipelineError
from pipeline.core.profiles import get_profile
from pipeline.core.timecode import DEFAULT_FPS
from pipeline.ingest.job import Job, VideoJob
from pipeline.ingest.segments import Transcript
from pipeline.media.commands import burn_size
from pipeline.media.probe import MediaInfo
from pipeline.media.scenes import detect_shot_changes
from pipeline.media.vad import detect_speech, speech_pauses
from pipeline.render.manifest import entry_for
from pipeline.tracks.build import build_track_report
from pipeline.tracks.measure import TextBox
from pipeline.tracks.timeline import Timeline


def media_facts(vj: VideoJob, media: MediaInfo | None, res: VideoResult) -> tuple[list[int], list[int]]:
    """The video's shot changes and the times speech resumes after a pause (empty without a video)."""
    shots: list[int] = []
    pauses: list[int] = []
    if media is not None and vj.video is not None and media.width:
        with timed(res, "shot changes"):
            shots = detect_shot_changes(vj.video, media)
    if media is not None and vj.video is not None and media.has_audio:
        with timed(res, "speech"):
            pauses = speech_pauses(detect_speech(vj.video))
    return shots, pauses


def build_video_tracks(
    job: Job, vj: VideoJob, media: MediaInfo | None, res: VideoResult, root: Path
) -> dict[str, LangTrack]:
    """Every language's track of ``vj`` and its files; a language that fails is recorded in ``res``."""
    shots, pauses = media_facts(vj, media, res)
    with timed(res, "tracks"):
        return _build_tracks(job, vj, media, res, root, shots, pauses)


def _build_tracks(
    job: Job, vj: VideoJob, media: MediaInfo | None, res: VideoResult, root: Path, shots: list[int], pauses: list[int]
) -> dict[str, LangTrack]:
    size = burn_size(media) if media and media.width else (1920, 1080)
    style = display_style(job.style, _display(media, size))
    built: dict[str, LangTrack] = {}
    for lang, made in base_tracks(job, vj, media, shots, pauses).items():
        try:
            if isinstance(made, PipelineError):
                raise made
            item = apply_stored_edits(job.output_dir, vj.name, made, media, shots, res.notes)
            res.qc[item.profile.tag] = list(item.findings)
            sar = media.sar if media else Fraction(1)
            folder = root / item.profile.tag
            for path in write_track_files(item, vj.name, folder, job.outputs.formats, size, style, sar):
                res.entries.append(entry_for(path, root, path.suffix[1:], item.profile.tag))
            delivered, failed = write_delivery_files(item.track, vj.name, folder, job.outputs.formats)
            for path in delivered:
                res.entries.append(entry_for(path, root, delivery_format(path) or "", item.profile.tag))
            res.failures.update({f"{lang}/{fmt}": why for fmt, why in failed.items()})
            built[lang] = item
        except PipelineError as exc:
            res.failures[f"{lang}/tracks"] = str(exc)
    return built


def _display(media: MediaInfo | None, size: tuple[int, int]) -> tuple[int, int]:
    return (media.display_width, media.display_height) if media and media.width else size


def base_tracks(
    job: Job, vj: VideoJob, media: MediaInfo | None, shots: Sequence[int], pauses: Sequence[int]
) -> dict[str, LangTrack | PipelineError]:
    """Every language's track of ``vj`` as the build makes it (no stored edit, no file), or its error.

    Raises:
        InputError: when the transcript cannot be read.
    """
    transcript = job_transcript(vj)
    fps = media.fps if media and media.fps else DEFAULT_FPS
    size = burn_size(media) if media and media.width else (1920, 1080)
    display = _display(media, size)
    timeline = _timeline(vj, media, fps)
    style = display_style(job.style, display)
    made: dict[str, LangTrack | PipelineError] = {}
    slot = f"{_resolved(vj.transcript)}\0{_resolved(vj.video)}"
    for lang in vj.languages:
        try:
            box = _box(style, lang, job, display) if media else None  # no picture, no pixels to fit
            made[lang] = _build_lang(transcript, lang, job, fps, list(shots), list(pauses), timeline, box, slot)
        except PipelineError as exc:
            made[lang] = exc
    return made


def _resolved(path: Path | None) -> str:
    return "" if path is None else str(path.resolve())


def _timeline(vj: VideoJob, media: MediaInfo | None, fps: Fraction) -> Timeline | None:
    """The video's end and, when its frames are not on the grid of ``fps`` (VFR), their real times."""
    if media is None or vj.video is None or not media.width:
        return None
    frames = source_frame_times(vj.video)
    return Timeline(frames.end_ms, () if frames.is_constant(fps) else frames.times_ms)


def _build_lang(
    transcript: Transcript,
    lang: str,
    job: Job,
    fps: Fraction,
    shots: list[int],
    pauses: list[int],
    timeline: Timeline | None,
    box: TextBox | None,
    slot: str,
) -> LangTrack:
    """One language's track on the video's timeline (frame times, clipped to its end), its lines
    wrapped to fit ``box`` in pixels; remembered between runs under ``slot`` (:mod:`pipeline.batch.trackmemo`)."""
    profile = get_profile(lang, job.profile_table(lang))
    key = build_key(transcript.segments, lang, profile, fps, shots, pauses, timeline, box)
    report = remembered_build(
        f"{slot}\0{lang}",
        key,
        lambda: build_track_report(transcript.segments, lang, profile, fps, shots, pauses, timeline, box),
    )
    return LangTrack(report.track, profile, report.findings, report.shot_moves)


def _box(style: Mapping[str, Any], lang: str, job: Job, display: tuple[int, int]) -> TextBox:
    """The title-safe box of ``lang``'s lines: its font at the size the burn will use."""
    return text_box(get_profile(lang, job.profile_table(lang)), style, display)


def current_tracks(job: Job, vj: VideoJob) -> dict[str, LangTrack]:
    """Every language's track of ``vj`` as a run would build it now (the studio's edits applied), by tag;
    a language that fails to build is left out (the run names it).

    Raises:
        InputError: when the video or the transcript cannot be read.
    """
    media = probe_source(vj.video) if vj.video else None
    shots, pauses = media_facts(vj, media, VideoResult(vj.name))
    made = base_tracks(job, vj, media, shots, pauses).values()
    built = [apply_stored_edits(job.output_dir, vj.name, m, media, shots, {}) for m in made if isinstance(m, LangTrack)]
    return {item.profile.tag: item for item in built}
