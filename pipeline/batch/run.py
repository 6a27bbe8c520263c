"""Run a whole job: for each video, build every language's track, write files, burn, mux, manifest.

One failing language (a font missing a glyph, say) does not stop the others: its failure is
recorded, the rest go on, and the result says what failed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.batch.executor import Executor, map_videos
from pipeline.batch.rerun import PreviousCut, load_previous
from pipeline.batch.reuse import keep_unchanged, mux_or_keep
from pipeline.batch.review import write_video_review
from pipeline.batch.steps import (
    LangTrack,
    ProgressFactory,
    burn_tracks_each,
    display_style,
    no_progress,
    text_box,
    write_track_files,
)
from pipeline.core.errors import FfmpegError, PipelineError
from pipeline.core.findings import Finding
from pipeline.core.profiles import get_profile
from pipeline.core.timecode import DEFAULT_FPS
from pipeline.ingest.job import Job, VideoJob
from pipeline.ingest.segments import Transcript, load_transcript
from pipeline.media.commands import burn_size
from pipeline.media.fonts import check_coverage
from pipeline.media.frames import frame_times
from pipeline.media.probe import MediaInfo, probe
from pipeline.media.scenes import detect_shot_changes
from pipeline.media.vad import detect_speech, speech_pauses
from pipeline.render.burn import Encoder
from pipeline.render.chunkpath import CutRecord
from pipeline.render.manifest import ManifestEntry, entry_for, write_manifest
from pipeline.render.outputs import discard, remove_stale_partials
from pipeline.tracks.build import build_track_report
from pipeline.tracks.measure import TextBox
from pipeline.tracks.timeline import Timeline

logger = logging.getLogger(__name__)


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
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        """Whether every output was produced."""
        return not self.failures


@dataclass
class JobResult:
    """All videos' results."""

    videos: list[VideoResult]

    @property
    def ok(self) -> bool:
        """Whether every video succeeded completely."""
        return all(v.ok for v in self.videos)


@contextmanager
def _timed(result: VideoResult, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        result.seconds[stage] = result.seconds.get(stage, 0.0) + time.perf_counter() - start


def run_job(
    job: Job, progress: ProgressFactory = no_progress, executor: Executor | None = None, *, force: bool = False
) -> JobResult:
    """Run every video of ``job``, each a task of ``executor`` (default: here, one after another);
    errors of one video are recorded, not raised (an executor's own failures are).

    ``force``: burn every cut again, whatever the last manifest proves unchanged.
    """
    if executor is None:
        return JobResult([run_video(job, vj, progress, force=force) for vj in job.videos])
    return JobResult(map_videos(executor, functools.partial(run_video, force=force), job, progress))


def _media_facts(vj: VideoJob, media: MediaInfo | None, res: VideoResult) -> tuple[list[int], list[int]]:
    """The video's shot changes and the times speech resumes after a pause (empty without a video)."""
    shots: list[int] = []
    pauses: list[int] = []
    if media is not None and vj.video is not None and media.width:
        with _timed(res, "shot changes"):
            shots = detect_shot_changes(vj.video, media)
    if media is not None and vj.video is not None and media.has_audio:
        with _timed(res, "speech"):
            pauses = speech_pauses(detect_speech(vj.video))
    return shots, pauses


def _build(job: Job, vj: VideoJob, media: MediaInfo | None, res: VideoResult, root: Path) -> dict[str, LangTrack]:
    shots, pauses = _media_facts(vj, media, res)
    with _timed(res, "tracks"):
        return _build_tracks(job, vj, media, res, root, shots, pauses)


def _build_tracks(
    job: Job, vj: VideoJob, media: MediaInfo | None, res: VideoResult, root: Path, shots: list[int], pauses: list[int]
) -> dict[str, LangTrack]:
    transcript = load_transcript(vj.transcript, encoding=vj.encoding, lenient=vj.lenient, hint_langs=vj.languages)
    fps = media.fps if media and media.fps else DEFAULT_FPS
    size = burn_size(media) if media and media.width else (1920, 1080)
    display = (media.display_width, media.display_height) if media and media.width else size
    timeline = _timeline(vj, media, fps)
    style = display_style(job.style, display)
    built: dict[str, LangTrack] = {}
    for lang in vj.languages:
        try:
            box = _box(style, lang, job, display) if media else None  # no picture, no pixels to fit
            item = _build_lang(transcript, lang, job, fps, shots, pauses, timeline, box)
            res.qc[item.profile.tag] = list(item.findings)
            sar = media.sar if media else Fraction(1)
            folder = root / item.profile.tag
            for path in write_track_files(item, vj.name, folder, job.outputs.formats, size, style, sar):
                res.entries.append(entry_for(path, root, path.suffix[1:], item.profile.tag))
            built[lang] = item
        except PipelineError as exc:
            res.failures[f"{lang}/tracks"] = str(exc)
    return built


def _timeline(vj: VideoJob, media: MediaInfo | None, fps: Fraction) -> Timeline | None:
    """The video's end and, when its frames are not on the grid of ``fps`` (VFR), their real times."""
    if media is None or vj.video is None or not media.width:
        return None
    frames = frame_times(vj.video)
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
) -> LangTrack:
    """One language's track on the video's timeline (frame times, clipped to its end), its lines
    wrapped to fit ``box`` in pixels."""
    profile = get_profile(lang, job.profiles.get(lang))
    report = build_track_report(transcript.segments, lang, profile, fps, shots, pauses, timeline, box)
    return LangTrack(report.track, profile, report.findings, report.shot_moves)


def _box(style: Mapping[str, Any], lang: str, job: Job, display: tuple[int, int]) -> TextBox:
    """The title-safe box of ``lang``'s lines: its font at the size the burn will use."""
    return text_box(get_profile(lang, job.profiles.get(lang)), style, display)


def _burn(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    built: dict[str, LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
    previous: Mapping[str, PreviousCut] | None,
) -> None:
    """Burn in groups that share one decode; a language whose font lacks glyphs is left out first.

    A cut the last manifest proves unchanged (``previous``: :mod:`pipeline.batch.rerun`) is kept as is;
    ``previous`` None (``--force``): every cut and chunk is made again.
    """
    ready = []
    for lang, item in built.items():
        try:
            check_coverage(item.profile.tag, item.profile.font, item.track.texts())
        except PipelineError as exc:
            res.failures[f"{lang}/burn"] = str(exc)
            continue
        ready.append(item)
    ready, size = keep_unchanged(job, vj, media, ready, res, root, previous or {})
    for start in range(0, len(ready), size):
        group = ready[start : start + size]
        retry = _burn_group(job, vj, media, group, res, root, progress, previous)
        if retry and len(group) > 1:
            # The shared ffmpeg run failed, so any of its languages may be the cause: each alone.
            logger.warning("burn of %s failed; retrying them one at a time", [i.profile.tag for i in retry])
            for item in retry:
                _burn_group(job, vj, media, [item], res, root, progress, previous)


def _burn_group(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    group: list[LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
    previous: Mapping[str, PreviousCut] | None,
) -> list[LangTrack]:
    """Burn ``group`` in one ffmpeg run; record each language's cut or its own failure.

    Returns the languages to retry alone: all of them when the shared ffmpeg run failed (any one
    may have caused it), none when a cut failed its own verification (the others are committed)
    or when the failure is the source's (no video stream, an output folder not writable).
    """
    assert vj.video is not None
    tags = [item.profile.tag for item in group]
    items = [(item, root / tag / f"{vj.name}.{tag}.mp4") for item, tag in zip(group, tags, strict=True)]
    encoder = Encoder(job.render.crf, job.render.preset)
    try:
        notes: list[str] = []
        records: dict[str, CutRecord] = {}
        label = f"burn {vj.name} [{' '.join(tags)}]"
        style = display_style(job.style, (media.display_width, media.display_height))
        bar, force = progress(label), previous is None
        results = burn_tracks_each(vj.video, media, items, style, encoder, bar, notes, records, previous, force)
    except FfmpegError as exc:
        if len(group) > 1:
            return group
        res.failures[f"{tags[0]}/burn"] = str(exc)
        return []
    except PipelineError as exc:
        for tag in tags:
            res.failures[f"{tag}/burn"] = str(exc)
        return []
    if notes:
        res.notes["burn"] = notes
    for tag, result in zip(tags, results, strict=True):
        if isinstance(result, Path):
            res.entries.append(entry_for(result, root, "burned", tag))
            if tag in records:  # how it was made: what lets the next run skip it
                res.burns[tag] = records[tag].as_json()
        else:
            res.failures[f"{tag}/burn"] = str(result)
    return []


def _mux(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    built: dict[str, LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
    previous: Mapping[str, PreviousCut] | None,
) -> None:
    assert vj.video is not None
    default = vj.default_language if vj.default_language in built else next(iter(built))
    for container in job.outputs.mux:
        target = root / f"{vj.name}.subs.{container}"
        try:
            notes: list[str] = []
            kept = (previous or {}).get(f"mux/{container}")
            made = mux_or_keep(vj.video, media, list(built.values()), default, target, progress, notes, kept)
            if notes:
                res.notes[f"mux/{container}"] = notes
        except PipelineError as exc:
            res.failures[f"mux/{container}"] = str(exc)
            continue
        res.entries.append(made.entry or entry_for(made.path, root, f"soft-{container}", "+".join(built)))
        res.muxes[container] = made.record


def _review(
    job: Job, vj: VideoJob, media: MediaInfo, built: dict[str, LangTrack], res: VideoResult, root: Path
) -> None:
    assert vj.video is not None
    try:
        page = write_video_review(
            vj.name, vj.video, media, built, res.entries, res.qc, res.failures, root, job.style, vj.default_language
        )
    except PipelineError as exc:
        res.failures["review"] = str(exc)
        return
    res.entries.append(entry_for(page, root, "review", "+".join(built)))


def run_video(job: Job, vj: VideoJob, progress: ProgressFactory = no_progress, *, force: bool = False) -> VideoResult:
    """Run one video end to end and write its manifest (``force``: burn every cut again)."""
    res = VideoResult(vj.name)
    root = job.output_dir / vj.name
    try:
        with _timed(res, "probe"):
            media = probe(vj.video) if vj.video else None
        for folder in [root, *(root / lang for lang in vj.languages)]:
            remove_stale_partials(folder)
        previous = None if force else load_previous(root)
        # An interrupted run must not leave the last run's manifest describing files it rewrote.
        discard(root / "manifest.json")
        built = _build(job, vj, media, res, root)
        if media is not None and vj.video is not None and built:
            if job.outputs.burn:
                with _timed(res, "burn"):
                    _burn(job, vj, media, built, res, root, progress, previous)
            if job.outputs.mux:
                with _timed(res, "mux"):
                    _mux(job, vj, media, built, res, root, progress, previous)
            if job.outputs.review:
                with _timed(res, "review"):
                    _review(job, vj, media, built, res, root)
        with _timed(res, "manifest"):
            inputs = {"transcript": vj.transcript, **({"video": vj.video} if vj.video else {})}
            res.manifest = write_manifest(
                root / "manifest.json", vj.name, res.entries, inputs, res.failures, res.qc, res.notes, res.burns,
                res.muxes,
            )
    except PipelineError as exc:
        res.failures["job"] = str(exc)
    return res
