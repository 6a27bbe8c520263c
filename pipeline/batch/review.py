"""The review step of a run: ``output/<video>/review.html`` from the burned cuts (or the source).

A language whose burn failed, or a run with ``burn = false``, gets stills of the source with its
subtitles drawn by libass, so the page shows every language that has a track.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pipeline.batch.burnstep import burn_requests
from pipeline.batch.steps import LangTrack
from pipeline.core.errors import FontCoverageError
from pipeline.core.findings import Finding
from pipeline.core.profiles import Profile
from pipeline.media.probe import MediaInfo
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkstills import ChunkSpan
from pipeline.render.manifest import ManifestEntry
from pipeline.render.review import ReviewInput, write_review


def review_inputs(
    built: Mapping[str, LangTrack],
    entries: Sequence[ManifestEntry],
    qc: Mapping[str, Sequence[Finding]],
    failures: Mapping[str, str],
    root: Path,
    media: MediaInfo,
    style: Mapping[str, Any],
    burns: Mapping[str, Mapping[str, object]] | None = None,
) -> list[ReviewInput]:
    """Each built language with its burned cut when there is one, else its ASS for drawing on the source.

    A language whose burn failed, or whose font lacks characters, is listed without pictures. A cut
    that ``burns`` (the manifest's records) says is chunked gets its chunks, where its stills are.
    """
    cuts = {e.language: root / e.path for e in entries if e.kind == "burned"}
    digests = {e.language: e.sha256 for e in entries if e.kind == "burned"}
    items = []
    for item in built.values():
        tag = item.profile.tag
        failure = failures.get(f"{tag}/burn", "")
        cut = cuts.get(tag)
        pictured = cut is None and not failure and media.video is not None  # audio only: no picture to draw on
        ass = _drawable(item, media, style, root / tag) if pictured else None
        if isinstance(ass, FontCoverageError):
            ass, failure = None, str(ass)
        findings = tuple(qc.get(tag, ()))
        sha = digests.get(tag, "")
        spans = _chunks((burns or {}).get(tag, {})) if cut is not None else ()
        font, direction = item.profile.font, caption_direction(item.profile)
        items.append(ReviewInput(tag, item.track, findings, cut, ass, font, failure, sha, spans, direction))
    return items


def caption_direction(profile: Profile) -> str:
    """The ``dir`` of a language's captions on the page: its profile's direction, or ``auto`` (the
    browser reads it from the letters) for a language that has no profile of its own and whose
    default profile does not say it is written right to left (Hebrew today)."""
    return profile.direction if profile.rtl or profile.key != "default" else "auto"


def _chunks(record: Mapping[str, object]) -> tuple[ChunkSpan, ...]:
    """The chunks of a chunked cut's record: (key, first frame, end frame); empty when it lacks them."""
    keys, frames = record.get("chunks"), record.get("frames")
    if not isinstance(keys, list) or not isinstance(frames, list) or len(keys) != len(frames) or not keys:
        return ()
    try:
        return tuple((str(k), int(f[0]), int(f[1])) for k, f in zip(keys, frames, strict=True))
    except (TypeError, ValueError, IndexError):
        return ()


def _drawable(item: LangTrack, media: MediaInfo, style: Mapping[str, Any], folder: Path) -> str | FontCoverageError:
    """The ASS a burn would draw (same canvas, display sizes, pixel aspect and clipping), or why it
    cannot be drawn (its font lacks characters)."""
    try:
        requests, _tracks = burn_requests(media, [(item, folder)], style)
    except FontCoverageError as exc:
        return exc
    return requests[0].ass_text


def write_video_review(
    name: str,
    video: Path,
    media: MediaInfo,
    built: Mapping[str, LangTrack],
    entries: Sequence[ManifestEntry],
    qc: Mapping[str, Sequence[Finding]],
    failures: Mapping[str, str],
    root: Path,
    style: Mapping[str, Any],
    first: str | None = None,
    burns: Mapping[str, Mapping[str, object]] | None = None,
    cache: ChunkCache | None = None,
) -> Path:
    """Write the review page of one video; ``first`` is the language whose cues set the shared moments;
    ``burns``: the manifest's records of the burned cuts (a chunked cut's stills come from its chunks).

    Raises:
        FfmpegError, OutputError: when a still or the page cannot be written.
    """
    items = review_inputs(built, entries, qc, failures, root, media, style, burns)
    items.sort(key=lambda i: i.lang != first)  # stable: the default language first, then job order
    return write_review(root, name, video, media, items, cache, failures)
