"""Run a whole job: for each video, build every language's track, write files, burn, mux, manifest.

One failing language (a font missing a glyph, say) does not stop the others: its failure is
recorded, the rest go on, and the result says what failed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.batch.executor import Executor, map_videos
from pipeline.batch.review import write_video_review
from pipeline.batch.steps import (
    LangTrack,
    ProgressFactory,
    burn_tracks,
    mux_tracks,
    no_progress,
    style_for,
    write_track_files,
)
from pipeline.core.errors import PipelineError
from pipeline.core.findings import Finding
from pipeline.core.profiles import get_profile
from pipeline.core.timecode import DEFAULT_FPS
from pipeline.ingest.job import Job, VideoJob
from pipeline.ingest.segments import Transcript, load_transcript
from pipeline.media.fonts import check_coverage
from pipeline.media.frames import frame_times
from pipeline.media.probe import MediaInfo, probe
from pipeline.media.scenes import detect_shot_changes
from pipeline.media.vad import detect_speech, speech_pauses
from pipeline.render.burn import Encoder
from pipeline.render.manifest import ManifestEntry, entry_for, write_manifest
from pipeline.render.outputs import discard, remove_stale_partials
from pipeline.tracks.build import build_track_report
from pipeline.tracks.formats import default_sizes
from pipeline.tracks.measure import TITLE_SAFE, TextBox
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


def run_job(job: Job, progress: ProgressFactory = no_progress, executor: Executor | None = None) -> JobResult:
    """Run every video of ``job``, each a task of ``executor`` (default: here, one after another);
    errors of one video are recorded, not raised (an executor's own failures are)."""
    if executor is None:
        return JobResult([run_video(job, vj, progress) for vj in job.videos])
    return JobResult(map_videos(executor, run_video, job, progress))


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
    size = (media.width, media.height) if media else (1920, 1080)
    timeline = _timeline(vj, media, fps)
    style = display_style(job.style, size)
    built: dict[str, LangTrack] = {}
    for lang in vj.languages:
        try:
            box = _box(style, lang, job, size) if media else None  # no picture, no pixels to fit
            item = _build_lang(transcript, lang, job, fps, shots, pauses, timeline, box)
            res.qc[item.profile.tag] = list(item.findings)
            for path in write_track_files(item, vj.name, root / item.profile.tag, job.outputs.formats, size, style):
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


def display_style(style: Mapping[str, Any], display: tuple[int, int]) -> dict[str, Any]:
    """The job's ``[style]`` with the default font size and margin of the displayed picture
    (:func:`pipeline.tracks.formats.default_sizes`) where the job sets none."""
    size, margin = default_sizes(*display)
    return {"font_size": size, "margin_v": margin, **style}


def _box(style: Mapping[str, Any], lang: str, job: Job, display: tuple[int, int]) -> TextBox:
    """The title-safe box of ``lang``'s lines: its font at the size the burn will use."""
    profile = get_profile(lang, job.profiles.get(lang))
    ass = style_for(profile, style, display[1])
    return TextBox(profile.font, ass.font_size, TITLE_SAFE * display[0], ass.outline, ass.bold)


def _burn(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    built: dict[str, LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
) -> None:
    """Burn in groups that share one decode; a language whose font lacks glyphs is left out first."""
    ready = []
    for lang, item in built.items():
        try:
            check_coverage(item.profile.tag, item.profile.font, item.track.texts())
        except PipelineError as exc:
            res.failures[f"{lang}/burn"] = str(exc)
            continue
        ready.append(item)
    size = job.render.burn_group
    for start in range(0, len(ready), size):
        group = ready[start : start + size]
        if not _burn_group(job, vj, media, group, res, root, progress, record=len(group) == 1):
            # Find which language failed: burn the group's languages one at a time.
            logger.warning("burn of %s failed; retrying one language at a time", [i.profile.tag for i in group])
            for item in group:
                _burn_group(job, vj, media, [item], res, root, progress, record=True)


def _burn_group(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    group: list[LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
    *,
    record: bool,
) -> bool:
    assert vj.video is not None
    tags = [item.profile.tag for item in group]
    items = [(item, root / tag / f"{vj.name}.{tag}.mp4") for item, tag in zip(group, tags, strict=True)]
    encoder = Encoder(job.render.crf, job.render.preset)
    try:
        style = display_style(job.style, (media.width, media.height))
        paths = burn_tracks(vj.video, media, items, style, encoder, progress(f"burn {vj.name} [{' '.join(tags)}]"))
    except PipelineError as exc:
        if record:
            res.failures[f"{tags[0]}/burn"] = str(exc)
        return False
    res.entries.extend(entry_for(p, root, "burned", tag) for p, tag in zip(paths, tags, strict=True))
    return True


def _mux(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    built: dict[str, LangTrack],
    res: VideoResult,
    root: Path,
    progress: ProgressFactory,
) -> None:
    assert vj.video is not None
    default = vj.default_language if vj.default_language in built else next(iter(built))
    for container in job.outputs.mux:
        target = root / f"{vj.name}.subs.{container}"
        try:
            path = mux_tracks(vj.video, media, list(built.values()), default, target, progress(f"mux {target.name}"))
        except PipelineError as exc:
            res.failures[f"mux/{container}"] = str(exc)
            continue
        res.entries.append(entry_for(path, root, f"soft-{container}", "+".join(built)))


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


def run_video(job: Job, vj: VideoJob, progress: ProgressFactory = no_progress) -> VideoResult:
    """Run one video end to end and write its manifest."""
    res = VideoResult(vj.name)
    root = job.output_dir / vj.name
    try:
        with _timed(res, "probe"):
            media = probe(vj.video) if vj.video else None
        for folder in [root, *(root / lang for lang in vj.languages)]:
            remove_stale_partials(folder)
        # An interrupted run must not leave the last run's manifest describing files it rewrote.
        discard(root / "manifest.json")
        built = _build(job, vj, media, res, root)
        if media is not None and vj.video is not None and built:
            if job.outputs.burn:
                with _timed(res, "burn"):
                    _burn(job, vj, media, built, res, root, progress)
            if job.outputs.mux:
                with _timed(res, "mux"):
                    _mux(job, vj, media, built, res, root, progress)
            with _timed(res, "review"):
                _review(job, vj, media, built, res, root)
        with _timed(res, "manifest"):
            inputs = {"transcript": vj.transcript, **({"video": vj.video} if vj.video else {})}
            res.manifest = write_manifest(root / "manifest.json", vj.name, res.entries, inputs, res.failures, res.qc)
    except PipelineError as exc:
        res.failures["job"] = str(exc)
    return res
