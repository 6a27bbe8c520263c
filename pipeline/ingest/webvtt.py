"""The WebVTT parser algorithm of the W3C WebVTT spec, as browsers run it.

Blocks are collected as the spec's "collect a WebVTT block" does (a line holding ``-->`` after a
cue's first two lines starts the next block; a cue's text runs to the first empty line), timings
as "collect a WebVTT timestamp" and "collect WebVTT cue timings and settings" do (settings may be
glued to the end time; only ASCII white space pads them, so a vertical tab spoils the line).
:func:`parse_webvtt` gives what a browser's ``TextTrack.cues`` holds (raw text: tags and character
references as written); :mod:`pipeline.ingest.subparse` makes plain-text tracks of it, with
problems found on the way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "ASCII whitespace" of the spec: tab, line feed, form feed, carriage return, space.
_SPACE = "\t\n\f\r "
_STAMP = re.compile(r"([0-9]+):([0-9]{2})(?::([0-9]{2}))?\.([0-9]{3})(?![0-9])")


@dataclass(frozen=True)
class VttBlock:
    """A block of lines; ``arrow_at`` is the index of its timing line (None: not a cue)."""

    line: int
    lines: tuple[str, ...]
    arrow_at: int | None


@dataclass(frozen=True)
class VttCue:
    """A cue as a browser makes it: identifier, times in ms, raw text."""

    id: str
    start_ms: int
    end_ms: int
    text: str
    line: int


def decode_webvtt(data: bytes) -> str:
    """The spec's decoding: UTF-8 (bad bytes as U+FFFD), one BOM dropped, NUL as U+FFFD, ``\\n`` line ends."""
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    return normalise(text)


def normalise(text: str) -> str:
    """NUL to U+FFFD, CRLF and CR to LF (the spec's preprocessing)."""
    return text.replace("\x00", "\ufffd").replace("\r\n", "\n").replace("\r", "\n")


def has_signature(text: str) -> bool:
    """The file starts with ``WEBVTT``, then a space, a tab, a line end or nothing."""
    return text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\n")


def _timestamp(line: str, pos: int) -> tuple[int, int] | None:
    """Collect a WebVTT timestamp at ``pos``: (ms, new position), None when it fails.

    The spec's steps as one pattern: a first field of any length, then exactly two digits (and two
    more when the first field was hours: more than 2 digits or over 59), ``.``, exactly 3 digits.
    """
    match = _STAMP.match(line, pos)
    if match is None:
        return None
    first, second, third, frac = match.groups()
    if third is None:
        if len(first) != 2 or int(first) > 59:
            return None  # hours alone would need minutes and seconds after them
        hours, minutes, seconds = 0, int(first), int(second)
    else:
        hours, minutes, seconds = int(first), int(second), int(third)
    if minutes > 59 or seconds > 59:
        return None
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(frac), match.end()


def _skip_space(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in _SPACE:
        pos += 1
    return pos


def parse_timing(line: str) -> tuple[int, int, str] | None:
    """Collect WebVTT cue timings and settings: (start ms, end ms, settings), None when it fails."""
    start = _timestamp(line, _skip_space(line, 0))
    if start is None:
        return None
    pos = _skip_space(line, start[1])
    if line[pos : pos + 3] != "-->":
        return None
    end = _timestamp(line, _skip_space(line, pos + 3))
    if end is None:
        return None
    return start[0], end[0], line[end[1] :]


def _collect_block(lines: list[str], i: int, in_header: bool) -> tuple[VttBlock, int]:
    """Collect a WebVTT block from line ``i``: the block and the index where the next one may start."""
    first, count, previous, seen_arrow, arrow_at = i, 0, i, False, None
    end = len(lines)
    while i < len(lines):
        line = lines[i]
        count += 1
        i += 1
        if "-->" in line:
            if in_header or not (count == 1 or (count == 2 and not seen_arrow)):
                i = end = previous  # this line starts the next block
                break
            seen_arrow, previous, arrow_at = True, i, count - 1
        elif not line:
            end = i - 1
            break
        else:
            previous = i
    return VttBlock(first + 1, tuple(lines[first : min(end, i)]), arrow_at), i


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def webvtt_blocks(text: str) -> list[VttBlock]:
    """The blocks after the header of a normalised WebVTT text whose signature was checked.

    The header block (the lines right after ``WEBVTT`` up to the first blank line) is left out.
    """
    lines = text.split("\n")
    i = 1
    if i < len(lines) and lines[i]:
        _header, i = _collect_block(lines, i, True)
    i = _skip_blank(lines, i)
    blocks = []
    while i < len(lines):
        block, i = _collect_block(lines, i, False)
        blocks.append(block)
        i = _skip_blank(lines, i)
    return blocks


def parse_webvtt(text: str) -> list[VttCue] | None:
    """The cues a browser makes of normalised WebVTT ``text`` (see :func:`normalise`); None when the
    signature check fails (a browser then has no cues at all)."""
    if not has_signature(text):
        return None
    cues = []
    for block in webvtt_blocks(text):
        if block.arrow_at is None:
            continue
        timing = parse_timing(block.lines[block.arrow_at])
        if timing is not None:
            ident = block.lines[0] if block.arrow_at else ""
            text_lines = block.lines[block.arrow_at + 1 :]
            cues.append(VttCue(ident, timing[0], timing[1], "\n".join(text_lines), block.line + block.arrow_at))
    return cues
