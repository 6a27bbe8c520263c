"""The review page's pictures: per language, the frame at every cue's midpoint and at shared moments.

One decoding pass per cut (frames picked by index, never by seeking). A chunked cut's stills come
from its chunks instead (:mod:`pipeline.render.chunkstills`): tapped when they were encoded (the
picture x264 received, which differs from the decoded cut by coding noise only), else decoded from
the few chunks that lack one. Without a burned cut the frames come from the source with the
language's subtitles drawn by libass, as a burn would.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipeline.core.cues import Track
from pipeline.core.findings import Finding
from pipeline.media.probe import MediaInfo
from pipeline.media.stills import extract_stills
from pipeline.qc.check import FileReport, VideoFacts
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkstills import ChunkSpan, chunk_stills
from pipeline.render.outputs import write_text
from pipeline.render.review_html import LangReview, review_page
from pipeline.render.staging import fresh_folder, readable

logger = logging.getLogger(__name__)
REVIEW_DIR = "review"
STAMP = ".stills.json"  # which cut (SHA-256) and frames the stills of a language were taken from


@dataclass(frozen=True)
class ReviewInput:
    """One language to review: its track and findings, and where its pictures come from.

    ``cut`` is the burned cut; without one, ``ass_text`` is drawn on the source with ``font_key``;
    with neither (its burn failed: ``failure`` says why) the language is shown without pictures.
    """

    lang: str
    track: Track
    findings: Sequence[Finding]
    cut: Path | None = None
    ass_text: str | None = None
    font_key: str = ""
    failure: str = ""
    cut_sha256: str = ""
    """The cut's SHA-256 (the manifest's): stills of an unchanged cut are kept from the last run."""
    chunks: tuple[ChunkSpan, ...] = ()
    """A chunked cut's chunks (key, first frame, end frame): its stills are taken from them."""
    direction: str = "ltr"
    """The language profile's direction (``rtl``: its captions are marked right to left)."""


def frame_at(ms: int, fps: Fraction) -> int:
    """The index of the frame on screen at ``ms`` (frame k shows from k/fps until (k+1)/fps).

    >>> frame_at(1000, Fraction(25))
    25
    """
    return (ms * fps.numerator) // (1000 * fps.denominator)


def moments_of(track: Track) -> list[int]:
    """The shared moments of the page: the midpoint of each cue of ``track`` (the default language)."""
    return [(c.start_ms + c.end_ms) // 2 for c in track.cues]


def _last_frame(media: MediaInfo) -> int:
    return (media.frames or frame_at(media.duration_ms, media.fps)) - 1


def _frames(track: Track, moments: Sequence[int], media: MediaInfo) -> tuple[dict[int, int], dict[int, int]]:
    cue_frames = {n: frame_at((c.start_ms + c.end_ms) // 2, media.fps) for n, c in enumerate(track.cues, start=1)}
    return cue_frames, {ms: frame_at(ms, media.fps) for ms in moments}


def review_frames(tracks: Mapping[str, Track], first: str | None, media: MediaInfo) -> dict[str, list[int]]:
    """Each language's frames on the page: its cues' midpoints and the moments, which are the cue
    midpoints of ``first`` (else of the first language), as :func:`write_review` takes them."""
    if not tracks:
        return {}
    moments = moments_of(tracks[first] if first is not None and first in tracks else next(iter(tracks.values())))
    wanted = {}
    for lang, track in tracks.items():
        cues, at = _frames(track, moments, media)
        wanted[lang] = sorted({f for f in (*cues.values(), *at.values()) if 0 <= f <= _last_frame(media)})
    return wanted


def _review_one(
    root: Path,
    source: Path,
    media: MediaInfo,
    item: ReviewInput,
    moments: Sequence[int],
    cache: ChunkCache,
    failures: Mapping[str, str],
) -> LangReview:
    fps, last = media.fps, _last_frame(media)
    cue_frames, moment_frames = _frames(item.track, moments, media)
    wanted = {f for f in (*cue_frames.values(), *moment_frames.values()) if 0 <= f <= last}
    stills = _stills(root / REVIEW_DIR / item.lang, source, item, wanted, cache)
    rel = {n: p.relative_to(root).as_posix() for n, p in stills.items()}
    # The video's facts make the timeline as long as the video, not as its last cue.
    report = FileReport(item.lang, item.lang, fps, item.track, tuple(item.findings), VideoFacts(media, (), None))
    cut = f"{source.name} (subtitles drawn by libass)" if item.ass_text is not None else f"none: {item.failure}"
    href = None
    if item.cut is not None:
        cut = href = item.cut.relative_to(root).as_posix()
    return LangReview(
        item.lang,
        cut,
        report,
        {n: rel[f] for n, f in cue_frames.items() if f in rel},
        {ms: rel[f] for ms, f in moment_frames.items() if f in rel},
        item.direction,
        href,
        {key.partition("/")[2]: why for key, why in failures.items() if key.partition("/")[0] == item.lang},
    )


def _stills(folder: Path, source: Path, item: ReviewInput, wanted: set[int], cache: ChunkCache) -> dict[int, Path]:
    """The frames ``wanted`` of the language's cut (or drawn on the source), in one decoding pass.

    New stills replace the folder's whole (staged with the run's other outputs,
    :func:`pipeline.render.staging.fresh_folder`); the paths returned are their final ones."""
    stamp = json.dumps({"cut": item.cut_sha256, "frames": sorted(wanted)}) if item.cut_sha256 else ""
    kept = _kept_stills(folder, stamp, wanted)
    if kept is not None:
        logger.info("review %s: %d still(s) kept (same cut and frames as last run)", item.lang, len(kept))
        return kept
    out = fresh_folder(folder)  # replaces the stills of an earlier run
    stills: dict[int, Path] = {}
    if item.cut is not None:
        stills = _cut_stills(readable(item.cut), item.chunks, wanted, out, cache)
        if stamp:
            write_text(out / STAMP, stamp)
    elif item.ass_text is not None:
        logger.info("review %s: no burned cut; subtitles drawn on %s by libass", item.lang, source.name)
        stills = extract_stills(source, wanted, out, ass_text=item.ass_text, font_keys=[item.font_key])
    else:
        logger.info("review %s: no pictures (%s)", item.lang, item.failure)
    return {frame: folder / path.relative_to(out) for frame, path in stills.items()}


def _cut_stills(
    cut: Path, chunks: Sequence[ChunkSpan], wanted: set[int], folder: Path, cache: ChunkCache
) -> dict[int, Path]:
    """From the chunks' stills when the cut is chunked (and its chunks are cached), else one pass over the cut."""
    if chunks:
        try:
            stills = chunk_stills(cache, chunks, wanted, folder)
            logger.info("review: %d still(s) of %s from its chunks (cached)", len(stills), cut.name)
            return stills
        except LookupError:  # a chunk left the cache (pruned): decode the cut
            logger.info("review: a chunk of %s left the cache: its stills are decoded from the cut", cut.name)
            for still in folder.glob("*.jpg"):
                still.unlink()
    logger.info("review: %d still(s) decoded from %s", len(wanted), cut.name)
    return extract_stills(cut, wanted, folder)


def _kept_stills(folder: Path, stamp: str, wanted: set[int]) -> dict[int, Path] | None:
    """The last run's stills when they were taken from the same cut (same SHA-256) at the same frames."""
    try:
        if not stamp or (folder / STAMP).read_text(encoding="utf-8") != stamp:
            return None
    except OSError:
        return None
    stills = {f: folder / f"f{f:06d}.jpg" for f in wanted}
    return stills if all(p.is_file() for p in stills.values()) else None


def write_review(
    root: Path,
    name: str,
    source: Path,
    media: MediaInfo,
    items: Sequence[ReviewInput],
    cache: ChunkCache | None = None,
    failures: Mapping[str, str] | None = None,
) -> Path:
    """Write ``root/review.html`` and its pictures (``root/review/<lang>/``); return the page's path.

    The moments shared across languages are the first language's cue midpoints. ``cache``: where the
    chunked cuts' chunks and stills are (default: ``SUBPIPE_CACHE``; a cluster run's is its own).
    ``failures``: the run's failed outputs so far, shown at the top and in their language's section.

    Raises:
        FfmpegError: when a frame cannot be extracted.
        OutputError: when the page cannot be written.
    """
    moments = moments_of(items[0].track) if items else []
    cache = cache or ChunkCache()
    failures = failures or {}
    reviews = [_review_one(root, source, media, item, moments, cache, failures) for item in items]
    burned = all(item.cut is not None for item in items)
    origin = "the burned cuts" if burned else f"{source.name}, subtitles drawn by libass where no cut was burned"
    return write_text(root / "review.html", review_page(name, reviews, moments, origin, failures))
