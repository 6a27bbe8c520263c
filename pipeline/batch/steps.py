"""The steps a job is made of, each usable alone (the CLI's single commands) or by :mod:`pipeline.batch.run`.

build tracks -> write subtitle files -> burn (coverage gate, render, verify, commit) -> mux.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.cues import Track
from pipeline.core.errors import UsageError, VerifyError
from pipeline.core.findings import Finding
from pipeline.core.profiles import Profile, get_profile
from pipeline.ingest.segments import Transcript
from pipeline.media.ffmpeg import ProgressFn
from pipeline.media.fonts import check_coverage, font_spec
from pipeline.media.probe import MediaInfo
from pipeline.render.burn import BurnRequest, Encoder, burn
from pipeline.render.mux import MuxTrack, mux
from pipeline.render.outputs import commit, discard, write_text
from pipeline.render.verify import ExpectedTrack, burn_expectation, verify_burn, verify_mux
from pipeline.tracks.build import build_track_report
from pipeline.tracks.formats import AssStyle, compose_ass, compose_srt, compose_vtt

ProgressFactory = Callable[[str], ProgressFn | None]

_STYLE_KEYS = frozenset({"font_size", "outline", "shadow", "margin_v", "bold"})
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
    """The ASS style of ``profile``'s language: job-wide ``[style]`` keys, then ``[style.<lang>]``.

    Raises:
        UsageError: on an unknown style key.
    """
    merged = {k: v for k, v in style.items() if not isinstance(v, Mapping)}
    lang_style = style.get(profile.tag, {})
    merged.update(lang_style if isinstance(lang_style, Mapping) else {})
    unknown = sorted(set(merged) - _STYLE_KEYS)
    if unknown:
        raise UsageError(f"unknown style key(s) {unknown}; known: {sorted(_STYLE_KEYS)}")
    merged.setdefault("font_size", round(height * 0.06))
    merged.setdefault("margin_v", round(height * 0.055))
    return AssStyle(font_spec(profile.font).family, **merged)


def build_tracks(
    transcript: Transcript,
    langs: Sequence[str],
    profiles: Mapping[str, Mapping[str, Any]],
    fps: Fraction,
    shot_changes_ms: Sequence[int] = (),
    pauses_ms: Sequence[int] = (),
) -> dict[str, LangTrack]:
    """Build each language's track (snapped to shot changes, split at speech pauses, when given).

    Raises:
        PipelineError: on the first language that cannot be built.
    """
    built: dict[str, LangTrack] = {}
    for lang in langs:
        profile = get_profile(lang, profiles.get(lang))
        report = build_track_report(transcript.segments, lang, profile, fps, shot_changes_ms, pauses_ms)
        built[lang] = LangTrack(report.track, profile, report.findings, report.shot_moves)
    return built


def write_track_files(
    item: LangTrack, stem: str, folder: Path, formats: Sequence[str], size: tuple[int, int], style: Mapping[str, Any]
) -> list[Path]:
    """Write ``<stem>.<lang>.<fmt>`` for every format; return the paths written."""
    written = []
    for fmt in formats:
        target = folder / f"{stem}.{item.profile.tag}.{fmt}"
        if fmt == "ass":
            text = compose_ass(item.track, style_for(item.profile, style, size[1]), *size, fps=item.track.fps)
        else:
            text = _COMPOSERS[fmt](item.track)
        written.append(write_text(target, text))
    return written


def burn_tracks(
    video: Path,
    media: MediaInfo,
    items: Sequence[tuple[LangTrack, Path]],
    style: Mapping[str, Any],
    encoder: Encoder,
    progress: ProgressFn | None = None,
) -> list[Path]:
    """Burn each (track, target) into a cut of ``video`` in one ffmpeg process; verify; commit.

    Raises:
        FontCoverageError: before any encoding, when a font lacks a character of its track.
        FfmpegError, VerifyError: when rendering or verification fails (no final file is left).
    """
    requests = []
    for item, target in items:
        check_coverage(item.profile.tag, item.profile.font, item.track.texts())
        ass_style = style_for(item.profile, style, media.height)
        ass = compose_ass(item.track, ass_style, media.width, media.height, fps=media.fps or None)
        requests.append(BurnRequest(item.profile.tag, ass, item.profile.font, target))
    partials = burn(video, media, requests, encoder, progress)
    try:
        for (item, _target), partial in zip(items, partials, strict=True):
            expect = burn_expectation([(c.start_ms, c.end_ms) for c in item.track.cues])
            problems = verify_burn(partial, media, expect)
            if problems:
                raise VerifyError(partial, problems)
    except BaseException:  # a failed check, or Ctrl-C while verifying: no partial is left behind
        discard(*partials)
        raise
    return [commit(p, target) for p, (_item, target) in zip(partials, items, strict=True)]


def mux_tracks(
    video: Path,
    media: MediaInfo,
    items: Sequence[LangTrack],
    default_lang: str,
    target: Path,
    progress: ProgressFn | None = None,
) -> Path:
    """Mux every track into a stream copy of ``video`` at ``target``; verify; commit.

    Raises:
        FfmpegError, VerifyError: when muxing or verification fails (no final file is left).
    """
    tags = [item.profile.tag for item in items]
    if default_lang not in tags:
        raise UsageError(f"default language {default_lang!r} is not among the tracks {tags}")
    tracks = [
        MuxTrack(
            compose_srt(i.track), i.profile.iso639_2, i.profile.name or i.profile.tag, i.profile.tag == default_lang
        )
        for i in items
    ]
    partial = mux(video, media, tracks, target, progress)
    expected = [
        ExpectedTrack(t.iso639_2, t.title, t.default, i.track.texts()) for t, i in zip(tracks, items, strict=True)
    ]
    try:
        problems = verify_mux(partial, media, expected)
    except BaseException:
        discard(partial)
        raise
    if problems:
        discard(partial)
        raise VerifyError(target, problems)
    return commit(partial, target)
