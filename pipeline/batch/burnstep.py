"""The burn step: every language's cut of one video (coverage gate, render, verify each cut, commit).

Used alone (the CLI's ``burn``) and by :mod:`pipeline.batch.run`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.batch.burnchecks import VERIFY_WORKERS, CutChecks
from pipeline.batch.rerun import PreviousCut
from pipeline.batch.steps import LangTrack, clip_track, display_style, style_for
from pipeline.core.cues import Track
from pipeline.core.errors import PipelineError, VerifyError
from pipeline.media.commands import burn_size
from pipeline.media.containers import require_video
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.fonts import check_coverage
from pipeline.media.probe import MediaInfo
from pipeline.render.batchrun import HERE, ChunkWork
from pipeline.render.burn import BurnRequest, Encoder, burn_notes
from pipeline.render.chunkpath import CutRecord, burn_cuts
from pipeline.render.frames import FrameMemo
from pipeline.render.outputs import discard
from pipeline.render.verify import source_memo
from pipeline.tracks.formats import compose_ass

logger = logging.getLogger(__name__)


@dataclass
class BurnOptions:
    """How a burn of several languages runs, and what it reports back.

    ``previous``: each language's last verified cut (only the time of its changed chunks is verified
    again: :func:`pipeline.batch.rerun.verify_window`); ``force``: every chunk is encoded again;
    ``work``: where chunks are encoded and cached (default: threads here, the default cache);
    ``stills``: the review's frames of each language, tapped by the chunk encodes; ``source_frames``:
    the source's frames the verifications share (default: a memo for this burn alone; one given here
    may serve several burns of the same video and is not closed).
    Filled in by the burn: ``notes``, what the cuts change besides the text (audio converted,
    picture padded), and ``records``, how each committed cut was made (by language).
    """

    progress: ProgressFn | None = None
    previous: Mapping[str, PreviousCut] = field(default_factory=dict)
    force: bool = False
    work: ChunkWork = HERE
    stills: Mapping[str, Sequence[int]] = field(default_factory=dict)
    source_frames: FrameMemo | None = None
    notes: list[str] = field(default_factory=list)
    records: dict[str, CutRecord] = field(default_factory=dict)


def burn_tracks(
    video: Path,
    media: MediaInfo,
    items: Sequence[tuple[LangTrack, Path]],
    style: Mapping[str, Any],
    encoder: Encoder,
    progress: ProgressFn | None = None,
    force: bool = False,
) -> list[Path]:
    """Burn each (track, target) into a cut of ``video``; verify; commit (``force``: no cached chunk).

    Raises:
        InputError: when ``media`` has no video stream (audio only).
        FontCoverageError: before any encoding, when a font lacks a character of its track.
        FfmpegError, VerifyError: when rendering or verification fails (no final file is left).
    """
    results = burn_tracks_each(video, media, items, style, encoder, BurnOptions(progress, force=force))
    failed = [r for r in results if isinstance(r, PipelineError)]
    if failed:
        for path in results:
            if isinstance(path, Path):
                path.unlink(missing_ok=True)  # all or nothing, as a single command promises
        raise failed[0]
    return [r for r in results if isinstance(r, Path)]


def burn_requests(
    media: MediaInfo, items: Sequence[tuple[LangTrack, Path]], style: Mapping[str, Any]
) -> tuple[list[BurnRequest], list[Track]]:
    """Each item's burn request (its ASS on the burn's canvas) and its track clipped to the video.

    Raises:
        InputError: when ``media`` has no video stream (audio only).
        FontCoverageError: when a font lacks a character of its track.
    """
    require_video(media)
    width, height = burn_size(media)
    style = display_style(style, (media.display_width, media.display_height))
    requests, tracks = [], []
    for item, target in items:
        track = clip_track(item.track, media, target)
        check_coverage(item.profile.tag, item.profile.font, track.texts())
        ass_style = style_for(item.profile, style, height)
        ass = compose_ass(track, ass_style, width, height, fps=media.fps or None, sar=media.sar)
        requests.append(BurnRequest(item.profile.tag, ass, item.profile.font, target))
        tracks.append(track)
    return requests, tracks


def burn_tracks_each(
    video: Path,
    media: MediaInfo,
    items: Sequence[tuple[LangTrack, Path]],
    style: Mapping[str, Any],
    encoder: Encoder,
    options: BurnOptions | None = None,
) -> list[Path | VerifyError]:
    """Burn every item (chunked, :func:`pipeline.render.chunkpath.burn_cuts`), then verify each cut alone.

    Returns each cut's path, or why it failed. A failure of the shared render raises (any language
    could have caused it); a cut that fails its own verification is an error of that language only,
    and the others are committed. What the cut changes besides the text is logged and added to
    ``options.notes``; how each committed cut was made goes to ``options.records``.

    Raises:
        InputError: when ``media`` has no video stream (audio only).
        FontCoverageError: before any encoding, when a font lacks a character of its track.
        FfmpegError: when the shared render fails.
    """
    opts = options or BurnOptions()
    requests, tracks = burn_requests(media, items, style)
    for note in burn_notes(media, items[0][1]):
        logger.warning("%s: %s", items[0][1].name, note)
        opts.notes.append(note)
    made, results = _burn_and_verify(video, media, requests, tracks, encoder, opts)
    for req, record, result in zip(requests, made, results, strict=True):
        if isinstance(result, Path):
            opts.records[req.lang] = record
    return results


def _burn_and_verify(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    tracks: Sequence[Track],
    encoder: Encoder,
    opts: BurnOptions,
) -> tuple[list[CutRecord], list[Path | VerifyError]]:
    """Burn the cuts, each cut's check queued as soon as it is assembled and run once the encodes are done
    (:class:`~pipeline.batch.burnchecks.CutChecks`);
    no partial is left behind when encoding or verifying fails or is interrupted."""
    made_partials: list[Path] = []
    try:  # the pool (below) has waited for the running verifications before a partial is removed
        with contextlib.ExitStack() as stack:
            memo = opts.source_frames or stack.enter_context(source_memo(media))  # one made here is closed
            pool = stack.enter_context(ThreadPoolExecutor(VERIFY_WORKERS, thread_name_prefix="verify"))
            checks = CutChecks(media, tracks, requests, opts.previous, memo, pool)
            stack.callback(checks.encodes_done)  # a memo given is left with its own budget
            stack.callback(checks.cancel)  # first, on any exit: those not started (the pool waits for the running ones)

            def ready(i: int, partial: Path) -> None:
                made_partials.append(partial)
                checks.cut_ready(i, partial)

            partials, made = burn_cuts(
                video,
                media,
                requests,
                encoder,
                opts.progress,
                force=opts.force,
                runner=opts.work.runner,
                cache=opts.work.cache,
                stills=[opts.stills.get(req.lang, ()) for req in requests],
                on_plan=lambda planned: stack.enter_context(checks.planned(planned)),
                on_cut=ready,
            )
            made_partials += partials
            return made, checks.results(partials, made)
    except BaseException:  # Ctrl-C or an error while encoding or verifying: no partial is left behind
        discard(*made_partials)
        raise
