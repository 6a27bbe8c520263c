"""Checking subtitle files: the video's facts measured once, then rule and audio findings per file.

The video side (PyAV, numpy, WebRTC VAD) is imported only when a video is given, so a rules-only
check of a large file does not pay for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.cues import Track
from pipeline.core.errors import InputError
from pipeline.core.findings import ERROR, WARNING, Finding
from pipeline.core.profiles import get_profile
from pipeline.core.textio import read_for_check
from pipeline.core.timecode import format_clock
from pipeline.ingest.delivery_read import delivery_source, read_delivery_track
from pipeline.ingest.subparse import CueLines, ParsedSubtitles, Problem, lint_subtitles, read_subtitle_text
from pipeline.qc.fixes import settle_fixes
from pipeline.qc.rules import RuleContext, check_rules, sort_findings

if TYPE_CHECKING:
    from pipeline.media.probe import MediaInfo
    from pipeline.media.vad import Speech
    from pipeline.qc.audiocheck import OffsetEstimate


@dataclass(frozen=True)
class VideoFacts:
    """What a check needs from the video: its probe, shot changes and speech."""

    media: MediaInfo
    shot_changes_ms: tuple[int, ...]
    speech: Speech | None


@dataclass(frozen=True)
class FileReport:
    """The check of one subtitle file."""

    path: str
    lang: str
    fps: Fraction | None
    track: Track
    findings: tuple[Finding, ...]
    video: VideoFacts | None = None
    offset: OffsetEstimate | None = None

    def count(self, severity: str) -> int:
        """How many findings have ``severity``."""
        return sum(1 for f in self.findings if f.severity == severity)


def order_findings(starts: Sequence[int]) -> list[Finding]:
    """Cues that come in a file after a cue that starts later (the reader sorts them; ``starts`` is
    the file's order)."""
    out = []
    latest = -1
    for n, start in enumerate(starts, start=1):
        if start < latest:
            out.append(
                Finding(
                    "order",
                    "error",
                    n,
                    start,
                    f"cue {n} of the file starts before the cue above it ({format_clock(latest)})",
                    "sort the cues by start time and renumber them",
                )
            )
        latest = max(latest, start)
    return out


def video_facts(video: Path) -> VideoFacts:
    """Probe ``video``, detect its shot changes (cached) and its speech (when it has audio).

    Raises:
        InputError: when the video cannot be read.
        FfmpegError: when ffmpeg cannot decode it.
    """
    from pipeline.media.probe import probe
    from pipeline.media.scenes import detect_shot_changes
    from pipeline.media.vad import detect_speech

    media = probe(video)
    if not media.fps:
        raise InputError(video, "no video stream (a frame rate is needed for shot changes and the frame grid)")
    changes = tuple(detect_shot_changes(video, media))
    speech = detect_speech(video) if media.has_audio else None
    return VideoFacts(media, changes, speech)


def check_track(
    track: Track,
    lang: str,
    facts: VideoFacts | None,
    fps: Fraction | None = None,
    starts_in_file_order: Sequence[int] = (),
) -> tuple[list[Finding], OffsetEstimate | None]:
    """Every finding of ``track``: rules, then (with a video that has audio) the audio findings.

    Raises:
        UsageError: when ``lang`` is not a valid language tag.
    """
    profile = get_profile(lang)
    rate = facts.media.fps if facts else fps
    ctx = RuleContext(
        profile,
        rate,
        facts.media.duration_ms if facts else None,
        facts.shot_changes_ms if facts else (),
    )
    found = check_rules(track, ctx) + order_findings(starts_in_file_order)
    estimate = None
    if facts and facts.speech is not None and rate:
        from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings

        estimate = estimate_offset(track, facts.speech)
        found += offset_findings(estimate, rate) + audio_findings(track, facts.speech, rate)
    return sort_findings(settle_fixes(track, ctx, found)), estimate


def problem_findings(
    problems: Sequence[Problem], *, lenient: bool = True, parsed: ParsedSubtitles | None = None
) -> list[Finding]:
    """The reader's problems as findings, each naming its line: unusable cues are errors; repairs
    are warnings (errors when not ``lenient``: a release would refuse them). A repair names the cue
    whose lines hold it (``parsed``: where each cue sits), with that cue's start."""
    out = []
    for p in problems:
        where = f"line {p.line}: " if p.line is not None else ""
        if p.severity == ERROR:
            what = f"{where}{p.message}" + ("; left out" if p.dropped and p.line is not None else "")
            out.append(Finding("unusable", ERROR, None, 0, what, "fix or remove it", line=p.line))
        else:
            severity = WARNING if lenient else ERROR
            n = _cue_holding(parsed, p.line)
            start = parsed.track.cues[n - 1].start_ms if parsed and n else 0
            what = f"{where}{p.repair or p.message}"
            out.append(Finding("repaired", severity, n, start, what, "fix the file", line=p.line))
    return out


def _cue_holding(parsed: ParsedSubtitles | None, line: int | None) -> int | None:
    if parsed is None or line is None:
        return None
    return next((n for n, at in enumerate(parsed.cue_lines, start=1) if at.holds(line)), None)


def with_lines(findings: Sequence[Finding], cue_lines: Sequence[CueLines]) -> list[Finding]:
    """Each cue finding with the line of its cue's timing line (``order`` counts cues in file order)."""
    if not cue_lines:
        return list(findings)
    by_index = {at.index: at.timing for at in cue_lines}
    out = []
    for f in findings:
        if f.cue is not None and f.line is None:
            line = by_index.get(f.cue) if f.rule == "order" else cue_lines[f.cue - 1].timing
            f = dataclasses.replace(f, line=line)
        out.append(f)
    return out


def _read_for_lint(path: Path, lang: str, encoding: str | None) -> tuple[str, tuple[Problem, ...], list[Finding]]:
    """The text to lint: a legacy encoding read with the best guess (an ``encoding`` finding says
    which), NUL bytes as U+FFFD (a problem per line)."""
    try:
        text, decoding = read_for_check(path, lang, encoding)
    except InputError:  # NUL bytes, or nothing readable: the reader says which, by line
        text, early = read_subtitle_text(path, encoding, (lang,))
        return text, early, []
    return text, (), decoding


def check_file(
    path: Path,
    lang: str,
    facts: VideoFacts | None,
    fps: Fraction | None = None,
    encoding: str | None = None,
    *,
    lenient: bool = True,
) -> FileReport:
    """Read and check one subtitle file, as a linter: every problem of the file is a finding.

    Unusable cues (garbled times, end before start, text with no timing) are error findings and
    stay out of the timing rules; repairs are warnings, or errors when not ``lenient`` (``--strict``:
    what a release would refuse, all listed at once).

    Raises:
        InputError: only when nothing can be read: a missing, empty or binary file, an unknown
            encoding, or text that is no SRT or WebVTT at all.
        UsageError: when ``lang`` is not a valid language tag.
    """
    if delivery_source(path):  # TTML, SCC, STL: read whole or refused (no encoding, no repairs)
        parsed, decoding = ParsedSubtitles(read_delivery_track(path, lang)), list[Finding]()
    else:
        text, early, decoding = _read_for_lint(path, lang, encoding)
        parsed = lint_subtitles(text, path, lang, early)
    track = parsed.track
    findings, estimate = check_track(track, lang, facts, fps, parsed.starts_in_file_order)
    problems = problem_findings(parsed.problems, lenient=lenient, parsed=parsed)
    findings = [*decoding, *problems, *with_lines(findings, parsed.cue_lines)]
    rate = facts.media.fps if facts else fps
    return FileReport(str(path), lang, rate, track, tuple(findings), facts, estimate)


def exit_code(reports: Sequence[FileReport]) -> int:
    """0 when no report has an error-level finding, else 1."""
    return 1 if any(r.count("error") for r in reports) else 0
