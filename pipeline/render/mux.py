"""Muxing tracks into a stream copy of the video as soft subtitles (MKV or MP4 by the target's name).

Every stream of the source that the container can hold is carried: video, all audio, existing
subtitles, attachments (MKV fonts), cover art (an attached picture in MP4, an attachment in MKV),
chapters, metadata, timecode. Writes to a partial name and returns it with notes on what could not
be carried as is; the caller verifies and commits (see :mod:`pipeline.render.outputs`).

In an MKV every track whose language is known then gets its full BCP 47 tag (``LanguageBCP47``)
beside the ISO 639-2/B code (``Language``) by a pass over the partial file that ffmpeg cannot do
(:mod:`pipeline.media.mkvlang`); MP4 keeps the ISO 639-2 code in ``mdhd`` only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from pipeline.core.errors import InputError, OutputError, UsageError, VerifyError
from pipeline.core.langtags import standard_tag
from pipeline.core.profiles import canonical_tag, iso639_2b
from pipeline.media.commands import Cover, SoftTrack, lead_seconds, mux_args, reencode_args
from pipeline.media.containers import COVER_TYPES, StreamPlan, is_mp4, mux_plan
from pipeline.media.ebml import EbmlFormatError
from pipeline.media.ffmpeg import ProgressFn, run_ffmpeg
from pipeline.media.mkvcheck import layout_problems, read_tracks
from pipeline.media.mkvduration import lower_duration
from pipeline.media.mkvlang import TrackLanguage, write_languages
from pipeline.media.probe import MediaInfo, StreamInfo, probe
from pipeline.render.outputs import discard, ensure_dir, log_path_for, partial_path, remove_partials_of


@dataclass(frozen=True)
class MuxTrack:
    """One soft track: its SRT text, ISO 639-2 code, title, whether it is the default, and its BCP 47
    tag (an MKV carries it; when empty, the tag of the ISO 639-2 code: ``chi`` -> ``zh``)."""

    srt_text: str
    iso639_2: str
    title: str
    default: bool = False
    tag: str = ""


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

    What the source's edit lists hide stays hidden: an MP4 copies them; in Matroska a hidden sound
    pre-roll gets a ``CodecDelay`` and a picture cut between keyframes is encoded again (a note says so).

    Raises:
        ContainerError: when the video codec does not fit the container (before anything is written).
        FfmpegError: when ffmpeg fails (one line; the full log goes to ``<target>.ffmpeg.log``).
        OutputError: when the output folder cannot be written.
        InputError, VerifyError: when the MKV's language pass cannot read or does not check the file.
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
        if plan.reencoded is not None:
            plan.args += reencode_args(media, plan.reencoded)
        argv = mux_args(video.resolve(), soft, partial, plan, covers, lead_seconds(media))
        length_us = (media.video_duration_ms or media.duration_ms) * 1000
        try:
            run_ffmpeg(argv, duration_us=length_us, on_progress=on_progress, cwd=work, log_path=log_path_for(target))
            if not is_mp4(target):
                tag_languages(partial, mkv_languages(plan, tracks), target)
                settle_duration(partial, media, target)
        except BaseException:
            discard(partial)
            raise
    return MuxResult(partial, plan)


def mkv_languages(plan: StreamPlan, tracks: Sequence[MuxTrack]) -> list[TrackLanguage]:
    """What each TrackEntry of the MKV must say, in track order: the source's streams (a language
    left alone when unknown), then the new subtitle tracks (always tagged, ``und`` when unknown)."""
    wanted = [_source_language(s.kind, s.language) for s in plan.mapped if s.kind != "attachment"]
    for track in tracks:
        tag = track.tag or _bcp47(track.iso639_2) or "und"
        wanted.append(TrackLanguage("subtitle", track.iso639_2, tag))
    return wanted


def _bcp47(code: str) -> str | None:
    """The BCP 47 tag of a stream's language code (``eng`` -> ``en``), None when unknown."""
    if not code or code.lower() in ("und", "unk"):
        return None
    try:
        return standard_tag(canonical_tag(code))  # eng -> en
    except UsageError:
        return None


def _source_language(kind: str, code: str) -> TrackLanguage:
    tag = _bcp47(code)
    iso = iso639_2b(tag) if tag else "und"
    return TrackLanguage(kind, iso, tag if iso != "und" else None)


def tag_languages(partial: Path, wanted: Sequence[TrackLanguage], target: Path) -> None:
    """Rewrite the MKV ``partial`` in place (through a second partial) with the languages of ``wanted``.

    Raises:
        InputError: when ffmpeg's file cannot be read as Matroska (names ``target``).
        VerifyError: when the rewritten file's positions, checksums or languages do not check out.
        OutputError: when the disk is full.
    """
    tagged = partial_path(target.resolve())
    try:
        with partial.open("rb") as src, tagged.open("wb") as dst:
            write_languages(src, dst, wanted)
        problems = layout_problems(tagged) + _language_problems(tagged, wanted)
        if problems:
            raise VerifyError(target, ["after adding the language tags: " + p for p in problems])
        os.replace(tagged, partial)
    except EbmlFormatError as exc:
        discard(tagged)
        raise InputError(target, f"cannot add the language tags to ffmpeg's Matroska file: {exc}") from None
    except OSError as exc:
        discard(tagged)
        raise OutputError(target, f"cannot write the language tags: {exc.strerror}") from None
    except BaseException:
        discard(tagged)
        raise


def settle_duration(partial: Path, source: MediaInfo, target: Path) -> None:
    """Give the MKV ``partial`` the Duration it plays, when the source hides a sound pre-roll (see
    :mod:`pipeline.media.mkvduration`).

    Raises:
        InputError: when ffmpeg's file cannot be read as Matroska (names ``target``).
    """
    if not source.hidden_lead_ms:
        return
    end_ms = max((end for _, _, end in probe(partial).spans), default=0)
    try:
        if end_ms > 0:
            lower_duration(partial, end_ms)
    except EbmlFormatError as exc:
        raise InputError(target, f"cannot set the duration of ffmpeg's Matroska file: {exc}") from None


def _language_problems(path: Path, wanted: Sequence[TrackLanguage]) -> list[str]:
    problems = []
    for got, want in zip(read_tracks(path), wanted, strict=False):
        if want.bcp47 is not None and (got.language, got.bcp47) != (want.iso639_2, want.bcp47):
            found, expected = f"{got.language}/{got.bcp47}", f"{want.iso639_2}/{want.bcp47}"
            problems.append(f"track {got.number}: languages {found}, expected {expected}")
    return problems


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
