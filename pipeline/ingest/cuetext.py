"""What the SRT and WebVTT readers share: problems found, lenient timing lines, cue text cleaning.

A reader never stops at a local problem: it records a :class:`Problem` (file, line, what is wrong,
whether the cue was dropped, what a repair did) and reads on, as browsers and Subtitle Edit do.
The caller decides: a release refuses any problem, a lenient build drops what is unusable, a check
lists them all.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from pipeline.core.findings import ERROR, WARNING
from pipeline.core.timecode import clock_to_ms, format_srt_time

# Hours optional; milliseconds optional (Subtitle Edit reads `00:01:39`); `,` or `.` before them.
_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:([,.])(\d{1,3}))?"
# What people type for the arrow: '->', '- ->', '—>', '=>', '→', '-- >', '--'.
_ARROW = r"[ \t]*([-–—=][-–—= ]*>+|>+|→|-{2,})[ \t]*"
# Spaces and tabs only: a line padded with other white space (vertical tabs) is not a timing line
# for a browser either. Anything after the end time (SRT coordinates, VTT settings) is kept apart.
TIMING = re.compile(rf"^[ \t]*{_TIME}{_ARROW}{_TIME}(?P<rest>[ \t].*)?$")
_SPACED = re.compile(r"(?<=\d)[ \t]*([:,.])[ \t]*(?=\d)")
MARKUP = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>|\{\\[^{}]*\}")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ASS_BREAK = re.compile(r"\\N")
LENIENT_HINT = "lenient mode: --lenient, or `lenient = true` in the job file"
EXAMPLE = {False: "00:00:01,000 --> 00:00:02,500", True: "00:00:01.000 --> 00:00:02.500"}


@dataclass(frozen=True)
class Problem:
    """Something wrong at a line of a subtitle file.

    ``severity`` is ``error`` when the cue or block is unusable (``dropped``), ``warning`` when it
    was repaired (``repair`` says how) or left out harmlessly. ``message`` says what is wrong.
    """

    path: str
    line: int | None
    message: str
    severity: str = WARNING
    dropped: bool = False
    repair: str = ""

    @property
    def where(self) -> str:
        """``file:line`` (or the file alone)."""
        return self.path if self.line is None else f"{self.path}:{self.line}"

    def __str__(self) -> str:
        if self.repair:
            return f"{self.where}: repaired: {self.repair}"
        return f"{self.where}: {self.message}" + ("; dropped" if self.dropped else "")


@dataclass(frozen=True)
class CueLines:
    """Where a cue sits in its file: its first line (number or identifier), its timing line, its last
    text line, and its place among the file's cues (1-based, in file order)."""

    first: int
    timing: int
    last: int
    index: int

    def holds(self, line: int) -> bool:
        """Whether ``line`` is one of the cue's lines."""
        return self.first <= line <= self.last


@dataclass
class Collector:
    """The problems of one file, in the order found, and where each usable cue sits."""

    path: str
    vtt: bool
    problems: list[Problem] = field(default_factory=list)
    cue_lines: list[CueLines] = field(default_factory=list)

    def placed(self, first: int, timing: int, last: int) -> None:
        """Record where the cue just read sits (called once per usable cue, in file order)."""
        self.cue_lines.append(CueLines(first, timing, last, len(self.cue_lines) + 1))

    def fix(self, line: int | None, problem: str, repair: str, *, dropped: bool = False) -> None:
        """Record a repair (an error in strict mode, which adds the hint)."""
        self.problems.append(Problem(self.path, line, problem, WARNING, dropped, repair))

    def unusable(self, line: int | None, problem: str) -> None:
        """Record a cue or block that cannot be read without a guess: it is dropped."""
        self.problems.append(Problem(self.path, line, problem, ERROR, True))


def _time_issues(groups: tuple[str | None, ...], vtt: bool) -> list[str]:
    hours, minutes, seconds, sep, frac = groups
    assert minutes is not None and seconds is not None
    issues = []
    if sep is None:
        issues.append("no milliseconds")
    elif sep != ("." if vtt else ","):
        issues.append(f"{sep!r} before the milliseconds")
    if frac is not None and len(frac) != 3:
        issues.append(f"{len(frac)}-digit milliseconds")
    if len(minutes) != 2 or len(seconds) != 2:
        issues.append("one-digit minutes or seconds")
    if hours is None and not vtt:
        issues.append("no hours")
    elif hours is not None and not vtt and int(hours) > 99:
        issues.append("hours over 99")
    elif hours is not None and (len(hours) < 2 or (not vtt and len(hours) > 2)):
        issues.append("hours not written with 2 digits")
    return issues


def _ms(groups: tuple[str | None, ...]) -> int:
    hours, minutes, seconds, _sep, frac = groups
    return clock_to_ms(hours, minutes, seconds, frac)


def parse_timing(out: Collector, line: str, number: int) -> tuple[int, int] | None:
    """A timing line read leniently: (start, end), with each repair recorded; None when unusable.

    Unusable (recorded, the cue dropped): no timing at all, minutes or seconds over 59, a cue that
    ends at or before its start.
    """
    expected = f"expected a timing line like {EXAMPLE[out.vtt]!r}, got {line.strip()!r}"
    match = TIMING.match(line)
    spaced = False
    if match is None:
        match = TIMING.match(_SPACED.sub(r"\1", line))
        spaced = match is not None
    if match is None:
        out.unusable(number, expected)
        return None
    groups = match.groups()
    first, arrow, second = groups[:5], groups[5], groups[6:11]
    if any(int(g[1] or 0) >= 60 or int(g[2] or 0) >= 60 for g in (first, second)):
        out.unusable(number, f"{expected}: minutes and seconds must be under 60")
        return None
    start, end = _ms(first), _ms(second)
    issues = sorted(set(_time_issues(first, out.vtt) + _time_issues(second, out.vtt)))
    if spaced:
        issues.insert(0, "spaces inside the times")
    if arrow != "-->":
        issues.insert(0, f"arrow {arrow!r} instead of '-->'")
    if issues:
        stamp = f"{format_srt_time(start)} --> {format_srt_time(end)}"
        out.fix(number, f"{expected}: {', '.join(issues)}", f"timing read as {stamp} ({', '.join(issues)})")
    return check_order(out, start, end, number)


def check_order(out: Collector, start: int, end: int, number: int) -> tuple[int, int] | None:
    """(start, end), or None (recorded as unusable) when the cue ends at or before its start."""
    if end <= start:
        out.unusable(number, f"cue ends ({end} ms) before or when it starts ({start} ms)")
        return None
    return start, end


def clean_line(out: Collector, line: str, number: int) -> list[str]:
    """One line of cue text as plain text lines: markup removed, VTT references decoded (repairs)."""
    text = line.strip()
    if "\\" in text and _ASS_BREAK.search(text):
        out.fix(number, "ASS line break '\\N' in cue text", "'\\N' read as a line break")
        return [part for piece in _ASS_BREAK.split(text) for part in clean_line(out, piece, number)]
    tags = MARKUP.findall(text)
    if tags:
        shown = ", ".join(repr(t) for t in tags[:5])
        out.fix(number, f"markup {shown} in cue text (subpipe tracks are plain text)", f"removed markup {shown}")
        text = MARKUP.sub("", text).strip()
    if out.vtt and "&" in text:
        text = html.unescape(text)
    if CONTROL.search(text):
        out.fix(number, "control characters in cue text", "removed control characters")
        text = CONTROL.sub("", text).strip()
    return [text] if text else []
