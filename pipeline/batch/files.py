"""One file at a time: burn a subtitle file into a video, mux several in, synchronise one to the audio.

What the CLI's ``burn``, ``mux`` and ``sync`` commands do, as functions for Python users.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.batch.burnstep import burn_tracks
from pipeline.batch.steps import LangTrack, mux_tracks
from pipeline.core.errors import InputError
from pipeline.core.profiles import get_profile
from pipeline.ingest.subparse import read_subtitles
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.probe import probe
from pipeline.render.burn import Encoder
from pipeline.render.outputs import write_text
from pipeline.tracks.formats import compose_srt, compose_vtt

if TYPE_CHECKING:
    from pipeline.qc.sync import SyncResult


def read_lang_tracks(
    paths: Sequence[Path], langs: Sequence[str], encoding: str | None = None, *, lenient: bool = False
) -> list[LangTrack]:
    """Read each subtitle file as a track of its language, with that language's profile.

    Raises:
        InputError: when a file cannot be read or parsed.
        UsageError: when a language tag is not valid.
    """
    items = []
    for path, lang in zip(paths, langs, strict=True):
        profile = get_profile(lang)
        items.append(LangTrack(read_subtitles(path, profile.tag, encoding, lenient=lenient), profile))
    return items


def burn_file(
    video: str | Path,
    subtitle: str | Path,
    output: str | Path,
    lang: str,
    *,
    encoding: str | None = None,
    lenient: bool = False,
    encoder: Encoder | None = None,
    on_progress: ProgressFn | None = None,
    force: bool = False,
) -> Path:
    """Burn one SRT/VTT file of language ``lang`` into ``video``; verify the cut; return its path.

    The cut is assembled from cached chunks where it can be (``force``: every chunk encoded again).

    Raises:
        InputError: for an unreadable video or subtitle file.
        FontCoverageError, FfmpegError, VerifyError: when the burn cannot be made or checked;
            nothing is left under ``output``.
    """
    item = read_lang_tracks([Path(subtitle)], [lang], encoding, lenient=lenient)[0]
    media = probe(Path(video))
    out = burn_tracks(Path(video), media, [(item, Path(output))], {}, encoder or Encoder(), on_progress, force)
    return out[0]


def mux_files(
    video: str | Path,
    subtitles: Sequence[str | Path],
    langs: Sequence[str],
    output: str | Path,
    *,
    default: str | None = None,
    encoding: str | None = None,
    lenient: bool = False,
    on_progress: ProgressFn | None = None,
) -> Path:
    """Mux SRT/VTT files (one language each) into a stream copy of ``video`` (MKV or MP4 by ``output``).

    ``default`` is the default track's language (the first file's when not given).

    Raises:
        InputError, UsageError: for unreadable inputs or a default that is not among the tracks.
        FfmpegError, VerifyError: when muxing or its check fails; nothing is left under ``output``.
    """
    items = read_lang_tracks([Path(p) for p in subtitles], langs, encoding, lenient=lenient)
    default_tag = get_profile(default).tag if default else items[0].profile.tag
    return mux_tracks(Path(video), probe(Path(video)), items, default_tag, Path(output), on_progress)


def sync_files(
    video: str | Path,
    pairs: Sequence[tuple[Path, Path]],
    langs: Sequence[str],
    *,
    encoding: str | None = None,
    max_offset_s: int = 60,
    splits: bool = True,
    min_confidence: float | None = None,
) -> tuple[SyncResult, list[Path]]:
    """Align the first file of ``pairs`` (source, target) to the speech of ``video``; write every target.

    All files share the first one's correction (tracks of one cut in several languages). When the
    alignment does not show that the track belongs to this audio (``result.ok`` false: confidence
    under ``min_confidence``, default ``syncproof.SYNC_MIN_CONFIDENCE``, too few pauses in the speech,
    or no margin over the same cues shuffled; ``syncproof.refusal`` says which) nothing is written.
    ``min_confidence`` 0 applies any fit.

    Raises:
        InputError: for unreadable inputs or a video without audio.
    """
    # The audio stack (PyAV, numpy, WebRTC VAD) loads only when a sync runs.
    from pipeline.media.vad import detect_speech
    from pipeline.qc.sync import apply, synchronize
    from pipeline.qc.syncproof import SYNC_MIN_CONFIDENCE, prove

    tracks = [read_subtitles(src, lang, encoding) for (src, _), lang in zip(pairs, langs, strict=True)]
    media = probe(Path(video))
    if not media.has_audio:
        raise InputError(video, "no audio stream to synchronise against")
    speech = detect_speech(Path(video))
    max_offset_ms, floor = max_offset_s * 1000, SYNC_MIN_CONFIDENCE if min_confidence is None else min_confidence
    fitted = synchronize(tracks[0], speech, max_offset_ms=max_offset_ms, splits=splits)
    result = prove(tracks[0], speech, fitted, min_confidence=floor, max_offset_ms=max_offset_ms, splits=splits)
    written: list[Path] = []
    if result.ok:
        for track, (_, target) in zip(tracks, pairs, strict=True):
            moved = apply(track, result, media.fps or None)
            compose = compose_vtt if target.suffix.lower() == ".vtt" else compose_srt
            written.append(write_text(target, compose(moved)))
    return result, written
