"""``[outputs] hls = true``: one HLS package per video, ``<name>/hls/master.m3u8``.

ffmpeg cuts the video and its audio into fMP4 segments (``media.m3u8``, ``init.mp4``,
``seg_NNN.m4s``): stream-copied when the codecs are ones HLS players take (H.264/HEVC, AAC/MP3/AC-3),
else encoded once (x264 at the job's CRF and preset, AAC). Each language becomes a WebVTT rendition
cut at the same boundaries (``<lang>/subs.m3u8``, ``<lang>/sub_NNN.vtt``), named in its own language,
the job's default language DEFAULT and AUTOSELECT. The package is built in a partial folder, opened by
ffmpeg through its master playlist (every stream read without an error), then staged with the run's
other outputs (:mod:`pipeline.render.staging`): it replaces the last run's ``hls/`` when the manifest is
committed, and a killed run's partial folder is swept by the next.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av

from pipeline.batch.steps import LangTrack
from pipeline.core.errors import OutputError, VerifyError
from pipeline.media.ffmpeg import base_args, run_ffmpeg
from pipeline.media.probe import MediaInfo
from pipeline.render.staging import partial_name, stage_folder
from pipeline.tracks.hls_vtt import Rendition, master_playlist, media_playlist, vtt_segments

SEGMENT_SECONDS = 6
_COPY_VIDEO = frozenset({"h264", "hevc"})
_COPY_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3"})


def hls_argv(source: Path, media: MediaInfo, folder: Path, crf: int = 23, preset: str = "veryfast") -> list[str]:
    """The ffmpeg command that writes the video and audio of ``source`` as fMP4 HLS into ``folder``."""
    video = next((s for s in media.streams if s.kind == "video" and not s.attached_pic), None)
    audio = [s for s in media.streams if s.kind == "audio"]
    copy_video = video is not None and video.codec in _COPY_VIDEO
    codecs = ["-c:v", "copy"] if copy_video else ["-c:v", "libx264", "-crf", str(crf), "-preset", preset]
    codecs += ["-c:a", "copy"] if all(s.codec in _COPY_AUDIO for s in audio) else ["-c:a", "aac", "-b:a", "160k"]
    if audio and all(s.codec == "aac" for s in audio) and "copy" in codecs[-1:]:
        codecs += ["-bsf:a", "aac_adtstoasc"]  # AAC from a transport stream (ADTS) as MP4 holds it
    return [
        *base_args(), "-i", str(source), "-map", "0:v:0", "-map", "0:a?", *codecs,
        "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
        "-hls_segment_filename", str(folder / "seg_%03d.m4s"), "-master_pl_name", "av.m3u8", str(folder / "media.m3u8"),
    ]  # fmt: skip


def _durations(playlist: Path) -> list[float]:
    return [float(d) for d in re.findall(r"^#EXTINF:([\d.]+)", playlist.read_text(encoding="utf-8"), re.M)]


def _first_picture_90k(playlist: Path) -> int:
    """The media timestamp (90 kHz) of the first video picture of the package: the track's time 0."""
    with av.open(str(playlist)) as container:
        stream = container.streams.video[0]
        start = stream.start_time if stream.start_time is not None else 0
        return round(Fraction(start) * stream.time_base * 90000) if stream.time_base else 0


def _stream_inf(folder: Path) -> str:
    text = (folder / "av.m3u8").read_text(encoding="utf-8")
    found = re.search(r"^#EXT-X-STREAM-INF:(.*)$", text, re.M)
    return found.group(1) if found else "BANDWIDTH=1000000"


def _write_language(folder: Path, item: LangTrack, bounds: Sequence[int], durations: Sequence[float], ts: int) -> None:
    tag = item.profile.tag
    (folder / tag).mkdir()
    names = [f"sub_{i:03d}.vtt" for i in range(len(bounds))]
    for name, text in zip(names, vtt_segments(item.track, bounds, ts), strict=True):
        (folder / tag / name).write_text(text, encoding="utf-8", newline="\n")
    (folder / tag / "subs.m3u8").write_text(media_playlist(durations, names), encoding="utf-8", newline="\n")


def verify_hls(master: Path, languages: int) -> None:
    """Open the package through its master playlist with ffmpeg: every stream read, nothing reported.

    Raises:
        VerifyError: when ffmpeg reports an error, or does not find ``languages`` subtitle streams.
    """
    run = run_ffmpeg(
        [*base_args(), "-loglevel", "error", "-i", str(master), "-map", "0", "-c", "copy", "-f", "null", "-"]
    )
    problems = [f"ffmpeg: {line}" for line in run.stderr_tail.splitlines() if line.strip()]
    with av.open(str(master)) as container:
        found = sum(1 for s in container.streams if s.type == "subtitle")
    if found != languages:
        problems.append(f"{found} subtitle streams in the master playlist, expected {languages}")
    if problems:
        raise VerifyError(master, problems)


def write_hls(
    source: Path, media: MediaInfo, items: Sequence[LangTrack], default: str, root: Path, crf: int, preset: str
) -> list[Path]:
    """Write ``root/hls/`` (replacing a previous one) and return its files (their final paths), master
    playlist first. In a transaction covering ``root`` the package is staged, put in place with the manifest.

    Raises:
        FfmpegError: when ffmpeg fails to segment the video; VerifyError: when the package does not open.
        OutputError: when the folder cannot be written.
    """
    final, partial = root / "hls", partial_name(root / "hls")
    staged = False
    try:
        partial.mkdir(parents=True)
        run_ffmpeg(hls_argv(source, media, partial, crf, preset))
        durations = _durations(partial / "media.m3u8")
        bounds = [round(1000 * sum(durations[:i])) for i in range(len(durations))]
        ts = _first_picture_90k(partial / "media.m3u8")
        renditions = []
        for item in items:
            _write_language(partial, item, bounds, durations, ts)
            tag = item.profile.tag
            renditions.append(Rendition(tag, item.profile.name or tag, f"{tag}/subs.m3u8", tag == default))
        stream_inf = _stream_inf(partial)
        (partial / "av.m3u8").unlink()
        text = master_playlist(stream_inf, "media.m3u8", renditions)
        (partial / "master.m3u8").write_text(text, encoding="utf-8", newline="\n")
        verify_hls(partial / "master.m3u8", len(items))
        files = sorted(p.relative_to(partial) for p in partial.rglob("*") if p.is_file() and p.name != "master.m3u8")
        staged = stage_folder(partial, final) is not None
        if not staged:
            _replace_folder(partial, final)
    except OSError as exc:
        raise OutputError(final, f"cannot write the HLS package: {exc.strerror or exc}") from None
    finally:
        if not staged:
            shutil.rmtree(partial, ignore_errors=True)
    return [final / "master.m3u8", *(final / p for p in files)]


def _replace_folder(new: Path, folder: Path) -> None:
    """Put ``new`` in place of ``folder`` outside a transaction (the old one moved aside, then removed)."""
    old = partial_name(folder, ".old")
    with contextlib.suppress(FileNotFoundError):
        os.replace(folder, old)
    os.replace(new, folder)
    shutil.rmtree(old, ignore_errors=True)
