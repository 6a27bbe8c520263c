"""Which engine burns a cut, and what decided its bytes (the recipe a rerun compares).

Burned cuts are rendered from content-addressed chunks (:mod:`pipeline.render.chunkburn`) whenever
the chunk path reproduces everything the monolithic burn (:func:`pipeline.render.burn.burn`) does
for the source; for the sources it does not (yet) reproduce exactly, the monolithic burn is used:
see :func:`chunk_blockers`.

A cut's *recipe* is a digest of everything that decides its bytes and its chunk keys: the engine,
the source's SHA-256, the ASS text, the font file's digest, the encoder settings, the ffmpeg
version and (chunked) the shot changes and chunk lengths that place chunk boundaries. Equal recipes give equal chunk
keys and an equal cut, which is what lets a rerun skip a cut its manifest describes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pysubs2

from pipeline.media.chunkargs import ChunkSettings, ffmpeg_version
from pipeline.media.commands import BURN_X264, outlasts_picture, picture_for
from pipeline.media.containers import MP4_SUFFIXES, burn_audio_plan
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.probe import MediaInfo
from pipeline.render import chunks
from pipeline.render.batchrun import BatchRunner
from pipeline.render.burn import BurnRequest, Encoder, burn
from pipeline.render.chunkburn import ChunkedBurn, ChunkProgress, render_chunked
from pipeline.render.chunkcache import ChunkCache, font_digest, source_digest
from pipeline.render.chunkengine import chunk_engine, inproc_picture
from pipeline.render.chunks import KEY_SCHEME

CHUNKED, MONOLITHIC = "chunked", "monolithic"
logger = logging.getLogger(__name__)


@runtime_checkable
class ChunkAware(Protocol):
    """A progress callback that can also show chunks done/total, frames per second and an ETA."""

    def __call__(self, fraction: float) -> None:
        """The fraction done."""

    def chunks(self, progress: ChunkProgress) -> None:
        """Chunks done of total, frames per second, seconds left."""


@dataclass(frozen=True)
class CutRecord:
    """How a cut was made: engine, recipe digest, what decided it, its chunk keys (chunked only)."""

    engine: str
    recipe: str
    decided_by: dict[str, object]
    chunks: list[str] = field(default_factory=list)
    encoded: int = 0
    spans_ms: list[tuple[int, int]] = field(default_factory=list)
    """Each chunk's time on the cut's clock, ``[first frame, next chunk's first frame)`` in ms."""
    frames: list[tuple[int, int]] = field(default_factory=list)
    """Each chunk's frames ``[first, end)``: with the keys, where the cut's review stills are kept."""
    cached: int = 0
    """How many of the burn's chunk outputs (shared by its cuts) came from the cache (``encoded``: were encoded)."""

    def as_json(self) -> dict[str, object]:
        """The manifest's record of the cut."""
        made: dict[str, object] = {"engine": self.engine, "recipe": self.recipe, "decided_by": self.decided_by}
        made["chunks"] = self.chunks
        if self.frames:
            made["frames"] = [list(f) for f in self.frames]
        return made


def chunk_blockers(media: MediaInfo, target: Path) -> list[str]:
    """Why the chunk path cannot reproduce the monolithic burn of ``media`` exactly (empty: it can).

    Colour description, chapters, metadata, VFR and a non-zero start are carried by the chunk path;
    the rest falls back to the monolithic burn, which does them (docs/design.md, "Chunked burning").
    """
    picture = picture_for(media)
    reasons = []
    videos = [s for s in media.streams if s.kind == "video"]
    checks = [
        (media.rotated, "rotated picture"),
        (picture.pad, "odd size padded"),
        (picture.pix_fmt != "yuv420p" or media.bit_depth > 8, "more than 8 bits"),
        (media.interlaced, "interlaced"),
        (media.sar != 1, "non-square pixels"),
        (bool(picture.lead) or media.lead_us > 0, "audio starts before the picture"),
        (bool(burn_audio_plan(media, target).notes), "audio converted"),
        (outlasts_picture(media), "streams outlast the picture"),
        (not videos or videos[0] is not media.video, "the picture is not the first video stream"),
        (target.suffix.lower() not in MP4_SUFFIXES, "not an MP4 target"),
        (0 < media.frames < 2, "fewer than two frames"),
    ]
    for blocked, why in checks:
        if blocked:
            reasons.append(why)
    return reasons


def settings_for(media: MediaInfo, encoder: Encoder) -> ChunkSettings:
    """The chunk encoder settings of ``media``: the encoder's, with the source's colour description."""
    options = picture_for(media).options
    return ChunkSettings(encoder.crf, encoder.preset, colour=tuple(options))


def _x264_params(engine: str, settings: ChunkSettings) -> str:
    """The x264 threading that decides an engine's bytes (a monolithic cut made before its thread
    count was fixed has another recipe, so a rerun burns it again)."""
    return settings.x264_params() if engine == CHUNKED else BURN_X264


def recipes(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    encoder: Encoder,
    shots: Sequence[int],
    cache: ChunkCache,
) -> list[tuple[str, dict[str, object]]]:
    """Each request's recipe digest and what it hashes (cheap: no decoding, the source digest is remembered)."""
    engine = MONOLITHIC if chunk_blockers(media, requests[0].target) else CHUNKED
    settings = settings_for(media, encoder)
    common: dict[str, object] = {
        "scheme": KEY_SCHEME,
        "engine": engine,
        "source": source_digest(video.resolve(), cache.root.parent),
        "encoder": [settings.crf, settings.preset, _x264_params(engine, settings), *settings.colour],
        "ffmpeg": ffmpeg_version(),
        "shot_changes": hashlib.sha256(json.dumps(list(shots)).encode()).hexdigest() if engine == CHUNKED else "",
        "plan": [chunks.MIN_MS, chunks.TARGET_MS, chunks.MAX_MS] if engine == CHUNKED else [],
    }
    out = []
    picture_ok = engine == CHUNKED and inproc_picture(video.resolve())
    for req in requests:
        parts = dict(common, ass=hashlib.sha256(req.ass_text.encode()).hexdigest(), font=font_digest(req.font_key))
        if engine == CHUNKED:  # in-process (static tracks) or ffmpeg chunk encodes give other bytes
            parts["chunk_engine"] = chunk_engine(pysubs2.SSAFile.from_string(req.ass_text), picture_ok)
        parts["container"] = req.target.suffix.lower()
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
        out.append((hashlib.sha256(text.encode()).hexdigest(), parts))
    return out


def burn_cuts(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    encoder: Encoder,
    progress: ProgressFn | None = None,
    *,
    shots: Sequence[int] | None = None,
    cache: ChunkCache | None = None,
    force: bool = False,
    runner: BatchRunner | None = None,
    stills: Sequence[Sequence[int]] = (),
    on_plan: Callable[[list[CutRecord]], None] | None = None,
    on_cut: Callable[[int, Path], None] | None = None,
) -> tuple[list[Path], list[CutRecord]]:
    """Burn every request (chunked where :func:`chunk_blockers` allows); partial paths and records.

    ``force``: encode every chunk again, whatever the cache holds; ``runner``: where the chunk batches are
    encoded (default: threads here). ``stills``: each request's frames that a chunked burn taps as
    review stills (:mod:`pipeline.render.chunkstills`); a monolithic burn ignores them (the review
    decodes its cut). ``on_plan`` gets the records as the encoding starts (a chunked burn's ``encoded``
    and ``cached`` are then what will be encoded and reused); ``on_cut`` each chunked cut assembled while
    others are still encoded (:func:`pipeline.render.chunkburn.render_chunked`).

    Raises:
        FfmpegError: when ffmpeg fails or libass reports a missing glyph.
        VerifyError: when a chunked cut does not hold exactly the source's frames.
        OutputError: when an output folder cannot be written.
    """
    cache = cache or ChunkCache()
    blockers = chunk_blockers(media, requests[0].target)
    names = ", ".join(req.target.name for req in requests)
    if blockers:
        logger.info("%s: monolithic burn of %s (%s)", video.name, names, ", ".join(blockers))
        shots = []  # the monolithic burn has no chunk boundaries to place
    shots = [] if shots is None else list(shots)  # the plan follows the source's keyframes: no pass before encoding
    made = recipes(video, media, requests, encoder, shots, cache)
    if made[0][1]["engine"] == MONOLITHIC:
        records = [CutRecord(MONOLITHIC, digest, parts) for digest, parts in made]
        if on_plan:
            on_plan(records)
        return burn(video, media, requests, encoder, progress), records
    on_chunks = progress.chunks if isinstance(progress, ChunkAware) else None
    done = render_chunked(
        video,
        media,
        requests,
        encoder,
        cache,
        shot_changes_ms=shots,
        on_progress=progress,
        on_chunks=on_chunks,
        settings=settings_for(media, encoder),
        force=force,
        runner=runner,
        stills=stills,
        on_plan=(lambda planned: on_plan(_records(made, planned))) if on_plan else None,
        on_cut=on_cut,
    )
    return done.partials, _records(made, done)


def _records(made: Sequence[tuple[str, dict[str, object]]], done: ChunkedBurn) -> list[CutRecord]:
    return [
        CutRecord(CHUNKED, digest, parts, keys, done.encoded, done.spans_ms, done.frames, done.reused)
        for (digest, parts), keys in zip(made, done.keys, strict=True)
    ]
