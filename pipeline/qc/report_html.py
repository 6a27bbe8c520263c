"""The HTML check report: one self-contained page (inline CSS and SVG, no script, no network).

Per file, a timeline in rows of one minute: speech activity (green), cues (blue; orange with a
warning, red with an error), shot changes (grey lines), findings (triangles, with a tooltip), then
the findings table.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

from pipeline.core.findings import SEVERITIES, Finding
from pipeline.qc.check import FileReport
from pipeline.qc.report import clock, duration_of

ROW_MS = 60_000
WIDTH = 1200
ROW_H = 76
LEFT = 8
MAX_TABLE_ROWS = 5000
COLORS = {"speech": "#2f9e44", "cue": "#1c7ed6", "error": "#e03131", "warning": "#f08c00", "info": "#868e96"}
_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212529; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 32px; }
.ok { color: #2b8a3e; } .fail { color: #c92a2a; }
table { border-collapse: collapse; margin-top: 8px; } td, th { padding: 2px 8px; border-bottom: 1px solid #dee2e6; }
th { text-align: left; background: #f1f3f5; } td.error { color: #c92a2a; } td.warning { color: #e67700; }
.legend span { display: inline-block; margin-right: 16px; } .legend i { display: inline-block; width: 14px;
 height: 10px; margin-right: 4px; vertical-align: middle; }
svg.timeline { display: block; background: #fff; border: 1px solid #ced4da; margin-top: 8px; }
"""


def _x(ms: int, row: int) -> float:
    return LEFT + (ms - row * ROW_MS) * (WIDTH - 2 * LEFT) / ROW_MS


def _pieces(start: int, end: int) -> Iterator[tuple[int, float, float]]:
    """(row, x, width) of a span cut at row boundaries."""
    row = start // ROW_MS
    while start < end:
        stop = min(end, (row + 1) * ROW_MS)
        yield row, _x(start, row), max(_x(stop, row) - _x(start, row), 1.0)
        start, row = stop, row + 1


def _worst(findings: Sequence[Finding]) -> dict[int, str]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    worst: dict[int, str] = {}
    for f in findings:
        known = worst.get(f.cue, "info") if f.cue is not None else "error"
        if f.cue is not None and f.severity != "info" and rank[f.severity] < rank[known]:
            worst[f.cue] = f.severity
    return worst


def _axis(rows: int) -> Iterator[str]:
    for row in range(rows):
        y = row * ROW_H
        for sec in range(0, 60, 10):
            ms = row * ROW_MS + sec * 1000
            x = _x(ms, row)
            yield f'<line x1="{x:.1f}" y1="{y + 14}" x2="{x:.1f}" y2="{y + 62}" stroke="#e9ecef"/>'
            yield f'<text x="{x + 2:.1f}" y="{y + 11}" font-size="10" fill="#495057">{clock(ms)}</text>'


def _spans(report: FileReport) -> Iterator[str]:
    speech = report.video.speech if report.video else None
    for a, b in speech.spans if speech else ():
        for row, x, w in _pieces(a, b):
            y = row * ROW_H + 18
            yield f'<rect class="speech" x="{x:.1f}" y="{y}" width="{w:.1f}" height="10" fill="{COLORS["speech"]}"/>'
    worst = _worst(report.findings)
    for n, cue in enumerate(report.track.cues, start=1):
        color = COLORS[worst.get(n, "cue")]
        title = html.escape(f"{n} {clock(cue.start_ms)} {cue.text}")
        for row, x, w in _pieces(cue.start_ms, max(cue.end_ms, cue.start_ms + 1)):
            yield (
                f'<rect class="cue" data-cue="{n}" x="{x:.1f}" y="{row * ROW_H + 32}" width="{w:.1f}" height="18"'
                f' fill="{color}"><title>{title}</title></rect>'
            )
    for sc in report.video.shot_changes_ms if report.video else ():
        row, x = sc // ROW_MS, _x(sc, sc // ROW_MS)
        y = row * ROW_H
        yield (
            f'<line class="shot" x1="{x:.1f}" y1="{y + 15}" x2="{x:.1f}" y2="{y + 54}"'
            ' stroke="#495057" stroke-width="1.5"/>'
        )


def _markers(report: FileReport) -> Iterator[str]:
    for f in report.findings:
        row = f.start_ms // ROW_MS
        x, y = _x(f.start_ms, row), row * ROW_H + 56
        where = "" if f.line is None else f" (line {f.line})"
        title = html.escape(f"{f.severity} {f.rule}{where}: {f.message}")
        yield (
            f'<polygon class="finding {f.severity}" points="{x:.1f},{y} {x - 5:.1f},{y + 9} {x + 5:.1f},{y + 9}"'
            f' fill="{COLORS[f.severity]}"><title>{title}</title></polygon>'
        )


def _video_end(report: FileReport) -> Iterator[str]:
    """With the video known: the time past its end greyed out, and a line where it ends."""
    if report.video is None or report.video.media.duration_ms <= 0:
        return
    end = report.video.media.duration_ms
    row, x = end // ROW_MS, _x(end, end // ROW_MS)
    y = row * ROW_H
    yield f'<rect class="past-end" x="{x:.1f}" y="{y + 14}" width="{WIDTH - x:.1f}" height="48" fill="#f1f3f5"/>'
    yield (
        f'<line class="video-end" data-ms="{end}" x1="{x:.1f}" y1="{y + 14}" x2="{x:.1f}" y2="{y + 62}"'
        f' stroke="#212529" stroke-width="2"><title>the video ends at {html.escape(clock(end))}</title></line>'
    )


def timeline_svg(report: FileReport) -> str:
    """The timeline of one file as an inline SVG element (as long as the video when it is known)."""
    rows = max(-(-duration_of(report) // ROW_MS), 1)
    body = "\n".join([*_axis(rows), *_video_end(report), *_spans(report), *_markers(report)])
    return (
        f'<svg class="timeline" data-cues="{len(report.track.cues)}" xmlns="http://www.w3.org/2000/svg"'
        f' width="{WIDTH}" height="{rows * ROW_H}" viewBox="0 0 {WIDTH} {rows * ROW_H}">\n{body}\n</svg>'
    )


def _table(findings: Sequence[Finding]) -> str:
    rows = [
        f'<tr><td class="{f.severity}">{f.severity}</td><td>{"" if f.cue is None else f.cue}</td>'
        f'<td>{"" if f.line is None else f.line}</td><td>{f.time}</td>'
        f"<td>{html.escape(f.rule)}</td><td>{html.escape(f.message)}</td><td>{html.escape(f.fix)}</td></tr>"
        for f in findings[:MAX_TABLE_ROWS]
    ]
    more = len(findings) - MAX_TABLE_ROWS
    note = f"<p>{more} more finding(s) are in the JSON report.</p>" if more > 0 else ""
    head = "<tr><th>severity</th><th>cue</th><th>line</th><th>time</th><th>rule</th><th>message</th><th>fix</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>{note}" if rows else "<p>No findings.</p>"


def _section(i: int, report: FileReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in SEVERITIES)
    verdict = '<b class="fail">FAIL</b>' if report.count("error") else '<b class="ok">ok</b>'
    sync = ""
    if report.offset is not None:
        text = report.offset.describe()
        sync = f"<p>{html.escape(text[0].upper() + text[1:])}</p>"
    return (
        f'<section class="file" id="file-{i}" data-path="{html.escape(report.path)}">'
        f"<h2>{html.escape(report.path)} [{html.escape(report.lang)}, {len(report.track.cues)} cues]: "
        f"{verdict} ({counts})</h2>{sync}{timeline_svg(report)}{_table(report.findings)}</section>"
    )


def to_html(reports: Sequence[FileReport]) -> str:
    """The whole report page."""
    legend = "".join(
        f'<span><i style="background:{COLORS[k]}"></i>{label}</span>'
        for k, label in (("speech", "speech"), ("cue", "cue"), ("warning", "warning"), ("error", "error"))
    )
    sections = "\n".join(_section(i, r) for i, r in enumerate(reports, start=1))
    errors = sum(r.count("error") for r in reports)
    verdict = f'<b class="fail">{errors} error(s)</b>' if errors else '<b class="ok">no errors</b>'
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>subpipe check</title>'
        f"<style>{_CSS}</style></head><body><h1>subpipe check: {len(reports)} file(s), {verdict}</h1>"
        f'<p class="legend">{legend}<span>| shot change</span><span>▲ finding</span></p>\n{sections}\n</body></html>\n'
    )
