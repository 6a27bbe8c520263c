"""Render: burn tracks into the picture (one decode, N encodes) and mux them as soft tracks.

Both write to partial names and return them; the caller verifies and commits (see
:mod:`pipeline.outputs`). On failure every partial is removed before the error propagates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.ffmpeg import BurnOutput, ProgressFn, SoftTrack, burn_args, mux_args, run_ffmpeg
from pipeline.fonts import make_fontsdir
from pipeline.outputs import discard, ensure_dir, partial_path, remove_partials_of
from pipeline.probe import MediaInfo

DEFAULT_CRF = 23
DEFAULT_PRESET = "veryfast"


@dataclass(frozen=True)
class BurnRequest:
    """One language's burned cut: its ASS text, the font it needs, and the final target."""

    lang: str
    ass_text: str
    font_key: str
    target: Path


@dataclass(frozen=True)
class Encoder:
    """x264 settings of burned cuts."""

    crf: int = DEFAULT_CRF
    preset: str = DEFAULT_PRESET


def burn(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    encoder: Encoder = Encoder(),
    on_progress: ProgressFn | None = None,
) -> list[Path]:
    """Burn every request's subtitles into ``video`` in one ffmpeg process; return partial paths.

    Subtitle and font files are written under fixed safe names in a private work folder that is
    ffmpeg's working directory, so no user file name ever enters the filter graph.

    Raises:
        FfmpegError: when ffmpeg fails or libass reports a missing glyph.
        OutputError: when an output folder cannot be written.
    """
    for req in requests:
        ensure_dir(req.target.parent)
        remove_partials_of(req.target)
    partials = [partial_path(req.target.resolve()) for req in requests]
    with tempfile.TemporaryDirectory(prefix="subpipe-burn-") as tmp:
        work = Path(tmp)
        make_fontsdir(work / "fonts", [req.font_key for req in requests])
        outputs = []
        for i, (req, partial) in enumerate(zip(requests, partials, strict=True)):
            (work / f"track{i}.ass").write_text(req.ass_text, encoding="utf-8")
            outputs.append(BurnOutput(f"track{i}.ass", partial))
        argv = burn_args(video.resolve(), outputs, "fonts", crf=encoder.crf, preset=encoder.preset)
        try:
            run_ffmpeg(argv, duration_us=media.duration_ms * 1000, on_progress=on_progress, cwd=work)
        except BaseException:
            discard(*partials)
            raise
    return partials


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
