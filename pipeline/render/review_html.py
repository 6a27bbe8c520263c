"""The review page: one self-contained HTML file that people who approve a release look at.

Pictures, not tables: at the top every output of the run that failed; per language its QC verdict,
the check report's timeline (as long as the video) and a thumbnail of every cue as it appears in
the cut (findings shown on the thumbnails they concern; each a link to the cut at its time); then
one row per moment across languages, the same time in every cut side by side. Captions carry their
language and direction. No script and no network; the images are JPEGs in a folder beside the page,
named relatively.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
table.failures { border-collapse: collapse; color: #c92a2a; } table.failures td, table.failures th { padding: 2px 8px;
 border-bottom: 1px solid #dee2e6; text-align: left; }
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
    direction: str = "ltr"  # the captions' dir: the language profile's (rtl for Arabic), auto without a profile
    cut_href: str | None = None  # the burned cut relative to the page (None: no cut; a thumbnail opens its still)
    failures: Mapping[str, str] = field(default_factory=dict)  # this language's failed outputs: step -> cause

    def link(self, ms: int, still: str) -> tuple[str, str]:
        """Where a thumbnail of the moment ``ms`` leads, and its tooltip: the cut at that time, else the still."""
        if self.cut_href is None:
            return still, "the still alone"
        return f"{self.cut_href}#t={ms / 1000:.3f}", f"the cut at {format_clock(ms)}"

    def text(self, text: str, element: str = "span") -> str:
        """Caption text marked with the language and its direction."""
        return f'<{element} lang="{html.escape(self.lang)}" dir="{self.direction}">{html.escape(text)}</{element}>'


def _badges(findings: Sequence[Finding]) -> str:
    return "".join(
        f'<span class="badge {f.severity}" title="{html.escape(f.message)}">{html.escape(f.rule)}</span>'
        for f in findings
    )


def _worst(findings: Sequence[Finding]) -> str:
    present = {f.severity for f in findings}
    return next((s for s in SEVERITIES if s in present and s != "info"), "")


def _picture(review: LangReview, src: str, ms: int, attrs: str) -> str:
    """A thumbnail that opens the cut at ``ms`` (or the still alone, without a cut)."""
    href, title = review.link(ms, src)
    img = f'<img src="{html.escape(src)}" {attrs} loading="lazy">'
    return f'<a href="{html.escape(href)}" title="{html.escape(title)}">{img}</a>'


def _figure(review: LangReview, n: int, cue: Cue, findings: Sequence[Finding]) -> str:
    alt = html.escape(" / ".join(cue.lines), quote=True)
    src = review.stills.get(n)
    mid = (cue.start_ms + cue.end_ms) // 2
    img = (
        _picture(review, src, mid, f'alt="{alt}" data-lang="{html.escape(review.lang)}" data-cue="{n}"')
        if src
        else f'<p class="missing" data-cue="{n}">no picture</p>'
    )
    caption = f"{n} · {format_clock(cue.start_ms)} · {review.text(cue.text)}<br>{_badges(findings)}"
    return f'<figure class="{_worst(findings)}">{img}<figcaption>{caption}</figcaption></figure>'


def _lang_section(review: LangReview) -> str:
    report = review.report
    by_cue: dict[int, list[Finding]] = {}
    for f in report.findings:
        if f.cue is not None:
            by_cue.setdefault(f.cue, []).append(f)
    errors = report.count("error")
    verdict = f'<b class="fail">FAIL ({errors} error(s))</b>' if errors else '<b class="ok">pass</b>'
    failed = "".join(f' · <b class="fail">{html.escape(step)} FAILED</b>' for step in review.failures)
    counts = ", ".join(f"{report.count(s)} {s}" for s in SEVERITIES)
    general = [f for f in report.findings if f.cue is None]
    figures = "".join(_figure(review, n, cue, by_cue.get(n, ())) for n, cue in enumerate(report.track.cues, start=1))
    cut = html.escape(review.cut)
    if review.cut_href is not None:
        cut = f'<a class="cut" href="{html.escape(review.cut_href)}">{cut}</a>'
    return (
        f'<section class="lang" id="lang-{html.escape(review.lang)}" data-lang="{html.escape(review.lang)}">'
        f"<h2>{html.escape(review.lang)}: {verdict}{failed} · {len(report.track.cues)} cues · {counts}</h2>"
        f"<p>Cut: {cut} {_badges(general)}</p>{timeline_svg(report)}"
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
    attrs = f'alt="{alt}" data-lang="{html.escape(review.lang)}" data-moment="{ms}"{cue_attr}'
    return f"<td>{_picture(review, src, ms, attrs)}{review.text(text, 'div')}</td>"


def _moments_table(reviews: Sequence[LangReview], moments: Sequence[int]) -> str:
    head = "<tr><th>time</th>" + "".join(f"<th>{html.escape(r.lang)}</th>" for r in reviews) + "</tr>"
    rows = [
        f'<tr data-moment="{ms}"><th>{format_clock(ms)}</th>' + "".join(_moment_cell(r, ms) for r in reviews) + "</tr>"
        for ms in moments
    ]
    return f'<table class="moments">{head}{"".join(rows)}</table>'


def _failures(failures: Mapping[str, str]) -> str:
    """Every failed output: its step, its language or container, and the one-line cause."""
    rows = []
    for key, why in failures.items():
        what, _, step = key.partition("/")
        if what == "mux":  # mux/<container>
            what, step = step, what
        elif not step:  # a failure of the whole video
            what, step = "", key
        rows.append(
            f'<tr data-failure="{html.escape(key)}"><td>{html.escape(step)}</td><td>{html.escape(what)}</td>'
            f"<td>{html.escape(' '.join(why.split()))}</td></tr>"
        )
    head = "<tr><th>step</th><th>language or container</th><th>cause</th></tr>"
    return f'<table class="failures">{head}{"".join(rows)}</table>' if rows else ""


def review_page(
    video: str,
    reviews: Sequence[LangReview],
    moments: Sequence[int],
    source: str,
    failures: Mapping[str, str] | None = None,
) -> str:
    """The whole page for one video; ``failures``: the run's failed outputs (``<lang>/<step>``,
    ``mux/<container>``: the cause), listed at the top."""
    failures = failures or {}
    failing = [r.lang for r in reviews if r.report.count("error")]
    verdicts = [f'<b class="fail">{len(failures)} output(s) FAILED</b>'] if failures else []
    if failing:
        names = html.escape(", ".join(failing))
        verdicts.append(f'<b class="fail">{len(failing)} language(s) with errors: {names}</b>')
    verdict = ", ".join(verdicts) or '<b class="ok">every language passes</b>'
    langs = " ".join(f'<a href="#lang-{html.escape(r.lang)}">{html.escape(r.lang)}</a>' for r in reviews)
    legend = " ".join(f'<span class="badge {s}" style="background:{COLORS[s]}">{s}</span>' for s in SEVERITIES)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>subpipe review: {html.escape(video)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Review of {html.escape(video)}: {len(reviews)} language(s), {verdict}</h1>{_failures(failures)}"
        f"<p>Thumbnails are taken from {html.escape(source)}. Languages: {langs}. Findings: {legend}</p>"
        f"<h2>The same moments in every language</h2>{_moments_table(reviews, moments)}"
        + "".join(_lang_section(r) for r in reviews)
        + "</body></html>\n"
    )
