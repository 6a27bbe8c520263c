"""Reading SRT: a one-regex fast path for canonical files, and a careful reader that reads past problems.

The careful reader accepts what Subtitle Edit accepts (missing or short milliseconds, ``.`` or
``,``, extra spaces, coordinates after the times, a missing blank line, tags), recording each
repair, and skips what it cannot read (a block without a timing line, a garbled time, a cue that
ends before it starts) with a problem naming the line: one bad block never hides the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.core.cues import Cue
from pipeline.core.timecode import format_srt_time
from pipeline.ingest.cuetext import CONTROL, MARKUP, TIMING, Collector, clean_line, parse_timing

_LOOKS_TIMED = re.compile(r"-->|\d{1,2}:\d{2}[,.:]\d")
_CLOCK = re.compile(r"\d:\d\d")
# A canonical SRT cue, as subpipe and most tools write it: the fast path (see parse_canonical).
_CANON_CUE = re.compile(
    r"(\d+)\n(\d\d):([0-5]\d):([0-5]\d),(\d{3}) --> (\d\d):([0-5]\d):([0-5]\d),(\d{3})\n((?:[^\n]+\n)+)(?:\n|\Z)"
)


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


def _starts_cue(lines: list[str], j: int) -> bool:
    """Line ``j`` starts a cue: a timing line (or a garbled one: an arrow and a clock), or a line
    with an arrow right above a timing line (the next cue's identifier). Other text with an arrow
    (``Go --> there``) stays text."""
    line = lines[j]
    if TIMING.match(line):
        return True
    if "-->" not in line:
        return False
    return _CLOCK.search(line) is not None or (j + 1 < len(lines) and TIMING.match(lines[j + 1]) is not None)


def _timing_at(lines: list[str]) -> int | None:
    if TIMING.match(lines[0]):
        return 0
    if len(lines) > 1 and (_LOOKS_TIMED.search(lines[1]) or lines[0].strip().isdigit()):
        return 1
    return 0 if _LOOKS_TIMED.search(lines[0]) else None


def _cue_start(lines: list[str]) -> int | None:
    """Where a cue starts in a block that does not start with one (junk above it), if anywhere."""
    at = next((j for j in range(1, len(lines)) if _starts_cue(lines, j)), None)
    if at is not None and at > 1 and lines[at - 1].strip().isdigit():
        at -= 1
    return at


@dataclass
class _SrtReader:
    out: Collector
    last_index: int = 0

    def check_index(self, lines: list[str], timing_at: int, number: int) -> None:
        """Cue numbers: present, and one more than the last."""
        expected = self.last_index + 1
        self.last_index = expected
        if timing_at == 0:
            self.out.fix(number, "expected a cue number before the timing line", f"missing cue number {expected} added")
            return
        given = lines[0].strip()
        if not (given.isascii() and given.isdigit()):
            self.out.fix(
                number, f"expected a cue number, got {given!r}", f"cue number {given!r} replaced by {expected}"
            )
        elif int(given) != expected:
            self.last_index = int(given)
            self.out.fix(
                number, f"expected cue number {expected}, got {given}", f"cue number {given} renumbered {expected}"
            )

    def split_run_on(self, block: _Block, timing_at: int) -> tuple[_Block, _Block | None]:
        """A cue followed by the next with no blank line between them: split, as a repair.

        Any later line holding ``-->`` starts the next cue, even after a repaired timing line
        (it may be the next cue's number or identifier, never this cue's text).
        """
        lines = block.lines
        nxt = next((j for j in range(timing_at + 1, len(lines)) if _starts_cue(lines, j)), None)
        if nxt is None:
            return block, None
        if nxt - 1 > timing_at and lines[nxt - 1].strip().isdigit():
            nxt -= 1
        self.out.fix(block.line + nxt, "expected a blank line before the next cue", "added the missing blank line")
        return _Block(block.line, lines[:nxt]), _Block(block.line + nxt, lines[nxt:])

    def read_block(self, block: _Block) -> tuple[Cue | None, _Block | None]:
        """The cue of ``block`` (None when unusable, recorded) and what follows it in the block."""
        lines = block.lines
        timing_at = _timing_at(lines)
        if timing_at is None:
            start = _cue_start(lines)
            got = lines[0].strip()
            self.out.unusable(block.line, f"expected a cue (number, then a timing line), got {got!r}")
            return None, None if start is None else _Block(block.line + start, lines[start:])
        number = block.line + timing_at
        times = parse_timing(self.out, lines[timing_at], number)
        block, rest = self.split_run_on(block, timing_at)
        self.check_index(lines, timing_at, block.line)
        body = [
            text
            for i, line in enumerate(block.lines[timing_at + 1 :])
            for text in clean_line(self.out, line, number + 1 + i)
        ]
        if times is None:
            return None, rest
        if not body:
            self.out.fix(number, "cue has no text", f"empty cue at {format_srt_time(times[0])} dropped", dropped=True)
            return None, rest
        self.out.placed(block.line, number, block.line + len(block.lines) - 1)
        return Cue(times[0], times[1], tuple(body)), rest


def read_srt(out: Collector, text: str) -> list[Cue]:
    """Every usable cue of SRT ``text``, in file order; problems go to ``out``."""
    reader = _SrtReader(out)
    cues: list[Cue] = []
    pending = list(_blocks(text))
    pending.reverse()
    while pending:
        cue, rest = reader.read_block(pending.pop())
        if cue is not None:
            cues.append(cue)
        if rest is not None:
            pending.append(rest)
    return cues


_D2 = {f"{n:02d}": n for n in range(100)}
_D3 = {f"{n:03d}": n for n in range(1000)}
# White space at a line's edge, which the careful reader strips: ASCII ones are found with `in`
# (fast), the rest (no-break and other Unicode spaces) with a class that rarely matches at all.
_EDGE_SPACES = (" \n", "\t\n", "\n ", "\n\t", "\f", "\v", "\r")
_UNICODE_EDGE = re.compile(r"[\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


def parse_canonical(text: str) -> list[Cue] | None:
    """Read a well-formed SRT in one pass of one regex; None when anything is unusual.

    Anything unusual (markup, control characters, stray white space, an odd arrow or index, a
    cue that ends before it starts) falls back to the careful reader, which reports or repairs it
    with its line number, so both paths give the same cues where this one answers at all.
    Checks that hold for the whole file run once over the whole text (100,000 cues in ~0.5 s).
    """
    body = text.strip("\n") + "\n"
    if MARKUP.search(body) or CONTROL.search(body) or _UNICODE_EDGE.search(body) or body[:1].isspace():
        return None
    if body[-2:-1].isspace() or "\\" in body or any(edge in body for edge in _EDGE_SPACES):
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
