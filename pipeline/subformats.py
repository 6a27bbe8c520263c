"""Subtitle file formats: SRT and WebVTT read and written here, ASS written with pysubs2.

The readers are strict and point at the exact line of a problem; pysubs2 and pysrt both skip
malformed cues silently, which is how broken files ship. pysubs2 does the ASS writing, where its
style model is what we need.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from pipeline.cues import Cue, Track
from pipeline.errors import InputError
from pipeline.textio import read_text
from pipeline.timecode import format_srt_time

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_LOOKS_TIMED = re.compile(r"-->|\d{1,2}:\d{2}[,.:]\d")
_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")


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


def _ms(groups: tuple[str | None, ...]) -> int:
    hours, minutes, seconds, frac = groups
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000 + int(
        (frac or "0").ljust(3, "0")
    )


def _parse_timing(line: str, path: str | Path, number: int) -> tuple[int, int]:
    match = _TIMING.match(line)
    if match is None:
        raise InputError(
            path, f"expected a timing line like '00:00:01,000 --> 00:00:02,500', got {line.strip()!r}", number
        )
    groups = match.groups()
    start, end = _ms(groups[:4]), _ms(groups[4:])
    if end <= start:
        raise InputError(path, f"cue ends ({end} ms) before or when it starts ({start} ms)", number)
    return start, end


def _parse_cues(text: str, path: str | Path, vtt: bool) -> list[Cue]:
    cues: list[Cue] = []
    for block in _blocks(text):
        lines = block.lines
        if vtt and (lines[0].startswith(("WEBVTT", "NOTE", "STYLE", "REGION"))):
            continue
        timing_at = next((i for i, line in enumerate(lines[:2]) if _LOOKS_TIMED.search(line)), None)
        if timing_at is None:
            raise InputError(path, f"expected a cue (index, then a timing line), got {lines[0].strip()!r}", block.line)
        start, end = _parse_timing(lines[timing_at], path, block.line + timing_at)
        body = tuple(line.strip() for line in lines[timing_at + 1 :])
        if not body:
            raise InputError(path, "cue has no text", block.line + timing_at)
        cues.append(Cue(start, end, body))
    if not cues:
        raise InputError(path, "no cues found")
    return cues


def read_subtitles(path: str | Path, lang: str, encoding: str | None = None) -> Track:
    """Read an SRT or WebVTT file into a track (cues sorted by start time).

    Raises:
        InputError: naming the file and line of the first problem.
    """
    text = read_text(path, encoding)
    vtt = text.lstrip().startswith("WEBVTT") or str(path).lower().endswith(".vtt")
    if vtt and not text.lstrip().startswith("WEBVTT"):
        raise InputError(path, "a WebVTT file must start with 'WEBVTT'", 1)
    cues = sorted(_parse_cues(text, path, vtt), key=lambda c: (c.start_ms, c.end_ms))
    return Track(lang, tuple(cues))


def compose_srt(track: Track) -> str:
    """The SRT text of ``track`` (UTF-8, ``\\n`` line ends, numbered from 1)."""
    parts = [
        f"{i}\n{format_srt_time(c.start_ms)} --> {format_srt_time(c.end_ms)}\n{c.text}\n"
        for i, c in enumerate(track.cues, start=1)
    ]
    return "\n".join(parts)


def compose_vtt(track: Track) -> str:
    """The WebVTT text of ``track``."""

    def stamp(ms: int) -> str:
        return format_srt_time(ms).replace(",", ".")

    parts = [f"{stamp(c.start_ms)} --> {stamp(c.end_ms)}\n{c.text}\n" for c in track.cues]
    return "WEBVTT\n\n" + "\n".join(parts)


@dataclass(frozen=True)
class AssStyle:
    """How a burned track looks. Sizes are in pixels of the video (PlayRes = video size)."""

    font_family: str
    font_size: int = 44
    outline: float = 2.5
    shadow: float = 0.8
    margin_v: int = 40
    bold: bool = False


def compose_ass(track: Track, style: AssStyle, width: int, height: int) -> str:
    """The ASS text of ``track``: one style, our own line breaks (WrapStyle 2), auto base direction.

    ``Encoding=-1`` lets libass find each line's base direction, so an Arabic line's final
    punctuation lands on its left (measured: with the default it lands on the right).
    """
    subs = pysubs2.SSAFile()
    subs.info.update(
        {"PlayResX": str(width), "PlayResY": str(height), "WrapStyle": "2", "ScaledBorderAndShadow": "yes"}
    )
    subs.styles["Default"] = pysubs2.SSAStyle(
        fontname=style.font_family,
        fontsize=style.font_size,
        bold=style.bold,
        outline=style.outline,
        shadow=style.shadow,
        marginv=style.margin_v,
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        encoding=-1,
    )
    for cue in track.cues:
        text = "\\N".join(line.replace("{", "(").replace("}", ")") for line in cue.lines)
        subs.append(pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms, text=text))
    return str(subs.to_string("ass"))
