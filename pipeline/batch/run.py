"""Run a whole job: for each video, build every language's track, write files, burn, mux, manifest.

One failing language (a font missing a glyph, say) does not stop the others: its failure is
recorded, the rest go on, and the result says what failed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pipeline.batch.burnstep import BurnOptions, burn_tracks_each
from pipeline.batch.defaults import check_requests, planned_outputs
from pipeline.batch.executor import Executor, local_work, map_videos
from pipeline.batch.hls import write_hls
from pipeline.batch.preflight import check_inputs
from pipeline.batch.remote import at_urls, localized, publish
from pipeline.batch.rerun import PreviousCut, load_previous
from pipeline.batch.results import JobResult, VideoResult, timed
from pipeline.batch.reuse import keep_unchanged, mux_or_keep
from pipeline.batch.review import write_video_review
from pipeline.batch.sourcefacts import probe_source
from pipeline.batch.steps import LangTrack, ProgressFactory, display_style, no_progress
from pipeline.batch.tracks_step import build_video_tracks
from pipeline.core.errors import FfmpegError, PipelineError
from pipeline.core.filecache import measured_afresh
from pipeline.ingest.approvalstore import read_approval
from pipeline.ingest.editstore import STORE_NAME
from pipeline.ingest.job import Job, VideoJob
from pipeline.media.fonts import check_coverage
from pipeline.media.probe import MediaInfo
from pipeline.render.batchrun import HERE, ChunkWork
from pipeline.render.burn import Encoder
from pipeline.render.manifest import entry_for, listed_paths, write_manifest
from pipeline.render.review import review_frames
from pipeline.render.staging import recover, sweep, transaction
from pipeline.tracks.overlay import track_digest

logger = logging.getLogger(__name__)


def run_job(
    job: Job, progress: ProgressFactory = no_progress, executor: Executor | None = None, *, force: bool = False
) -> JobResult:
    """Run every video of ``job``, each a task of ``executor`` (default: here, one after another);
    errors of one video are recorded, not raised (an executor's own failures are).

    ``force``: burn every cut again, whatever the last manifest proves unchanged.

    Raises:
        InputProblemsError: before any work, naming every input file of the job that is missing.
        StorageError: before any work, for an input object, output bucket or s3:// chunk cache that cannot be
            used (a refused key, an unknown bucket, an unreachable endpoint).
        InputError, ContainerError: when the job names an output that one of its sources cannot give.
    """
    check_inputs(job)
    check_requests(job)
    if executor is None:
        work = local_work()
        return JobResult([run_video(job, vj, progress, force=force, work=work) for vj in job.videos])
    return JobResult(map_videos(executor, functools.partial(run_video, force=force), job, progress))


@dataclass(frozen=True)
class _Video:
    """One video's run: its job entry, its probe, where its outputs go and its result so far, the
    last manifest's proofs (None: ``--force``) and where chunks are encoded."""

    job: Job
    vj: VideoJob
    video: Path
    media: MediaInfo
    res: VideoResult
    root: Path
    progress: ProgressFactory
    previous: Mapping[str, PreviousCut] | None
    work: ChunkWork


def _burn(v: _Video, built: dict[str, LangTrack]) -> None:
    """Burn in groups that share one decode; a language whose font lacks glyphs is left out first.

    A cut the last manifest proves unchanged (``v.previous``: :mod:`pipeline.batch.rerun`) is kept as
    is; ``v.previous`` None (``--force``): every cut and chunk is made again.
    """
    ready = []
    for lang, item in built.items():
        try:
            check_coverage(item.profile.tag, item.profile.font, item.track.texts())
        except PipelineError as exc:
            v.res.failures[f"{lang}/burn"] = str(exc)
            continue
        ready.append(item)
    if v.previous is None:
        logger.info("%s: --force: every cut is burned again, no manifest or cached chunk reused", v.vj.name)
    waiting = len(ready)
    ready, size = keep_unchanged(v.job, v.vj, v.media, ready, v.res, v.root, v.previous or {})
    v.res.reuse_of("burn").kept += waiting - len(ready)
    tracks = {lang: item.track for lang, item in built.items()}
    stills = review_frames(tracks, v.vj.default_language, v.media) if v.job.outputs.review else {}
    for start in range(0, len(ready), size):
        group = ready[start : start + size]
        retry = _burn_group(v, group, stills)
        if retry and len(group) > 1:
            # The shared ffmpeg run failed, so any of its languages may be the cause: each alone.
            logger.warning("burn of %s failed; retrying them one at a time", [i.profile.tag for i in retry])
            for item in retry:
                _burn_group(v, [item], stills)


def _burn_group(v: _Video, group: list[LangTrack], stills: Mapping[str, list[int]]) -> list[LangTrack]:
    """Burn ``group`` in one ffmpeg run; record each language's cut or its own failure (``stills``: the
    review's frames of each language, tapped by a chunked burn).

    Returns the languages to retry alone: all of them when the shared ffmpeg run failed (any one
    may have caused it), none when a cut failed its own verification (the others are committed)
    or when the failure is the source's (no video stream, an output folder not writable).
    """
    res, name = v.res, v.vj.name
    tags = [item.profile.tag for item in group]
    items = [(item, v.root / tag / f"{name}.{tag}.mp4") for item, tag in zip(group, tags, strict=True)]
    encoder = Encoder(v.job.render.crf, v.job.render.preset)
    # no manifest to trust (--force): every chunk is encoded again
    bar = v.progress(f"burn {name} [{' '.join(tags)}]")
    opts = BurnOptions(bar, v.previous or {}, v.previous is None, v.work, stills)
    try:
        style = display_style(v.job.style, (v.media.display_width, v.media.display_height))
        results = burn_tracks_each(v.video, v.media, items, style, encoder, opts)
    except FfmpegError as exc:
        if len(group) > 1:
            return group
        res.failures[f"{tags[0]}/burn"] = str(exc)
        return []
    except PipelineError as exc:
        for tag in tags:
            res.failures[f"{tag}/burn"] = str(exc)
        return []
    if opts.notes:
        res.notes["burn"] = opts.notes
    made = [opts.records[tag] for tag in tags if tag in opts.records]
    counts = res.reuse_of("burn")
    counts.made += len(made)
    if made:  # the group's chunk outputs, shared by its languages
        counts.encoded, counts.cached = counts.encoded + made[0].encoded, counts.cached + made[0].cached
    for tag, result in zip(tags, results, strict=True):
        if isinstance(result, Path):
            res.entries.append(entry_for(result, v.root, "burned", tag))
            if tag in opts.records:  # how it was made: what lets the next run skip it
                res.burns[tag] = opts.records[tag].as_json()
        else:
            res.failures[f"{tag}/burn"] = str(result)
    return []


def _mux(v: _Video, built: dict[str, LangTrack], containers: tuple[str, ...]) -> None:
    vj, res = v.vj, v.res
    default = vj.default_language if vj.default_language in built else next(iter(built))
    for container in containers:
        target = v.root / f"{vj.name}.subs.{container}"
        try:
            notes: list[str] = []
            kept = (v.previous or {}).get(f"mux/{container}")
            made = mux_or_keep(v.video, v.media, list(built.values()), default, target, v.progress, notes, kept)
            if notes:
                res.notes[f"mux/{container}"] = notes
        except PipelineError as exc:
            res.failures[f"mux/{container}"] = str(exc)
            continue
        res.entries.append(made.entry or entry_for(made.path, v.root, f"soft-{container}", "+".join(built)))
        counts = res.reuse_of("mux")
        counts.kept, counts.made = counts.kept + (made.entry is not None), counts.made + (made.entry is None)
        res.muxes[container] = made.record


def _review(v: _Video, built: dict[str, LangTrack]) -> None:
    vj, res = v.vj, v.res
    try:
        page = write_video_review(
            vj.name,
            v.video,
            v.media,
            built,
            res.entries,
            res.qc,
            res.failures,
            v.root,
            v.job.style,
            vj.default_language,
            res.burns,
            cache=v.work.cache,
        )
    except PipelineError as exc:
        res.failures["review"] = str(exc)
        return
    res.entries.append(entry_for(page, v.root, "review", "+".join(built)))


def run_video(
    job: Job, vj: VideoJob, progress: ProgressFactory = no_progress, *, force: bool = False, work: ChunkWork = HERE
) -> VideoResult:
    """Run one video end to end and write its manifest (``force``: burn every cut again; ``work``: where its
    chunks are encoded and cached). Input objects are fetched into this process's scratch folder first, and
    for an output URL the outputs made there are uploaded after the manifest (:mod:`pipeline.batch.remote`)."""
    if not at_urls(job, vj):
        return _run_video(job, vj, progress, force, work)
    try:
        here, vj_here = localized(job, vj)
    except PipelineError as exc:
        res = VideoResult(vj.name)
        res.failures["job"] = str(exc)
        return res
    res = _run_video(here, vj_here, progress, force, work)
    if job.output_url is not None and res.manifest is not None:
        try:
            with timed(res, "upload"):
                res.notes["upload"] = [f"{len(publish(here, vj, res.manifest))} objects under {job.output_url}"]
        except PipelineError as exc:
            res.failures["upload"] = str(exc)
    return res


def _run_video(job: Job, vj: VideoJob, progress: ProgressFactory, force: bool, work: ChunkWork) -> VideoResult:
    with measured_afresh(force):  # --force: the source measured and the tracks built again, not read from the cache
        return _run_measured(job, vj, progress, force, work)


def _run_measured(job: Job, vj: VideoJob, progress: ProgressFactory, force: bool, work: ChunkWork) -> VideoResult:
    res = VideoResult(vj.name)
    root = job.output_dir / vj.name
    try:
        with timed(res, "probe"):
            media = probe_source(vj.video) if vj.video else None
        recover(root)  # a commit that a killed run cut short is finished, and its partials removed
        sweep(root)
        previous = None if force else load_previous(root)
        listed = listed_paths(root / "manifest.json")
        # Every output is staged until the manifest that describes it is written: an interrupted run
        # leaves the last run's manifest and files as they were (pipeline.render.staging).
        with transaction(root, [p for p in (vj.transcript, vj.video) if p is not None]) as txn:
            built = build_video_tracks(job, vj, media, res, root)
            if media is not None and vj.video is not None and built:
                _render(_Video(job, vj, vj.video, media, res, root, progress, previous, work), built)
            with timed(res, "manifest"):
                inputs = {"transcript": vj.transcript, **({"video": vj.video} if vj.video else {})}
                res.manifest = write_manifest(
                    root / "manifest.json",
                    vj.name,
                    res.entries,
                    inputs,
                    res.failures,
                    res.qc,
                    res.notes,
                    res.burns,
                    res.muxes,
                    _approvals(job, vj, built),
                )
                txn.finish(listed, [e.path for e in res.entries])
    except PipelineError as exc:
        res.failures["job"] = str(exc)
    return res


def _approvals(job: Job, vj: VideoJob, built: Mapping[str, LangTrack]) -> dict[str, dict[str, object] | None]:
    """Each built language's approval in the studio's store, for the cues it was built with (nothing when
    the studio never ran)."""
    if not (job.output_dir / STORE_NAME).is_file():
        return {}
    found = {
        item.profile.tag: read_approval(job.output_dir, vj.name, item.profile.tag, track_digest(item.track))
        for item in built.values()
    }
    return {tag: None if a is None else a.as_json() for tag, a in found.items()}


def _render(v: _Video, built: dict[str, LangTrack]) -> None:
    """The burned cuts, the soft-subtitled files and the review page of one video, as its job asks
    (or, for what it does not name, as the defaults that fit the source give)."""
    planned = planned_outputs(v.job.outputs, v.media)
    v.res.notes.update(planned.notes)
    if planned.burn:
        with timed(v.res, "burn"):
            _burn(v, built)
    if planned.mux:
        with timed(v.res, "mux"):
            _mux(v, built, planned.mux)
    if v.job.outputs.hls:
        with timed(v.res, "hls"):
            _hls(v, built)
    if v.job.outputs.review:
        with timed(v.res, "review"):
            _review(v, built)


def _hls(v: _Video, built: dict[str, LangTrack]) -> None:
    """The HLS package: video and audio segments, every language a WebVTT rendition."""
    if v.media.video is None:
        v.res.failures["hls"] = "the source has no video stream to package"
        return
    default = v.vj.default_language if v.vj.default_language in built else next(iter(built))
    render = v.job.render
    try:
        files = write_hls(v.video, v.media, list(built.values()), default, v.root, render.crf, render.preset)
    except PipelineError as exc:
        v.res.failures["hls"] = str(exc)
        return
    for path in files:
        kind = "hls" if path.name == "master.m3u8" else "hls-part"
        lang = path.parent.name if path.parent.name in built else "+".join(built)
        v.res.entries.append(entry_for(path, v.root, kind, lang))
