"""Reading SRT and WebVTT files past their problems, pointing at file and line for each.

The readers (:mod:`pipeline.ingest.srt`, :mod:`pipeline.ingest.webvtt`) never stop at a local
problem: like browsers and Subtitle Edit they skip a bad block and read the rest, recording a
:class:`~pipeline.ingest.cuetext.Problem` for it. Then the caller's mode decides: strict (releases)
refuses a file with any problem, listing them all; lenient repairs what needs no guess and drops
unusable cues, one warning each; :func:`lint_subtitles` (``subpipe check``) returns everything.
:mod:`pipeline.tracks.formats` re-exports the readers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError
from pipeline.core.findings import ERROR
from pipeline.core.textio import Repair, decode_bytes, read_text
from pipeline.ingest.cuetext import (
    LENIENT_HINT,
    Collector,
    CueLines,
    Problem,
    check_order,
    clean_line,
    parse_timing,
)
from pipeline.ingest.delivery_read import delivery_source, read_delivery_track
from pipeline.ingest.srt import parse_canonical, read_srt
from pipeline.ingest.webvtt import VttBlock, has_signature, webvtt_blocks
from pipeline.ingest.webvtt import parse_timing as vtt_timing

__all__ = [
    "CueLines",
    "ParsedSubtitles",
    "Problem",
    "lint_subtitles",
    "parse_subtitles",
    "read_subtitle_text",
    "read_subtitles",
    "read_subtitles_checked",
]

logger = logging.getLogger(__name__)
_MAX_LISTED = 20  # problems listed in one strict-mode error


@dataclass(frozen=True)
class ParsedSubtitles:
    """A track read from a file, with every problem found (``repairs``: what lenient reading repaired)."""

    track: Track
    repairs: tuple[Repair, ...] = ()
    starts_in_file_order: tuple[int, ...] = ()  # the track is sorted; this keeps the file's order
    problems: tuple[Problem, ...] = ()
    cue_lines: tuple[CueLines, ...] = ()  # where each cue of the track (same order) sits in the file


def _other_block(out: Collector, block: VttBlock, line: int) -> None:
    """A VTT block without a timing line: a comment, a style sheet or region, or lost text."""
    head = block.lines[0]
    if head.startswith("NOTE") and head[4:5] in ("", " ", "\t"):
        return
    if head.rstrip(" \t") in ("STYLE", "REGION"):
        return
    out.unusable(line, f"text with no timing line (browsers skip this block): {head.strip()!r}")


def _vtt_cue(out: Collector, block: VttBlock, line: int) -> Cue | None:
    assert block.arrow_at is not None
    number = line + block.arrow_at
    timing_line = block.lines[block.arrow_at]
    spec = vtt_timing(timing_line)
    times = check_order(out, spec[0], spec[1], number) if spec else parse_timing(out, timing_line, number)
    first = block.arrow_at + 1
    body = [text for i, raw in enumerate(block.lines[first:]) for text in clean_line(out, raw, number + 1 + i)]
    if times is None:
        return None
    if not body:
        out.fix(number, "cue has no text", f"empty cue at line {number} dropped", dropped=True)
        return None
    out.placed(line, number, line + len(block.lines) - 1)
    return Cue(times[0], times[1], tuple(body))


def _vtt_header(out: Collector, text: str) -> tuple[str, int]:
    """The text to read as WebVTT and the line offset of what was skipped or assumed before it."""
    if has_signature(text):
        return text, 0
    head = text.lstrip(" \t\n\ufeff")
    if has_signature(head):
        skipped = text[: len(text) - len(head)].count("\n")
        out.fix(1, "blank lines before 'WEBVTT' (browsers reject such a file)", "blank lines before 'WEBVTT' skipped")
        return head, skipped
    out.fix(1, "a WebVTT file must start with 'WEBVTT'", "missing 'WEBVTT' header assumed")
    return "WEBVTT\n\n" + text, -2


def _read_vtt(out: Collector, text: str) -> list[Cue]:
    text, offset = _vtt_header(out, text)
    cues = []
    for block in webvtt_blocks(text):
        line = block.line + offset
        if block.arrow_at is None:
            _other_block(out, block, line)
            continue
        cue = _vtt_cue(out, block, line)
        if cue is not None:
            cues.append(cue)
    return cues


def _sorted(cues: list[Cue], lang: str, problems: list[Problem], lines: list[CueLines]) -> ParsedSubtitles:
    order = tuple(c.start_ms for c in cues)
    pairs = sorted(zip(cues, lines, strict=True), key=lambda p: (p[0].start_ms, p[0].end_ms))
    track = Track(lang, tuple(c for c, _ in pairs))
    ordered = tuple(sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 62))
    repairs = tuple(Repair(p.path, p.line, p.repair) for p in ordered if p.repair)
    return ParsedSubtitles(track, repairs, order, ordered, tuple(at for _, at in pairs))


def _canonical_lines(text: str, cues: list[Cue]) -> list[CueLines]:
    """Where each cue of a canonical SRT sits: number, timing line, text, one blank line, in turn."""
    line = len(text) - len(text.lstrip("\n")) + 1
    out = []
    for index, cue in enumerate(cues, start=1):
        last = line + 1 + len(cue.lines)
        out.append(CueLines(line, line + 1, last, index))
        line = last + 2
    return out


def _is_vtt(text: str, path: str | Path) -> bool:
    return text.lstrip().startswith("WEBVTT") or str(path).lower().endswith(".vtt")


def _refusal(path: str | Path, problems: tuple[Problem, ...], lenient: bool) -> InputError:
    """One error naming every problem (as a compiler does); the first one's line is the error's line.

    In strict mode the last line says what lenient mode would do with them.
    """
    lines = [f"\n  {p.where}: {p.message}" for p in problems[1:_MAX_LISTED]]
    if len(problems) > _MAX_LISTED:
        lines.append(f"\n  ... and {len(problems) - _MAX_LISTED} more")
    repairs = sum(1 for p in problems if p.repair)
    drops = sum(1 for p in problems if p.severity == ERROR and p.line is not None)
    if not lenient and (repairs or drops):
        does = [f"repairs {repairs}"] if repairs else []
        does += [f"drops {drops} unusable cue(s) or block(s) and reads the rest"] if drops else []
        lines.append(f"\n  ({LENIENT_HINT}: {' and '.join(does)})")
    return InputError(path, problems[0].message + "".join(lines), problems[0].line)


def lint_subtitles(text: str, path: str | Path, lang: str, problems: tuple[Problem, ...] = ()) -> ParsedSubtitles:
    """Read every usable cue of SRT or WebVTT ``text`` and list every problem (``subpipe check``).

    Unusable cues are left out (an ``error`` problem each), repairs made (a ``warning`` each); the
    track may be empty. ``problems`` found before parsing (NUL bytes) are kept in front.

    Raises:
        InputError: only when the text is not subtitles at all (no timing line, no ``WEBVTT``).
    """
    text = text.removeprefix("\ufeff")
    vtt = _is_vtt(text, path)
    fast = None if problems or vtt else parse_canonical(text)
    if fast is not None:  # a canonical SRT, read in one regex pass (no problems to find)
        return _sorted(fast, lang, [], _canonical_lines(text, fast))
    out = Collector(str(path), vtt, list(problems))
    cues = _read_vtt(out, text) if vtt else read_srt(out, text)
    if not cues and "-->" not in text and not text.lstrip().startswith("WEBVTT"):  # not subtitles at all
        if out.problems:
            raise _refusal(path, tuple(out.problems), True)
        raise InputError(path, "no cues found (not an SRT or WebVTT file: no timing line)")
    if not cues:
        what = "no usable cue (each has a problem listed)" if out.problems else "no cues found"
        out.problems.append(Problem(str(path), None, what, ERROR))
    return _sorted(cues, lang, out.problems, out.cue_lines)


def parse_subtitles(
    text: str, path: str | Path, lang: str, *, lenient: bool = False, problems: tuple[Problem, ...] = ()
) -> ParsedSubtitles:
    """Parse SRT or WebVTT text (WebVTT when it starts with ``WEBVTT`` or the name ends ``.vtt``).

    Strict mode refuses a file with any problem and names them all. Lenient mode repairs what
    can be repaired without guessing (arrows, separators, missing milliseconds, cue numbers,
    markup, missing blank lines), drops unusable cues (garbled times, end before start, text with
    no timing) and lists each in ``problems``.

    Raises:
        InputError: naming the file and line of the (first) problem, and what was expected; in
            lenient mode only when no cue is usable.
    """
    parsed = lint_subtitles(text, path, lang, problems)
    if parsed.problems and not (lenient and parsed.track.cues):
        raise _refusal(path, parsed.problems, lenient)
    return parsed


def read_subtitle_text(
    path: str | Path, encoding: str | None = None, langs: Sequence[str] = ()
) -> tuple[str, tuple[Problem, ...]]:
    """A subtitle file's text, NUL bytes read as U+FFFD as browsers do (a problem per line).

    ``langs`` inform the guess named when a legacy encoding is refused.

    Raises:
        InputError: when the file is missing, empty, binary (many NUL bytes, no timing line) or
            not in the encoding.
    """
    try:
        return read_text(path, encoding, langs=langs), ()
    except InputError as exc:
        data = _bytes_with_nul(path)
        if data is None:
            raise
        body = data.rstrip(b"\x00")
        if body.count(b"\x00") * 10 > len(body) or b"-->" not in body or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise exc from None
    text = decode_bytes(body.replace(b"\x00", "\ufffd".encode()), path)
    return text, _nul_problems(str(path), body, len(data) - len(body))


def _bytes_with_nul(path: str | Path) -> bytes | None:
    try:
        data = Path(path).read_bytes()
    except (OSError, ValueError):
        return None
    return data if b"\x00" in data else None


def _nul_problems(path: str, body: bytes, padding: int) -> tuple[Problem, ...]:
    lines = sorted({body.count(b"\n", 0, at) + 1 for at in range(len(body)) if body[at] == 0})
    found = [Problem(path, n, "NUL byte in the text", repair="NUL read as U+FFFD (as browsers do)") for n in lines]
    if padding:
        end = body.count(b"\n") + 1
        found.append(Problem(path, end, f"{padding} NUL bytes after the text", repair="NUL padding at the end ignored"))
    return tuple(found)


def read_subtitles_checked(
    path: str | Path, lang: str, encoding: str | None = None, *, lenient: bool = False
) -> ParsedSubtitles:
    """Read an SRT or WebVTT file, or a delivery one (TTML, SCC, STL: :mod:`pipeline.ingest.delivery_read`);
    return its track and the problems found (see :func:`parse_subtitles`).

    Raises:
        InputError: naming the file and line of each problem (strict), or when nothing is usable.
    """
    if delivery_source(path):
        return ParsedSubtitles(read_delivery_track(path, lang))
    text, problems = read_subtitle_text(path, encoding, (lang,))
    return parse_subtitles(text, path, lang, lenient=lenient, problems=problems)


def read_subtitles(path: str | Path, lang: str, encoding: str | None = None, *, lenient: bool = False) -> Track:
    """Read an SRT or WebVTT file into a track (cues sorted by start time).

    In lenient mode each repair and each dropped cue is logged as one warning.

    Raises:
        InputError: naming the file and line of each problem (strict), or when nothing is usable.
    """
    parsed = read_subtitles_checked(path, lang, encoding, lenient=lenient)
    for problem in parsed.problems:
        logger.warning("%s", problem)
    return parsed.track
