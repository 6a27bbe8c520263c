"""Muxing tracks into a stream copy of the video as soft subtitles (MKV or MP4 by the target's name).

Every stream of the source that the container can hold is carried: video, all audio, existing
subtitles, attachments (MKV fonts), cover art (an attached picture in MP4, an attachment in MKV),
chapters, metadata, timecode. Writes to a partial name and returns it with notes on what could not
be carried as is; the caller verifies and commits (see :mod:`pipeline.render.outputs`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from pipeline.media.commands import Cover, SoftTrack, lead_seconds, length_limit, mux_args
from pipeline.media.containers import COVER_TYPES, StreamPlan, mux_plan
from pipeline.media.ffmpeg import ProgressFn, run_ffmpeg
from pipeline.media.probe import MediaInfo, StreamInfo
from pipeline.render.outputs import discard, ensure_dir, log_path_for, partial_path, remove_partials_of


@dataclass(frozen=True)
class MuxTrack:
    """One soft track: its SRT text, ISO 639-2 code, title, and whether it is the default."""

    srt_text: str
    iso639_2: str
    title: str
    default: bool = False


@dataclass(frozen=True)
class MuxResult:
    """A finished mux: its partial file, the plan it followed (streams kept, notes)."""

    partial: Path
    plan: StreamPlan


def mux(
    video: Path,
    media: MediaInfo,
    tracks: Sequence[MuxTrack],
    target: Path,
    on_progress: ProgressFn | None = None,
) -> MuxResult:
    """Mux ``tracks`` into a stream copy of ``video``; return the partial path and the plan.

    Raises:
        ContainerError: when the video codec does not fit the container (before anything is written).
        FfmpegError: when ffmpeg fails (one line; the full log goes to ``<target>.ffmpeg.log``).
        OutputError: when the output folder cannot be written.
    """
    plan = mux_plan(media, target)
    ensure_dir(target.parent)
    remove_partials_of(target)
    partial = partial_path(target.resolve())
    with tempfile.TemporaryDirectory(prefix="subpipe-mux-") as tmp:
        work = Path(tmp)
        soft: list[SoftTrack] = []
        for i, track in enumerate(tracks):
            path = work / f"track{i}.srt"
            path.write_text(track.srt_text, encoding="utf-8")
            soft.append(SoftTrack(path, track.iso639_2, track.title, track.default))
        covers = _extract_covers(video, plan.covers, work)
        argv = mux_args(video.resolve(), soft, partial, plan, covers, length_limit(media), lead_seconds(media))
        length_us = (media.video_duration_ms or media.duration_ms) * 1000
        try:
            run_ffmpeg(argv, duration_us=length_us, on_progress=on_progress, cwd=work, log_path=log_path_for(target))
        except BaseException:
            discard(partial)
            raise
    return MuxResult(partial, plan)


def _extract_covers(video: Path, streams: Sequence[StreamInfo], work: Path) -> list[Cover]:
    """Write each cover-art stream's picture (its one packet) to a file in ``work``."""
    covers: list[Cover] = []
    if not streams:
        return covers
    with av.open(str(video.resolve())) as container:
        for n, stream in enumerate(streams):
            ext, mimetype = COVER_TYPES.get(stream.codec, ("bin", "application/octet-stream"))
            source = next(s for s in container.streams if s.index == stream.index)
            packet = next((p for p in container.demux(source) if p.size), None)
            if packet is None:
                continue
            path = work / f"cover{n or ''}.{ext}"  # "cover.jpg": the name Matroska players look for
            path.write_bytes(bytes(packet))
            covers.append(Cover(path, mimetype))
            container.seek(0)
    return covers
