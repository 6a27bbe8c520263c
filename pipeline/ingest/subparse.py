"""Reading SRT and WebVTT, strictly (releases) or leniently (checks), pointing at file and line.

pysubs2 and pysrt both skip malformed cues silently, which is how broken files ship. Here strict
mode refuses anything malformed with the line and what was expected; lenient mode repairs what can
be repaired without a guess and lists every repair. :mod:`pipeline.tracks.formats` re-exports this.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError
from pipeline.core.textio import Repair, read_text
from pipeline.core.timecode import clock_to_ms, format_srt_time

logger = logging.getLogger(__name__)

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})([,.])(\d{1,3})"
# What people type for the arrow: '->', '- ->', '—>', '=>', '→', '-- >', '--'.
_ARROW = r"\s*([-–—=][-–—= ]*>+|>+|→|-{2,})\s*"
_TIMING = re.compile(rf"^\s*{_TIME}{_ARROW}{_TIME}(?:\s+.*)?$")
_LOOKS_TIMED = re.compile(r"-->|\d{1,2}:\d{2}[,.:]\d")
_MARKUP = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>|\{\\[^{}]*\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_VTT_ENTITIES = {"&lt;": "<", "&gt;": ">", "&nbsp;": "\u00a0", "&lrm;": "\u200e", "&rlm;": "\u200f", "&amp;": "&"}
_LENIENT_HINT = "lenient mode repairs this: --lenient, or `lenient = true` in the job file"
# A canonical SRT cue, as subpipe and most tools write it: the fast path (see _parse_canonical).
_CANON_CUE = re.compile(
    r"(\d+)\n(\d\d):([0-5]\d):([0-5]\d),(\d{3}) --> (\d\d):([0-5]\d):([0-5]\d),(\d{3})\n((?:[^\n]+\n)+)(?:\n|\Z)"
)
_EXAMPLE = {False: "00:00:01,000 --> 00:00:02,500", True: "00:00:01.000 --> 00:00:02.500"}


@dataclass(frozen=True)
class ParsedSubtitles:
    """A track read from a file, with what the lenient reader repaired (empty in strict mode)."""

    track: Track
    repairs: tuple[Repair, ...] = ()
    starts_in_file_order: tuple[int, ...] = ()  # the track is sorted; this keeps the file's order


@dataclass
class _Reader:
    """State of one file's parse: strict raises on what lenient repairs."""

    path: str | Path
    vtt: bool
    lenient: bool
    repairs: list[Repair] = field(default_factory=list)
    last_index: int = 0

    def fix(self, line: int, problem: str, repair: str) -> None:
        """Record a repair, or raise in strict mode.

        Raises:
            InputError: in strict mode, naming the line and what was expected.
        """
        if not self.lenient:
            raise InputError(self.path, f"{problem} ({_LENIENT_HINT})", line)
        self.repairs.append(Repair(str(self.path), line, repair))


@dataclass(frozen=True)
class _Block:
    line: int
    lines: list[str]


def _blocks(text: str) -> Iterator[_Block]:
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            yield _Block(start, current)
            current = []
    if current:
        yield _Block(start, current)


def _time_issues(groups: tuple[str | None, ...], vtt: bool) -> list[str]:
    hours, minutes, seconds, sep, frac = groups
    assert minutes is not None and seconds is not None and sep is not None and frac is not None
    issues = []
    if sep != ("." if vtt else ","):
        issues.append(f"{sep!r} before the milliseconds")
    if len(frac) != 3:
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


def _parse_timing(reader: _Reader, line: str, number: int) -> tuple[int, int]:
    match = _TIMING.match(line)
    expected = f"expected a timing line like {_EXAMPLE[reader.vtt]!r}, got {line.strip()!r}"
    if match is None:
        raise InputError(reader.path, expected, number)
    groups = match.groups()
    first, arrow, second = groups[:5], groups[5], groups[6:]
    if any(int(g[1] or 0) >= 60 or int(g[2] or 0) >= 60 for g in (first, second)):
        raise InputError(reader.path, f"{expected}: minutes and seconds must be under 60", number)
    start, end = _ms(first), _ms(second)
    issues = sorted(set(_time_issues(first, reader.vtt) + _time_issues(second, reader.vtt)))
    if arrow != "-->":
        issues.insert(0, f"arrow {arrow!r} instead of '-->'")
    if issues:
        stamp = f"{format_srt_time(start)} --> {format_srt_time(end)}"
        reader.fix(number, f"{expected}: {', '.join(issues)}", f"timing read as {stamp} ({', '.join(issues)})")
    if end <= start:
        raise InputError(reader.path, f"cue ends ({end} ms) before or when it starts ({start} ms)", number)
    return start, end


def _timing_at(lines: list[str]) -> int | None:
    if _TIMING.match(lines[0]):
        return 0
    if len(lines) > 1 and (_LOOKS_TIMED.search(lines[1]) or lines[0].strip().isdigit()):
        return 1
    return 0 if _LOOKS_TIMED.search(lines[0]) else None


def _check_index(reader: _Reader, lines: list[str], timing_at: int, number: int) -> None:
    """SRT cue numbers: present, and one more than the last (VTT identifiers are free text)."""
    expected = reader.last_index + 1
    reader.last_index = expected
    if reader.vtt:
        return
    if timing_at == 0:
        reader.fix(number, "expected a cue number before the timing line", f"missing cue number {expected} added")
        return
    given = lines[0].strip()
    if not (given.isascii() and given.isdigit()):
        reader.fix(number, f"expected a cue number, got {given!r}", f"cue number {given!r} replaced by {expected}")
    elif int(given) != expected:
        reader.last_index = int(given)
        reader.fix(number, f"expected cue number {expected}, got {given}", f"cue number {given} renumbered {expected}")


def _clean_line(reader: _Reader, line: str, number: int) -> str:
    text = line.strip()
    tags = _MARKUP.findall(text)
    if tags:
        shown = ", ".join(repr(t) for t in tags[:5])
        reader.fix(number, f"markup {shown} in cue text (subpipe tracks are plain text)", f"removed markup {shown}")
        text = _MARKUP.sub("", text).strip()
    if reader.vtt:
        for entity, char in _VTT_ENTITIES.items():
            text = text.replace(entity, char)
    if _CONTROL.search(text):
        reader.fix(number, "control characters in cue text", "removed control characters")
        text = _CONTROL.sub("", text).strip()
    return text


def _split_run_on(reader: _Reader, block: _Block, timing_at: int) -> tuple[_Block, _Block | None]:
    """A cue followed by the next with no blank line between them: split (lenient) or fail."""
    lines = block.lines
    nxt = next((j for j in range(timing_at + 1, len(lines)) if _TIMING.match(lines[j])), None)
    if nxt is None:
        return block, None
    if not reader.vtt and nxt - 1 > timing_at and lines[nxt - 1].strip().isdigit():
        nxt -= 1
    reader.fix(block.line + nxt, "expected a blank line before the next cue", "added the missing blank line")
    return _Block(block.line, lines[:nxt]), _Block(block.line + nxt, lines[nxt:])


def _parse_block(reader: _Reader, block: _Block) -> tuple[Cue | None, _Block | None]:
    lines = block.lines
    timing_at = _timing_at(lines)
    if timing_at is None:
        got = lines[0].strip()
        raise InputError(reader.path, f"expected a cue (number, then a timing line), got {got!r}", block.line)
    number = block.line + timing_at
    start, end = _parse_timing(reader, lines[timing_at], number)
    block, rest = _split_run_on(reader, block, timing_at)
    _check_index(reader, lines, timing_at, block.line)
    body = [_clean_line(reader, line, number + 1 + i) for i, line in enumerate(block.lines[timing_at + 1 :])]
    body = [line for line in body if line]
    if not body:
        reader.fix(number, "cue has no text", f"empty cue at {format_srt_time(start)} dropped")
        return None, rest
    return Cue(start, end, tuple(body)), rest


def _parse_cues(reader: _Reader, text: str) -> list[Cue]:
    cues: list[Cue] = []
    pending = list(_blocks(text))
    pending.reverse()
    while pending:
        block = pending.pop()
        if reader.vtt and block.lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION")):
            continue
        cue, rest = _parse_block(reader, block)
        if cue is not None:
            cues.append(cue)
        if rest is not None:
            pending.append(rest)
    if not cues:
        raise InputError(reader.path, "no cues found")
    return cues


_D2 = {f"{n:02d}": n for n in range(100)}
_D3 = {f"{n:03d}": n for n in range(1000)}
# White space at a line's edge, which the careful reader strips: ASCII ones are found with `in`
# (fast), the rest (no-break and other Unicode spaces) with a class that rarely matches at all.
_EDGE_SPACES = (" \n", "\t\n", "\n ", "\n\t", "\f", "\v", "\r")
_UNICODE_EDGE = re.compile(r"[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def _parse_canonical(text: str) -> list[Cue] | None:
    """Read a well-formed SRT in one pass of one regex; None when anything is unusual.

    Anything unusual (markup, control characters, stray white space, an odd arrow or index, a
    cue that ends before it starts) falls back to the careful reader, which reports or repairs it
    with its line number, so both paths give the same cues where this one answers at all.
    Checks that hold for the whole file run once over the whole text (100,000 cues in ~0.5 s).
    """
    body = text.strip("\n") + "\n"
    if _MARKUP.search(body) or _CONTROL.search(body) or _UNICODE_EDGE.search(body) or body[:1].isspace():
        return None
    if body[-2:-1].isspace() or any(edge in body for edge in _EDGE_SPACES):
        return None
    cues: list[Cue] = []
    pos = 0
    for m in _CANON_CUE.finditer(body):
        g = m.groups()
        if m.start() != pos or g[0] != str(len(cues) + 1):
            return None
        start = ((_D2[g[1]] * 60 + _D2[g[2]]) * 60 + _D2[g[3]]) * 1000 + _D3[g[4]]
        end = ((_D2[g[5]] * 60 + _D2[g[6]]) * 60 + _D2[g[7]]) * 1000 + _D3[g[8]]
        if end <= start:
            return None
        cues.append(Cue(start, end, tuple(g[9][:-1].split("\n"))))
        pos = m.end()
    if pos != len(body) or not cues or body.count("-->") != len(cues):
        return None
    return cues


def parse_subtitles(text: str, path: str | Path, lang: str, *, lenient: bool = False) -> ParsedSubtitles:
    """Parse SRT or WebVTT text (WebVTT when it starts with ``WEBVTT`` or the name ends ``.vtt``).

    Strict mode refuses anything but well-formed cues. Lenient mode repairs what can be repaired
    without guessing (arrows, separators, cue numbers, markup, empty cues, missing blank lines)
    and lists each repair; what would need a guess (end before start, garbled times, text with no
    timing) fails in both modes.

    Raises:
        InputError: naming the file and line of the first problem, and what was expected.
    """
    text = text.removeprefix("\ufeff")
    head = text.lstrip()
    vtt = head.startswith("WEBVTT") or str(path).lower().endswith(".vtt")
    fast = None if vtt else _parse_canonical(text)
    if fast is not None:
        return _sorted(fast, lang, ())
    return _parse_careful(text, path, lang, vtt, lenient)


def _sorted(cues: list[Cue], lang: str, repairs: tuple[Repair, ...]) -> ParsedSubtitles:
    order = tuple(c.start_ms for c in cues)
    track = Track(lang, tuple(sorted(cues, key=lambda c: (c.start_ms, c.end_ms))))
    return ParsedSubtitles(track, repairs, order)


def _parse_careful(text: str, path: str | Path, lang: str, vtt: bool, lenient: bool) -> ParsedSubtitles:
    reader = _Reader(path, vtt, lenient)
    if vtt and not text.lstrip().startswith("WEBVTT"):
        reader.fix(1, "a WebVTT file must start with 'WEBVTT'", "missing 'WEBVTT' header assumed")
    return _sorted(_parse_cues(reader, text), lang, tuple(reader.repairs))


def read_subtitles_checked(
    path: str | Path, lang: str, encoding: str | None = None, *, lenient: bool = False
) -> ParsedSubtitles:
    """Read an SRT or WebVTT file; return its track and the repairs made (see :func:`parse_subtitles`).

    Raises:
        InputError: naming the file and line of the first problem.
    """
    return parse_subtitles(read_text(path, encoding), path, lang, lenient=lenient)


def read_subtitles(path: str | Path, lang: str, encoding: str | None = None, *, lenient: bool = False) -> Track:
    """Read an SRT or WebVTT file into a track (cues sorted by start time).

    In lenient mode each repair is logged as a warning.

    Raises:
        InputError: naming the file and line of the first problem.
    """
    parsed = read_subtitles_checked(path, lang, encoding, lenient=lenient)
    for repair in parsed.repairs:
        logger.warning("%s", repair)
    return parsed.track
