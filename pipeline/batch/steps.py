"""The steps a job is made of, each usable alone (the CLI's single commands) or by :mod:`pipeline.batch.run`.

build tracks -> write subtitle files -> burn (:mod:`pipeline.batch.burnstep`) -> mux.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.cues import Track
from pipeline.core.errors import UsageError, VerifyError
from pipeline.core.findings import Finding
from pipeline.core.langtags import merged_table
from pipeline.core.profiles import Profile, get_profile
from pipeline.ingest.jobkeys import STYLE_KEYS
from pipeline.ingest.segments import Transcript
from pipeline.media.containers import is_mp4
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.fonts import font_spec
from pipeline.media.probe import MediaInfo, probe, subtitle_texts
from pipeline.render.mux import MuxTrack, mux
from pipeline.render.outputs import commit, discard, write_text
from pipeline.render.verify import ExpectedTrack, KeptStreams, verify_mux
from pipeline.tracks.build import build_track_report
from pipeline.tracks.formats import AssStyle, compose_ass, compose_srt, compose_vtt, default_sizes
from pipeline.tracks.measure import TITLE_SAFE, TextBox
from pipeline.tracks.timeline import Timeline, clip_to_video

logger = logging.getLogger(__name__)
ProgressFactory = Callable[[str], ProgressFn | None]

_STYLE_KEYS = frozenset(STYLE_KEYS)  # the job file checks them first, with their lines
_COMPOSERS: dict[str, Callable[[Track], str]] = {"srt": compose_srt, "vtt": compose_vtt}


@dataclass(frozen=True)
class LangTrack:
    """A built track with the profile it was built by, and what its rules could not satisfy."""

    track: Track
    profile: Profile
    findings: tuple[Finding, ...] = ()
    shot_moves: int = 0


def no_progress(_label: str) -> ProgressFn | None:
    """A progress factory that reports nothing."""
    return None


def style_for(profile: Profile, style: Mapping[str, Any], height: int = 720) -> AssStyle:
    """The ASS style of ``profile``'s language: job-wide ``[style]`` keys, then ``[style.<lang>]``
    (the tables that serve its tag, :func:`pipeline.core.langtags.tables_for`: ``[style.zh]``, ``[style.zh-TW]``).

    A job-wide (or default) font size is scaled by the profile's ``font_scale``, so every script
    looks the same size; a ``[style.<lang>]`` font size is taken as it is.

    Raises:
        UsageError: on an unknown style key.
    """
    merged = {k: v for k, v in style.items() if not isinstance(v, Mapping)}
    merged["font_size"] = merged.get("font_size", round(height * 0.06)) * profile.font_scale
    merged.update(merged_table(profile.tag, {k: v for k, v in style.items() if isinstance(v, Mapping)}))
    unknown = sorted(set(merged) - _STYLE_KEYS)
    if unknown:
        raise UsageError(f"unknown style key(s) {unknown}; known: {sorted(_STYLE_KEYS)}")
    merged["font_size"] = round(merged["font_size"])
    merged.setdefault("margin_v", round(height * 0.055))
    return AssStyle(font_spec(profile.font).family, **merged)


def display_style(style: Mapping[str, Any], display: tuple[int, int]) -> dict[str, Any]:
    """The job's ``[style]`` with the default font size and margin of the displayed picture
    (:func:`pipeline.tracks.formats.default_sizes`) where the job sets none."""
    size, margin = default_sizes(*display)
    return {"font_size": size, "margin_v": margin, **style}


def text_box(profile: Profile, style: Mapping[str, Any], display: tuple[int, int]) -> TextBox:
    """The title-safe box of a language's lines: its font at the size the burn will use."""
    ass = style_for(profile, style, display[1])
    return TextBox(profile.font, ass.font_size, TITLE_SAFE * display[0], ass.outline, ass.bold)


def build_tracks(
    transcript: Transcript,
    langs: Sequence[str],
    profiles: Mapping[str, Mapping[str, Any]],
    fps: Fraction,
    shot_changes_ms: Sequence[int] = (),
    pauses_ms: Sequence[int] = (),
    media: MediaInfo | None = None,
) -> dict[str, LangTrack]:
    """Build each language's track (snapped to shot changes, split at speech pauses, when given).

    With ``media`` the tracks are laid out for its displayed picture and timeline (frame times,
    clipped to the video's end), as ``run`` does.

    Raises:
        PipelineError: on the first language that cannot be built.
    """
    built: dict[str, LangTrack] = {}
    timeline = Timeline(media.video_duration_ms or None, media.frame_times_ms if media.vfr else ()) if media else None
    display = (media.display_width, media.display_height) if media else (0, 0)
    for lang in langs:
        profile = get_profile(lang, merged_table(lang, profiles))
        box = text_box(profile, display_style({}, display), display) if media else None
        report = build_track_report(transcript.segments, lang, profile, fps, shot_changes_ms, pauses_ms, timeline, box)
        built[lang] = LangTrack(report.track, profile, report.findings, report.shot_moves)
    return built


def write_track_files(
    item: LangTrack,
    stem: str,
    folder: Path,
    formats: Sequence[str],
    size: tuple[int, int],
    style: Mapping[str, Any],
    sar: Fraction = Fraction(1),
) -> list[Path]:
    """Write ``<stem>.<lang>.<fmt>`` for every format; return the paths written.

    ``size`` and ``sar`` are the picture the ASS is drawn on (the burn's canvas and pixel aspect).
    """
    written = []
    for fmt in (f for f in formats if f in ("srt", "vtt", "ass")):  # the delivery formats: batch.deliver
        target = folder / f"{stem}.{item.profile.tag}.{fmt}"
        if fmt == "ass":
            ass_style = style_for(item.profile, style, size[1])
            text = compose_ass(item.track, ass_style, *size, fps=item.track.fps, sar=sar)
        else:
            text = _COMPOSERS[fmt](item.track)
        written.append(write_text(target, text))
    return written


def clip_track(track: Track, media: MediaInfo, target: Path) -> Track:
    """``track`` clipped to the video's end (no output outlasts the source's picture, or its sound when it
    has none); a warning per cue."""
    clipped, past = clip_to_video(track, media.video_duration_ms or media.duration_ms or None)  # audio only: its end
    for finding in past:
        logger.warning("%s: cue %s: %s", target.name, finding.cue, finding.message)
    return clipped


def mux_tracks(
    video: Path,
    media: MediaInfo,
    items: Sequence[LangTrack],
    default_lang: str,
    target: Path,
    progress: ProgressFn | None = None,
    notes: list[str] | None = None,
) -> Path:
    """Mux every track into a stream copy of ``video`` at ``target``; verify; commit.

    What the container could not carry as is (converted or left out) is logged as a warning and
    added to ``notes`` when given.

    Raises:
        ContainerError: when the video codec does not fit the container (exit 2).
        FfmpegError, VerifyError: when muxing or verification fails (no final file is left).
    """
    tags = [item.profile.tag for item in items]
    if default_lang not in tags:
        raise UsageError(f"default language {default_lang!r} is not among the tracks {tags}")
    clipped = [clip_track(i.track, media, target) for i in items]
    tracks = [
        MuxTrack(
            compose_srt(track),
            i.profile.iso639_2,
            i.profile.name or i.profile.tag,
            i.profile.tag == default_lang,
            tag=i.profile.tag,
        )
        for i, track in zip(items, clipped, strict=True)
    ]
    done = mux(video, media, tracks, target, progress)
    for note in done.plan.notes:
        logger.warning("%s: %s", target.name, note)
    if notes is not None:
        notes.extend(done.plan.notes)
    expected = [
        ExpectedTrack(t.iso639_2, t.title, t.default, track.texts()) for t, track in zip(tracks, clipped, strict=True)
    ]
    attachments = 0 if is_mp4(target) else sum(1 for s in media.streams if s.kind == "attachment")
    kept = KeptStreams(done.plan.subtitles, attachments, sum(1 for s in media.streams if s.attached_pic))
    try:
        problems = verify_mux(probe(done.partial), subtitle_texts(done.partial), media, expected, kept)
    except BaseException:
        discard(done.partial)
        raise
    if problems:
        discard(done.partial)
        raise VerifyError(target, problems)
    return commit(done.partial, target)
