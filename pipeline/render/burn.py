"""Burning tracks into the picture: one decode, N encodes (one per language) from a ``split`` filter.

Writes to partial names and returns them; the caller verifies and commits (see
:mod:`pipeline.render.outputs`). On failure every partial is removed before the error propagates,
and ffmpeg's full log is left beside the first target (``<target>.ffmpeg.log``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.media.commands import BurnOutput, burn_args, picture_for
from pipeline.media.containers import burn_audio_plan, is_mp4, require_video
from pipeline.media.ffmpeg import ProgressFn, run_ffmpeg
from pipeline.media.fonts import make_fontsdir
from pipeline.media.probe import MediaInfo
from pipeline.render.mux import settle_duration
from pipeline.render.outputs import discard, ensure_dir, log_path_for, partial_path, remove_partials_of

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


def burn_notes(media: MediaInfo, target: Path) -> list[str]:
    """What a burned cut of ``media`` at ``target`` changes besides adding text (conversions, padding)."""
    notes = list(burn_audio_plan(media, target).notes)
    if picture_for(media).pad:
        notes.append(f"picture padded from {media.width}x{media.height} to an even size (one black pixel)")
    return notes


def burn(
    video: Path,
    media: MediaInfo,
    requests: Sequence[BurnRequest],
    encoder: Encoder = Encoder(),
    on_progress: ProgressFn | None = None,
) -> list[Path]:
    """Burn every request's subtitles into ``video`` in one ffmpeg process; return partial paths.

    Subtitle and font files are written under fixed safe names in a private work folder that is
    ffmpeg's working directory, so no user file name ever enters the filter graph. Every audio
    stream, the chapters and the metadata are kept (audio MP4 cannot hold becomes AAC).

    Raises:
        InputError: when ``media`` has no video stream.
        FfmpegError: when ffmpeg fails or libass reports a missing glyph (one line; the full log
            is written to ``<first target>.ffmpeg.log``).
        OutputError: when an output folder cannot be written.
    """
    stream = require_video(media)
    for req in requests:
        ensure_dir(req.target.parent)
        remove_partials_of(req.target)
    partials = [partial_path(req.target.resolve()) for req in requests]
    audio = burn_audio_plan(media, requests[0].target).args
    with tempfile.TemporaryDirectory(prefix="subpipe-burn-") as tmp:
        work = Path(tmp)
        make_fontsdir(work / "fonts", [req.font_key for req in requests])
        outputs = []
        for i, (req, partial) in enumerate(zip(requests, partials, strict=True)):
            (work / f"track{i}.ass").write_text(req.ass_text, encoding="utf-8")
            outputs.append(BurnOutput(f"track{i}.ass", partial))
        argv = burn_args(
            video.resolve(),
            outputs,
            "fonts",
            crf=encoder.crf,
            preset=encoder.preset,
            picture=picture_for(media),
            audio=audio,
            stream=f"0:{stream.index}",
        )
        log = log_path_for(requests[0].target.resolve())
        try:
            run_ffmpeg(argv, duration_us=_length_us(media), on_progress=on_progress, cwd=work, log_path=log)
            for req, partial in zip(requests, partials, strict=True):
                if not is_mp4(req.target):
                    settle_duration(partial, media, req.target)
        except BaseException:
            discard(*partials)
            raise
    return partials


def _length_us(media: MediaInfo) -> int:
    return (media.video_duration_ms or media.duration_ms) * 1000
