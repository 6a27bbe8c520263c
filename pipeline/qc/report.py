"""Check reports: a terminal table, stable JSON, self-contained HTML.

The JSON's schema is in the manual: docs/timing.md, "Checking and syncing subtitle timing".

The renderers return text; the CLI writes it (to stdout or through :func:`outputs.write_text`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pipeline.core.findings import SEVERITIES, Finding
from pipeline.core.timecode import format_clock
from pipeline.qc.check import FileReport

SCHEMA_VERSION = 1


def _fps_text(report: FileReport) -> str | None:
    fps = report.fps
    if fps is None:
        return None
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as JSON data."""
    return {
        "rule": f.rule,
        "severity": f.severity,
        "cue": f.cue,
        "line": f.line,
        "start_ms": f.start_ms,
        "time": f.time,
        "message": f.message,
        "fix": f.fix,
    }


def file_dict(report: FileReport) -> dict[str, Any]:
    """One file's report as JSON data."""
    facts = report.video
    offset = report.offset
    return {
        "path": report.path,
        "lang": report.lang,
        "fps": _fps_text(report),
        "cues": len(report.track.cues),
        "video": None
        if facts is None
        else {
            "path": facts.media.path,
            "duration_ms": facts.media.duration_ms,
            "shot_changes": len(facts.shot_changes_ms),
            "speech_ms": None if facts.speech is None else sum(b - a for a, b in facts.speech.spans),
        },
        "sync": None
        if offset is None
        else {"offset_ms": offset.offset_ms, "ratio": round(offset.ratio, 6), "confidence": offset.confidence},
        "counts": {s: report.count(s) for s in SEVERITIES},
        "findings": [finding_dict(f) for f in report.findings],
    }


def to_json(reports: Sequence[FileReport]) -> str:
    """The JSON report of every file (keys in a fixed order, UTF-8, compact).

    Compact because ``indent`` makes the json module fall back to its pure-Python encoder: with
    100,000 cues that took seconds. ``python -m json.tool`` pretty-prints it.
    """
    totals = {s: sum(r.count(s) for r in reports) for s in SEVERITIES}
    doc = {
        "schema": SCHEMA_VERSION,
        "ok": totals["error"] == 0,
        "totals": totals,
        "files": [file_dict(r) for r in reports],
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def to_text(reports: Sequence[FileReport]) -> str:
    """A plain table per file: severity, cue, line, time, rule, message, fix; then the totals.

    Messages and fixes are never shortened: the report is read in files and pipes as much as on
    a terminal (where long lines wrap).
    """
    out: list[str] = []
    for r in reports:
        counts = ", ".join(f"{r.count(s)} {s}" for s in SEVERITIES)
        out.append(f"{r.path} [{r.lang}, {len(r.track.cues)} cues]: {counts}")
        if r.offset is not None:
            out.append(f"  {r.offset.describe()}")
        out.append(f"  {'severity':<8} {'cue':>6} {'line':>7} {'time':<12} {'rule':<17} message / fix")
        for f in r.findings:
            cue = "-" if f.cue is None else str(f.cue)
            line = "-" if f.line is None else str(f.line)
            out.append(f"  {f.severity:<8} {cue:>6} {line:>7} {f.time:<12} {f.rule:<17} {f.message}")
            out.append(f"  {'':<8} {'':>6} {'':>7} {'':<12} {'':<17} -> {f.fix}")
    out.append(summary_line(reports))
    return "\n".join(out) + "\n"


def summary_line(reports: Sequence[FileReport]) -> str:
    """``N file(s), M error(s): ok|FAIL``: the last line of the text report."""
    errors = sum(r.count("error") for r in reports)
    return f"{len(reports)} file(s), {errors} error(s): {'FAIL' if errors else 'ok'}"


def duration_of(report: FileReport) -> int:
    """The length the timeline of ``report`` covers (video, else the last cue), at least 1 s."""
    ends = [c.end_ms for c in report.track.cues]
    if report.video is not None:
        ends.append(report.video.media.duration_ms)
    return max([1000, *ends])


def clock(ms: int) -> str:
    """``M:SS`` for axis labels."""
    return format_clock(ms)[2:7] if ms < 3_600_000 else format_clock(ms)[:7]
