"""The review page: one self-contained HTML file that people who approve a release look at.

Pictures, not tables: per language its QC verdict, the check report's timeline and a thumbnail of
every cue as it appears in the cut (findings shown on the thumbnails they concern); then one row per
moment across languages, the same time in every cut side by side. No script and no network; the
images are JPEGs in a folder beside the page, named relatively.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pipeline.core.cues import Cue
from pipeline.core.findings import SEVERITIES, Finding
from pipeline.core.timecode import format_clock
from pipeline.qc.check import FileReport
from pipeline.qc.report_html import COLORS, timeline_svg

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #212529; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 36px; } .ok { color: #2b8a3e; } .fail { color: #c92a2a; }
.thumbs { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 10px; }
figure { margin: 0; width: 240px; border: 2px solid #dee2e6; border-radius: 4px; padding: 4px; }
figure.error { border-color: #e03131; } figure.warning { border-color: #f08c00; }
figure img, td img { width: 100%; display: block; } figcaption { font-size: 12px; }
.badge { display: inline-block; padding: 0 4px; margin: 2px 2px 0 0; border-radius: 3px; color: #fff; font-size: 11px; }
.badge.error { background: #e03131; } .badge.warning { background: #f08c00; } .badge.info { background: #868e96; }
table.moments { border-collapse: collapse; } table.moments td, table.moments th { border: 1px solid #dee2e6;
 padding: 4px; vertical-align: top; width: 200px; font-size: 12px; }
svg.timeline { display: block; border: 1px solid #ced4da; margin-top: 8px; max-width: 100%; height: auto; }
"""


@dataclass(frozen=True)
class LangReview:
    """One language on the page: its cues, findings, the cut they were taken from, and the stills."""

    lang: str
    cut: str
    report: FileReport
    stills: Mapping[int, str]  # cue number (1-based) -> image path relative to the page
    moment_stills: Mapping[int, str]  # moment (ms) -> image path relative to the page


def _badges(findings: Sequence[Finding]) -> str:
    return "".join(
        f'<span class="badge {f.severity}" title="{html.escape(f.message)}">{html.escape(f.rule)}</span>'
        for f in findings
    )


def _worst(findings: Sequence[Finding]) -> str:
    present = {f.severity for f in findings}
    return next((s for s in SEVERITIES if s in present and s != "info"), "")


def _figure(lang: str, n: int, cue: Cue, src: str | None, findings: Sequence[Finding]) -> str:
    alt = html.escape(" / ".join(cue.lines), quote=True)
    img = (
        f'<img src="{html.escape(src)}" alt="{alt}" data-lang="{html.escape(lang)}" data-cue="{n}" loading="lazy">'
        if src
        else f'<p class="missing" data-cue="{n}">no picture</p>'
    )
    caption = f"{n} · {format_clock(cue.start_ms)} · {html.escape(cue.text)}<br>{_badges(findings)}"
    return f'<figure class="{_worst(findings)}">{img}<figcaption>{caption}</figcaption></figure>'


def _lang_section(review: LangReview) -> str:
    report = review.report
    by_cue: dict[int, list[Finding]] = {}
    for f in report.findings:
        if f.cue is not None:
            by_cue.setdefault(f.cue, []).append(f)
    errors = report.count("error")
    verdict = f'<b class="fail">FAIL ({errors} error(s))</b>' if errors else '<b class="ok">pass</b>'
    counts = ", ".join(f"{report.count(s)} {s}" for s in SEVERITIES)
    general = [f for f in report.findings if f.cue is None]
    figures = "".join(
        _figure(review.lang, n, cue, review.stills.get(n), by_cue.get(n, ()))
        for n, cue in enumerate(report.track.cues, start=1)
    )
    return (
        f'<section class="lang" id="lang-{html.escape(review.lang)}" data-lang="{html.escape(review.lang)}">'
        f"<h2>{html.escape(review.lang)}: {verdict} · {len(report.track.cues)} cues · {counts}</h2>"
        f"<p>Cut: {html.escape(review.cut)} {_badges(general)}</p>{timeline_svg(report)}"
        f'<div class="thumbs">{figures}</div></section>'
    )


def _text_at(report: FileReport, ms: int) -> tuple[int | None, str]:
    for n, cue in enumerate(report.track.cues, start=1):
        if cue.start_ms <= ms < cue.end_ms:
            return n, " / ".join(cue.lines)
    return None, ""


def _moment_cell(review: LangReview, ms: int) -> str:
    n, text = _text_at(review.report, ms)
    src = review.moment_stills.get(ms)
    if src is None:
        return "<td>no frame</td>"
    cue_attr = f' data-cue="{n}"' if n is not None else ""
    alt = html.escape(text or "(no subtitle)", quote=True)
    return (
        f'<td><img src="{html.escape(src)}" alt="{alt}" data-lang="{html.escape(review.lang)}"'
        f' data-moment="{ms}"{cue_attr} loading="lazy"><div dir="auto">{html.escape(text)}</div></td>'
    )


def _moments_table(reviews: Sequence[LangReview], moments: Sequence[int]) -> str:
    head = "<tr><th>time</th>" + "".join(f"<th>{html.escape(r.lang)}</th>" for r in reviews) + "</tr>"
    rows = [
        f'<tr data-moment="{ms}"><th>{format_clock(ms)}</th>' + "".join(_moment_cell(r, ms) for r in reviews) + "</tr>"
        for ms in moments
    ]
    return f'<table class="moments">{head}{"".join(rows)}</table>'


def review_page(video: str, reviews: Sequence[LangReview], moments: Sequence[int], source: str) -> str:
    """The whole page for one video."""
    failing = [r.lang for r in reviews if r.report.count("error")]
    verdict = (
        f'<b class="fail">{len(failing)} language(s) with errors: {html.escape(", ".join(failing))}</b>'
        if failing
        else '<b class="ok">every language passes</b>'
    )
    langs = " ".join(f'<a href="#lang-{html.escape(r.lang)}">{html.escape(r.lang)}</a>' for r in reviews)
    legend = " ".join(f'<span class="badge {s}" style="background:{COLORS[s]}">{s}</span>' for s in SEVERITIES)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>subpipe review: {html.escape(video)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Review of {html.escape(video)}: {len(reviews)} language(s), {verdict}</h1>"
        f"<p>Thumbnails are taken from {html.escape(source)}. Languages: {langs}. Findings: {legend}</p>"
        f'<h2>The same moments in every language</h2>{_moments_table(reviews, moments)}'
        + "".join(_lang_section(r) for r in reviews)
        + "</body></html>\n"
    )
