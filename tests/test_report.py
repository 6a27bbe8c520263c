"""Report renderers: stable JSON, the text table, the self-contained HTML."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import Finding
from pipeline.qc.check import FileReport, check_file
from pipeline.qc.report import to_json, to_text
from pipeline.qc.report_html import to_html


def _report(path: str = "a.en.srt", text: str = "Hello <b>there</b> & co.") -> FileReport:
    track = Track("en", (Cue(1000, 2500, (text,)), Cue(61_000, 62_000, ("Next minute.",))))
    findings = (
        Finding("overlap", "error", 2, 61_000, "overlaps cue 1 by 10 ms", "end cue 1 at 0:01:00.933", line=7),
        Finding("frame_grid", "info", 1, 1000, "start 1000 ms is off the frame grid", "move it"),
    )
    return FileReport(path, "en", Fraction(25), track, findings)


def test_json_is_stable_and_documented_keys() -> None:
    doc = json.loads(to_json([_report()]))
    assert list(doc) == ["schema", "ok", "totals", "files"]
    assert doc["schema"] == 1 and doc["ok"] is False and doc["totals"] == {"error": 1, "warning": 0, "info": 1}
    entry = doc["files"][0]
    assert list(entry) == ["path", "lang", "fps", "cues", "video", "sync", "counts", "findings"]
    assert entry["fps"] == "25" and entry["video"] is None and entry["sync"] is None
    assert entry["findings"][0] == {
        "rule": "overlap",
        "severity": "error",
        "cue": 2,
        "line": 7,
        "start_ms": 61_000,
        "time": "0:01:01.000",
        "message": "overlaps cue 1 by 10 ms",
        "fix": "end cue 1 at 0:01:00.933",
    }
    assert to_json([_report()]) == to_json([_report()])


def test_text_table() -> None:
    text = to_text([_report()])
    assert "a.en.srt [en, 2 cues]: 1 error, 0 warning, 1 info" in text
    assert "overlap" in text and "-> end cue 1" in text and text.rstrip().endswith("FAIL")


def test_html_is_self_contained_and_escaped() -> None:
    page = to_html([_report(), _report("b<x>.fr.srt")])
    assert page.count('<section class="file"') == 2 and page.count('<svg class="timeline"') == 2
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<script" not in page
    assert "b&lt;x&gt;.fr.srt" in page and "Hello &lt;b&gt;there&lt;/b&gt; &amp; co." in page
    assert page.count('class="cue" data-cue="2"') == 2  # the second cue is in the second row of each file
    assert 'class="finding error"' in page


def test_check_file_on_disk(tmp_path: Path) -> None:
    sub = tmp_path / "x.en.srt"
    sub.write_text("1\n00:00:01,000 --> 00:00:01,320\nHi\n", encoding="utf-8")
    report = check_file(sub, "en", None, Fraction(25))
    assert [f.rule for f in report.findings] == ["min_duration"]
    assert report.count("warning") == 1 and report.video is None
