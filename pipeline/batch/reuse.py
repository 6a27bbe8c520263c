"""The burn step of a run before anything is encoded: keep the cuts the last manifest proves unchanged.

Also decides how many languages share one render: all of them on the chunk path (its processes
hold at most a few x264 encoders each, whatever the number of languages, and a chunk without text
is encoded once for every language), ``[render] burn_group`` for the monolithic burn.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pipeline.batch.burnstep import burn_requests
from pipeline.batch.rerun import PreviousCut, proven, unchanged
from pipeline.batch.steps import LangTrack, ProgressFactory, mux_tracks
from pipeline.core.errors import PipelineError
from pipeline.ingest.job import Job, VideoJob
from pipeline.media.chunkargs import ffmpeg_version
from pipeline.media.probe import MediaInfo
from pipeline.render.burn import Encoder, burn_notes
from pipeline.render.chunkcache import ChunkCache, source_digest
from pipeline.render.chunkpath import chunk_blockers, recipes
from pipeline.render.manifest import ManifestEntry
from pipeline.tracks.formats import compose_srt
from pipeline.tracks.timeline import clip_to_video

logger = logging.getLogger(__name__)
KEPT = "unchanged since the last run (recipe and SHA-256 as recorded): kept"


class RunRecord(Protocol):
    """What a video's run collects (:class:`pipeline.batch.run.VideoResult`)."""

    entries: list[ManifestEntry]
    burns: dict[str, dict[str, object]]
    notes: dict[str, list[str]]


def target_of(vj: VideoJob, root: Path, tag: str) -> Path:
    """Where a language's burned cut goes."""
    return root / tag / f"{vj.name}.{tag}.mp4"


def keep_unchanged(
    job: Job,
    vj: VideoJob,
    media: MediaInfo,
    ready: Sequence[LangTrack],
    res: RunRecord,
    root: Path,
    previous: Mapping[str, PreviousCut],
) -> tuple[list[LangTrack], int]:
    """Record the unchanged cuts in ``res`` as they are; return the languages left to burn and the group size."""
    assert vj.video is not None
    if not ready:
        return [], 1
    items = [(item, target_of(vj, root, item.profile.tag)) for item in ready]
    size = job.render.burn_group if chunk_blockers(media, items[0][1]) else len(ready)
    if not previous:
        return list(ready), size
    try:
        requests, _tracks = burn_requests(media, items, job.style)
        encoder = Encoder(job.render.crf, job.render.preset)
        made = recipes(vj.video, media, requests, encoder, [], ChunkCache())  # as burn_cuts plans: no shot changes
    except PipelineError:
        return list(ready), size  # the burn itself will say what is wrong
    kept = unchanged(previous, root, requests, made)
    for tag, cut in kept.items():
        logger.info("%s: %s", target_of(vj, root, tag).name, KEPT)
        res.entries.append(cut.entry)
        res.burns[tag] = dict(cut.record)
    notes = burn_notes(media, items[0][1])
    if kept and notes:
        res.notes.setdefault("burn", notes)
    return [item for item in ready if item.profile.tag not in kept], size


@dataclass(frozen=True)
class Muxed:
    """A soft-subtitled file: made now (``entry`` None) or kept from the last run (its manifest entry)."""

    path: Path
    record: dict[str, object]
    entry: ManifestEntry | None = None


def mux_recipe(video: Path, media: MediaInfo, items: Sequence[LangTrack], default: str, target: Path) -> str:
    """The digest of what decides a soft-subtitled file: the source, each track's SRT and tags, the
    default language, the container and the ffmpeg version."""
    end_ms = media.video_duration_ms or None
    tracks = [
        [i.profile.tag, i.profile.iso639_2, i.profile.name, compose_srt(clip_to_video(i.track, end_ms)[0])]
        for i in items
    ]
    parts = {
        "scheme": 2,  # 2: MKV tracks carry LanguageBCP47
        "source": source_digest(video.resolve(), ChunkCache().root.parent),
        "tracks": tracks,
        "default": default,
        "container": target.suffix.lower(),
        "ffmpeg": ffmpeg_version(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def mux_or_keep(
    video: Path,
    media: MediaInfo,
    items: Sequence[LangTrack],
    default: str,
    target: Path,
    progress: ProgressFactory,
    notes: list[str],
    previous: PreviousCut | None,
) -> Muxed:
    """Mux ``items`` into ``target`` (:func:`pipeline.batch.steps.mux_tracks`) unless the last manifest
    proves the file there is what this mux would make (:func:`pipeline.batch.rerun.proven`).

    Raises:
        ContainerError, FfmpegError, VerifyError: as :func:`pipeline.batch.steps.mux_tracks`.
    """
    recipe = mux_recipe(video, media, items, default, target)
    root = target.parent
    if previous is not None and proven(previous, root, recipe):
        logger.info("%s: %s", target.name, KEPT)
        kept = previous.record.get("notes", [])
        notes.extend(str(n) for n in (kept if isinstance(kept, list) else []))
        return Muxed(target, dict(previous.record), previous.entry)
    if previous is not None:
        logger.info("%s: muxed again (its tracks, the source or the file changed)", target.name)
    path = mux_tracks(video, media, items, default, target, progress(f"mux {target.name}"), notes)
    return Muxed(path, {"recipe": recipe, "notes": list(notes)})
