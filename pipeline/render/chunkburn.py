"""Burning from content-addressed chunks: encode only the chunks no cache entry holds, then concatenate.

Same contract as :func:`pipeline.render.burn.burn` (partial paths beside the targets, which the caller
verifies and commits); each cut is also checked to hold exactly the source's frames and timestamps.
Two engines, chosen per track (:func:`chunk_engine`): a static track (and the bare picture) is encoded
in-process (:mod:`pipeline.render.inproc`: worker processes each decode a run of chunks once for a lane
of languages, :func:`pipeline.render.chunkbatch.lane_width`; where that is one, two languages' encoder
threads share a decode, :func:`pipeline.render.chunkbatch.paired_batches`); a track with animation is
burned by ffmpeg (:mod:`pipeline.render.chunkffmpeg`). Every x264 runs with one thread: the same bytes
on every run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2

from pipeline.core.errors import OutputError
from pipeline.media.chunkargs import ChunkSettings, ffmpeg_version
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.fonts import make_fontsdir
from pipeline.media.probe import MediaInfo
from pipeline.render.batchrun import BatchRunner, ProcessRunner, ThreadRunner, WorkerDiedError
from pipeline.render.burn import BurnRequest, Encoder
from pipeline.render.chunkbatch import ChunkJob as ChunkJob
from pipeline.render.chunkbatch import _batches as _batches
from pipeline.render.chunkbatch import inproc_batches, lane_width, paired_batches, span_ms
from pipeline.render.chunkcache import ChunkCache, font_digest, source_digest
from pipeline.render.chunkcut import CutAssembler
from pipeline.render.chunkengine import chunk_engine, encode_inproc, inproc_picture
from pipeline.render.chunkffmpeg import encode_ffmpeg
from pipeline.render.chunkprogress import ChunkProgress as ChunkProgress
from pipeline.render.chunkprogress import ChunkProgressFn as ChunkProgressFn
from pipeline.render.chunkprogress import Tracker, log_plan
from pipeline.render.chunks import (
    Chunk,
    FrameTable,
    chunk_key,
    chunk_offset_ms,
    plan_chunks,
    slice_ass,
    source_frame_table,
)
from pipeline.render.chunkstills import local_frames
from pipeline.render.inproc import ENGINE, keep_heap
from pipeline.render.overlay import Overlay, placement_context, render_overlays

DEFAULT_GROUP = 4
_DEFAULT_ENCODER = Encoder()


@dataclass
class ChunkedBurn:
    """What a chunked burn did: the partial cuts, chunks encoded and reused, each cut's chunk keys."""

    partials: list[Path]
    encoded: int = 0
    reused: int = 0
    keys: list[list[str]] = field(default_factory=list)
    spans_ms: list[tuple[int, int]] = field(default_factory=list)
    frames: list[tuple[int, int]] = field(default_factory=list)
    """Each chunk's frames ``[first, end)``: with ``keys``, where each review still is kept."""


@dataclass(frozen=True)
class _Ctx:
    video: Path
    table: FrameTable
    settings: ChunkSettings
    base: dict[str, object]
    subs: tuple[pysubs2.SSAFile, ...] = ()
    static: tuple[bool, ...] = ()
    """Each request's track is static: its chunks are encoded in-process (:func:`chunk_engine`)."""
    overlays: tuple[Overlay | None, ...] = ()
    """Each static request's overlay (None: not needed, or not static)."""


def render_chunked(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    encoder: Encoder = _DEFAULT_ENCODER,
    cache: ChunkCache | None = None,
    *,
    shot_changes_ms: Sequence[int] | None = None,
    on_progress: ProgressFn | None = None,
    on_chunks: ChunkProgressFn | None = None,
    settings: ChunkSettings | None = None,
    jobs: int | None = None,
    group: int = DEFAULT_GROUP,
    force: bool = False,
    runner: BatchRunner | None = None,
    stills: Sequence[Sequence[int]] = (),
    on_plan: Callable[[ChunkedBurn], None] | None = None,
    on_cut: Callable[[int, Path], None] | None = None,
) -> ChunkedBurn:
    """Burn every request from cached chunks (encoding the missing ones): the partial paths, how many
    chunks were encoded and reused, and the keys.

    ``shot_changes_ms``: where chunks should end when one lies in reach (None, what the pipeline
    passes: on the source's keyframes, so nothing decodes the picture before the encodes start).
    ``on_chunks`` sees chunk outputs done/total, frames per second and an ETA after each batch;
    ``force`` encodes every chunk again (the cache's entries are replaced); ``runner`` runs the encode
    batches (default: ``jobs`` worker processes, one per core). ``stills``: each request's frames (source
    indices) that the chunks it encodes also write as review stills (:mod:`pipeline.render.chunkstills`;
    a reused chunk keeps the ones it has). ``on_plan`` is told, as the encoding starts (once its worker
    processes are forked: a thread started then is not copied into them), what the burn will return but
    the partials (keys, spans, frames, how many chunks are encoded and reused): what a caller can start on
    while the chunks are encoded (verification decoding the source's frames). With ``on_cut``, a cut is
    assembled as soon as its chunks are there, while others are still encoded, and ``on_cut`` gets its
    index and partial (the cuts assembled at the end are not announced: the result has them all).

    Raises:
        FfmpegError: when ffmpeg fails or libass reports a missing glyph.
        VerifyError: when a chunk or a cut does not hold exactly the source's frames.
        OutputError: when an output folder cannot be written.
    """
    cache = cache or ChunkCache()
    video = video.resolve()
    table = source_frame_table(video)
    plan = plan_chunks(table, shot_changes_ms or ())
    settings = settings or ChunkSettings(encoder.crf, encoder.preset)
    subs = tuple(pysubs2.SSAFile.from_string(req.ass_text) for req in requests)
    picture_ok = inproc_picture(video)
    static = tuple(chunk_engine(sub, picture_ok) == ENGINE for sub in subs)
    ctx = _Ctx(video, table, settings, _base_parts(video, settings, cache.root.parent), subs, static)
    per_request = [_jobs_for(ctx, i, req, plan) for i, req in enumerate(requests)]
    unique = _with_stills(per_request, stills)
    found = {} if force else {key: path for key, path in cache.get_many(list(unique)).items() if path is not None}
    missing = [job for key, job in unique.items() if key not in found]
    names = [req.target.name for req in requests]
    log_plan(video.name, names, len(plan), missing, len(found), lambda f: float(table.ms(f)), force)
    keys = [[job.key for job in jobs_] for jobs_ in per_request]
    spans = [(math.floor(table.ms(c.first)), math.ceil(table.ms(c.end - 1)) + 1) for c in plan]
    frames = [(c.first, c.end) for c in plan]
    planned = ChunkedBurn([], len(missing), len(unique) - len(missing), keys, spans, frames)
    told = functools.partial(on_plan or (lambda _planned: None), planned)
    if missing:  # the processes that encode them may need to fetch it (an object-store cache)
        cache.share_source(video, str(ctx.base["source"]))
    with cache.workdir() as work:
        ctx = dataclasses.replace(ctx, overlays=_overlays(ctx, media, requests, missing, jobs))
        cores = jobs or os.cpu_count() or 1
        inproc = [job for job in missing if job.inproc]
        lanes = lane_width(media.width, media.height, cores)
        # one decode for two encoder threads on cores // 2 workers: only where the local pool runs every
        # batch (a cluster's worker runs one thread; ffmpeg batches want a worker per core)
        alone = runner is None and len(inproc) == len(missing)
        paired = paired_batches(inproc, lanes, cores) if alone else None
        batches = (paired or inproc_batches(inproc, lanes, cores)) + _batches(
            [j for j in missing if not j.inproc], group, cores
        )
        tracker = Tracker(batches, on_progress, on_chunks, len(found))
        workers = jobs if paired is None else cores // 2
        local = ProcessRunner(workers, told, keep_heap) if inproc and runner is None else ThreadRunner(jobs)
        if isinstance(runner, ProcessRunner):  # one given: told once its workers are forked too
            runner = runner.telling(told)
        elif not isinstance(runner or local, ProcessRunner):  # no fork to wait for: told now
            told()
        cuts = CutAssembler(video, table, plan, [req.target for req in requests], work)
        early = functools.partial(_early_cuts, cuts, per_request, found, cache, on_cut) if on_cut else None
        try:
            found.update(_encode_missing(ctx, batches, cache, work, runner or local, tracker, early))
            tracker.all_cached()
            cuts.assemble_all([[cache.local_chunk(j.key, found[j.key]) for j in jobs_] for jobs_ in per_request], jobs)
        except BaseException:
            cuts.discard()
            raise
    if on_progress:
        on_progress(1.0)
    return dataclasses.replace(planned, partials=cuts.partials)


def _early_cuts(
    cuts: CutAssembler,
    per_request: Sequence[Sequence[ChunkJob]],
    found: dict[str, Path],
    cache: ChunkCache,
    on_cut: Callable[[int, Path], None],
    done: dict[str, Path],
) -> None:
    """Assemble and announce each cut whose chunks are all there now (``found``: from the cache, ``done``:
    encoded so far)."""
    have = {**found, **done}
    for i, jobs_ in enumerate(per_request):
        if i not in cuts.done and all(job.key in have for job in jobs_):
            on_cut(i, cuts.assemble(i, [cache.local_chunk(job.key, have[job.key]) for job in jobs_]))


def _with_stills(per_request: Sequence[Sequence[ChunkJob]], stills: Sequence[Sequence[int]]) -> dict[str, ChunkJob]:
    """Each distinct chunk once, with the stills every request that shows it wants."""
    wanted: dict[str, set[int]] = {}
    for jobs_, frames in zip(per_request, stills, strict=False):
        for job in jobs_:
            wanted.setdefault(job.key, set()).update(local_frames(frames, job.chunk.first, job.chunk.end))
    unique = {job.key: job for jobs_ in per_request for job in jobs_}
    return {k: dataclasses.replace(j, stills=tuple(sorted(wanted.get(k, ())))) for k, j in unique.items()}


def _base_parts(video: Path, settings: ChunkSettings, root: Path) -> dict[str, object]:
    return {
        "source": source_digest(video, root),
        "encoder": [settings.crf, settings.preset, settings.x264_params(), "yuv420p", "mp4", *settings.colour],
        "ffmpeg": ffmpeg_version(),
    }


def _overlays(
    ctx: _Ctx,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    missing: Sequence[ChunkJob],
    jobs: int | None,
) -> tuple[Overlay | None, ...]:
    """The overlay of every request that has chunks to encode, in the span of those chunks
    (rendered ``jobs`` at a time)."""
    needed = [job for job in missing if job.ass_text is not None and job.inproc]
    windows = [span_ms(ctx.table, [j for j in needed if j.request == i]) for i in range(len(requests))]
    wanted = [(r.ass_text, r.font_key) if w else None for r, w in zip(requests, windows, strict=True)]
    return tuple(render_overlays(wanted, media.width, media.height, ctx.settings.colour, jobs, windows))


def _jobs_for(ctx: _Ctx, index: int, req: BurnRequest, plan: Sequence[Chunk]) -> list[ChunkJob]:
    jobs = []
    for chunk in plan:
        offset = chunk_offset_ms(ctx.table, chunk)
        text = slice_ass(ctx.subs[index], ctx.table, chunk, offset)
        parts = dict(ctx.base, frames=[chunk.first, chunk.end], offset_ms=offset, ass=text)
        inproc = text is None or ctx.static[index]
        if inproc:
            parts["engine"] = ENGINE
        if text is None:
            jobs.append(ChunkJob(chunk_key(parts), chunk, None, None, inproc=True))
        else:
            parts["font"] = font_digest(req.font_key)
            if inproc:
                first_ms, last_ms = math.floor(ctx.table.ms(chunk.first)), math.floor(ctx.table.ms(chunk.end - 1))
                parts["placement"] = placement_context(ctx.subs[index], first_ms, last_ms)
            jobs.append(ChunkJob(chunk_key(parts), chunk, text, req.font_key, index, inproc=inproc))
    return jobs


def _encode_missing(
    ctx: _Ctx,
    batches: Sequence[Sequence[ChunkJob]],
    cache: ChunkCache,
    work: Path,
    runner: BatchRunner,
    tracker: Tracker,
    after: Callable[[dict[str, Path]], None] | None = None,
) -> dict[str, Path]:
    for font_key in {job.font_key for batch in batches for job in batch if job.font_key is not None}:
        make_fontsdir(work / f"fonts-{font_key}", [font_key])
    done: dict[str, Path] = {}
    encode = functools.partial(_encode_item, cache=cache, work=work)
    items = [(_slim(ctx, batch), batch) for batch in batches]
    try:
        with contextlib.closing(runner.map(encode, items)) as results:  # closed early: no more batches start
            for n, (batch, result) in enumerate(zip(batches, results, strict=True)):
                done.update(result)
                tracker.batch_done(batch)
                if after and n < len(batches) - 1:  # the cuts left at the end: assembled jobs at a time
                    after(done)
    except WorkerDiedError as exc:
        raise OutputError(ctx.video, f"{exc} (its chunks were not written)") from None
    return done


def _slim(ctx: _Ctx, batch: Sequence[ChunkJob]) -> _Ctx:
    """What one batch needs of ``ctx`` (sent to another process): an in-process batch takes the
    states of its overlays shown on its frames, an ffmpeg batch the tracks."""
    if not batch[0].inproc:
        return dataclasses.replace(ctx, overlays=())
    first, end = span_ms(ctx.table, batch) or (0, 0)
    mine = {job.request for job in batch if job.ass_text is not None}
    overlays = tuple(o.window(first, end) if o is not None and i in mine else None for i, o in enumerate(ctx.overlays))
    return dataclasses.replace(ctx, subs=(), overlays=overlays)


def _encode_item(item: tuple[_Ctx, Sequence[ChunkJob]], cache: ChunkCache, work: Path) -> dict[str, Path]:
    """One batch, where the cache says (an object-store cache: a folder and a copy of the source of this
    process's own, which may be on another machine than the render's)."""
    ctx, batch = item
    with cache.batch_folder(work) as here:
        for font_key in {job.font_key for job in batch if job.font_key is not None}:
            if not (here / f"fonts-{font_key}").is_dir():
                make_fontsdir(here / f"fonts-{font_key}", [font_key])
        video = cache.source(ctx.video, str(ctx.base["source"]))
        return _encode_batch(dataclasses.replace(ctx, video=video), batch, cache, here)


def _encode_batch(ctx: _Ctx, batch: Sequence[ChunkJob], cache: ChunkCache, work: Path) -> dict[str, Path]:
    if batch[0].inproc:
        return encode_inproc(ctx.video, ctx.table, ctx.settings, ctx.overlays, batch, cache, work)
    return encode_ffmpeg(ctx.video, ctx.table, ctx.subs, ctx.settings, batch, cache, work)
