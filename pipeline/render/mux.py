"""Muxing tracks into a stream copy of the video as soft subtitles (MKV or MP4 by the target's name).

Writes to a partial name and returns it; the caller verifies and commits (see
:mod:`pipeline.render.outputs`). On failure the partial is removed before the error propagates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.media.ffmpeg import ProgressFn, SoftTrack, mux_args, run_ffmpeg
from pipeline.media.probe import MediaInfo
from pipeline.render.outputs import discard, ensure_dir, partial_path, remove_partials_of


@dataclass(frozen=True)
class MuxTrack:
    """One soft track: its SRT text, ISO 639-2 code, title, and whether it is the default."""

    srt_text: str
    iso639_2: str
    title: str
    default: bool = False


def mux(
    video: Path,
    media: MediaInfo,
    tracks: Sequence[MuxTrack],
    target: Path,
    on_progress: ProgressFn | None = None,
) -> Path:
    """Mux ``tracks`` into a stream copy of ``video``; return the partial path.

    Raises:
        FfmpegError: when ffmpeg fails.
        OutputError: when the output folder cannot be written.
    """
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
        argv = mux_args(video.resolve(), soft, partial)
        try:
            run_ffmpeg(argv, duration_us=media.duration_ms * 1000, on_progress=on_progress, cwd=work)
        except BaseException:
            discard(partial)
            raise
    return partial
