"""Reading subtitles with their styling, for conversion: italics, positions, ASS styles, speakers.

The model is pysubs2's (an ``SSAFile`` of events whose text carries ASS override tags), because
ASS can hold everything SRT and WebVTT can. SRT and WebVTT are read by subpipe's own reader
(:mod:`pipeline.ingest.subparse`: strict or lenient, errors with file and line); the markup that
reader leaves out (``<i>``, ``{\\an8}``, VTT cue settings and voices) is then taken from each cue's
raw lines. ASS/SSA is read by pysubs2, after a check of its event lines that names the bad line.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pysubs2

from pipeline.core.errors import InputError
from pipeline.core.textio import Repair
from pipeline.core.timecode import clock_to_ms
from pipeline.ingest.subparse import parse_subtitles
from pipeline.ingest.vttstyle import alignment_of, ass_markup

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s*\S*?>\s*{_TIME}(.*)$")
_TAGS = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>|\{\\[^{}]*\}")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&nbsp;": "\u00a0", "&lrm;": "\u200e", "&rlm;": "\u200f", "&amp;": "&"}
_ASS_TIME = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})(?:[.:](\d{1,3}))?\s*$")


@dataclass
class StyledSubs:
    """A subtitle file in pysubs2's model, with what ASS cannot hold of a WebVTT source.

    ``vtt_settings`` maps an event's index to its raw WebVTT cue settings (``line:10% align:start``),
    which a WebVTT output keeps exactly; ``repairs`` lists what a lenient read repaired or skipped;
    ``dropped`` counts the cues whose source markup had no place in the model, by kind.
    """

    subs: pysubs2.SSAFile
    source: str
    vtt_settings: dict[int, str] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _RawCue:
    lines: tuple[str, ...]
    settings: str


def _plain(line: str, vtt: bool) -> str:
    text = _TAGS.sub("", line).strip()
    if vtt:
        for entity, char in _ENTITIES.items():
            text = text.replace(entity, char)
    return text


def _raw_cues(text: str) -> dict[tuple[int, int], list[_RawCue]]:
    """Every block with a timing line: its times, its raw text lines and what follows the end time."""
    found: dict[tuple[int, int], list[_RawCue]] = {}
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.split("\n")
        at = next((i for i, line in enumerate(lines[:3]) if "-->" in line or _TIMING.match(line)), None)
        match = _TIMING.match(lines[at]) if at is not None else None
        if at is None or match is None:
            continue
        g = match.groups()
        key = (clock_to_ms(*g[0:4]), clock_to_ms(*g[4:8]))
        body = tuple(line.strip() for line in lines[at + 1 :] if line.strip())
        found.setdefault(key, []).append(_RawCue(body, g[8].strip()))
    return found


def _matching(
    raw: dict[tuple[int, int], list[_RawCue]], key: tuple[int, int], lines: tuple[str, ...], vtt: bool
) -> _RawCue | None:
    """The raw cue read as ``lines`` at ``key`` (markup aside), taken out of ``raw``."""
    for i, cand in enumerate(raw.get(key, [])):
        if tuple(p for p in (_plain(line, vtt) for line in cand.lines) if p) == lines:
            return raw[key].pop(i)
    return None


def _escape_plain(line: str) -> str:
    return line.replace("{", "(").replace("}", ")")


def _without_markup(text: str) -> str:
    """``text`` with its markup taken out (kept apart by :func:`_raw_cues`), so that the reader,
    which reads plain text, refuses only what is malformed. A line of markup alone stays whole."""
    lines = text.split("\n")
    return "\n".join(_TAGS.sub("", line) if _TAGS.sub("", line).strip() else line for line in lines)


def read_srt_vtt(text: str, path: str | Path, lang: str, *, lenient: bool) -> StyledSubs:
    """An SRT or WebVTT file's cues with their markup, as ASS events.

    Raises:
        InputError: what the reader refuses (strict: anything malformed; lenient: what needs a guess).
    """
    parsed = parse_subtitles(_without_markup(text), path, lang, lenient=lenient)
    vtt = text.lstrip("\ufeff").lstrip().startswith("WEBVTT") or str(path).lower().endswith(".vtt")
    raw = _raw_cues(text.replace("\r\n", "\n").replace("\r", "\n"))
    subs = pysubs2.SSAFile()
    out = StyledSubs(subs, "vtt" if vtt else "srt", repairs=list(parsed.repairs))
    for cue in parsed.track.cues:
        found = _matching(raw, (cue.start_ms, cue.end_ms), cue.lines, vtt)
        event = pysubs2.SSAEvent(start=cue.start_ms, end=cue.end_ms)
        if found is None:
            event.text = "\\N".join(_escape_plain(line) for line in cue.lines)
        else:
            event.text, event.name, dropped = ass_markup(found.lines, vtt)
            out.dropped.update(dict.fromkeys(dropped, 1))
            align = alignment_of(found.settings) if vtt else None
            if found.settings and vtt:
                out.vtt_settings[len(subs)] = found.settings
            if align is not None and align != 2:
                event.text = f"{{\\an{align}}}" + event.text
        subs.append(event)
    return out


def _event_lines(text: str) -> list[tuple[int, str]]:
    """The ``Dialogue:`` lines of an ASS/SSA text with their line numbers."""
    return [(n, line) for n, line in enumerate(text.split("\n"), start=1) if line.startswith("Dialogue:")]


def _bad_event(line: str, fields: list[str]) -> str | None:
    """What is wrong with one event line (None when it is fine), by the section's Format."""
    values = line.split(":", 1)[1].split(",", len(fields) - 1)
    if len(values) < len(fields):
        return f"expected {len(fields)} fields ({', '.join(fields)}), got {len(values)}"
    times = {name: values[i] for i, name in enumerate(fields) if name in ("start", "end")}
    ms = {}
    for name, value in times.items():
        match = _ASS_TIME.match(value)
        if match is None:
            return f"{name} time {value.strip()!r} is not H:MM:SS.cc"
        ms[name] = clock_to_ms(*match.groups())
    if len(ms) == 2 and ms["end"] <= ms["start"]:
        return f"the event ends ({times['end'].strip()}) before or when it starts ({times['start'].strip()})"
    return None


_STANDARD = "Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"


def _event_fields(text: str, path: str | Path) -> list[str]:
    """The event fields: the standard ten (the only ones pysubs2 reads), checked against ``Format:``.

    Raises:
        InputError: when the ``[Events]`` section declares another field order.
    """
    match = re.search(r"^\[Events\][^\[]*?^Format:(.*)$", text, re.MULTILINE | re.IGNORECASE)
    if match is None:
        return ["layer", *_STANDARD.lower().split(", ")]
    fields = [f.strip().lower() for f in match.group(1).split(",")]
    if fields[0] not in ("layer", "marked") or fields[1:] != _STANDARD.lower().split(", "):
        line = text[: match.start(1)].count("\n") + 1
        raise InputError(path, f"unsupported event Format (expected Layer, {_STANDARD})", line)
    return fields


def read_ass(text: str, path: str | Path, *, lenient: bool) -> StyledSubs:
    """An ASS or SSA file, by pysubs2, after a check of every ``Dialogue:`` line.

    Raises:
        InputError: no ``[Events]`` with ``Dialogue:`` lines; a malformed event line (strict; lenient
            skips it with a repair); times pysubs2 cannot read.
    """
    events = _event_lines(text)
    if "[events]" not in text.lower() or not events:
        raise InputError(path, "not an ASS/SSA file: expected an [Events] section with Dialogue: lines")
    fields, drop, repairs = _event_fields(text, path), set(), []
    for number, line in events:
        problem = _bad_event(line, fields)
        if problem is None:
            continue
        if not lenient:
            raise InputError(path, f"{problem} (lenient mode skips this line: --lenient)", number)
        drop.add(number)
        repairs.append(Repair(str(path), number, f"event line skipped: {problem}"))
    kept = "\n".join(line for n, line in enumerate(text.split("\n"), start=1) if n not in drop)
    try:
        with warnings.catch_warnings():  # pysubs2 warns about fields it defaults (a missing Layer): no news
            warnings.simplefilter("ignore")
            subs = pysubs2.SSAFile.from_string(kept, format_="ssa" if str(path).lower().endswith(".ssa") else "ass")
    except (ValueError, KeyError, pysubs2.Pysubs2Error) as exc:
        raise InputError(path, f"not a readable ASS/SSA file: {exc}") from None
    if not any(not event.is_comment for event in subs):
        raise InputError(path, "no usable Dialogue lines")
    return StyledSubs(subs, "ass", repairs=repairs)
