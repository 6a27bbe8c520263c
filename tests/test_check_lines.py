"""`check` findings point into the file: the line of each cue's timing line, the cue of each repair,
and messages printed whole (issue 18, item 11)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.qc.check import check_file

PAL = Fraction(25)
LONG = "x" * 45  # a line over 42 characters: a `line_length` finding on its cue


def _lines(path: Path, rule: str) -> list[tuple[int | None, int | None]]:
    return [(f.cue, f.line) for f in check_file(path, "en", None, PAL).findings if f.rule == rule]


@pytest.mark.parametrize("careful", [False, True], ids=["canonical-srt", "careful-srt"])
def test_srt_findings_give_the_timing_line(tmp_path: Path, careful: bool) -> None:
    text = (
        "\n\n1\n00:00:01,000 --> 00:00:03,000\nFine.\n\n"
        "2\n00:00:04,000 --> 00:00:06,000\nTwo lines\nof text.\n\n"
        f"3\n00:00:07,000 --> 00:00:09,000\n{LONG}\n"
    )
    if careful:
        text = text.replace("Fine.\n", "Fine. \n")  # a trailing space: the careful reader, not the regex pass
    path = tmp_path / "a.en.srt"
    path.write_text(text, encoding="utf-8")
    assert _lines(path, "line_length") == [(3, 13)]


def test_findings_of_a_file_out_of_order_point_at_each_cue(tmp_path: Path) -> None:
    path = tmp_path / "b.en.srt"
    path.write_text(
        f"1\n00:00:05,000 --> 00:00:07,000\n{LONG}\n\n2\n00:00:01,000 --> 00:00:03,000\nEarlier.\n", encoding="utf-8"
    )
    # Sorted by time the long cue is cue 2; it sits at line 2. `order` counts in file order: cue 2, line 6.
    assert _lines(path, "line_length") == [(2, 2)]
    assert _lines(path, "order") == [(2, 6)]


def test_webvtt_findings_give_the_timing_line(tmp_path: Path) -> None:
    path = tmp_path / "c.en.vtt"
    path.write_text(
        "WEBVTT\n\nNOTE a comment\n\nintro\n00:01.000 --> 00:03.000\nFine.\n\n"
        f"00:04.000 --> 00:04.200\n{LONG}\n",
        encoding="utf-8",
    )
    assert _lines(path, "line_length") == [(2, 9)]
    assert _lines(path, "min_duration") == [(2, 9)]


def test_a_repair_names_its_cue(tmp_path: Path) -> None:
    path = tmp_path / "d.en.srt"
    path.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\nFine.\n\n2\n00:00:04,000 -> 00:00:06,000\n<i>Tilted.</i>\n",
        encoding="utf-8",
    )
    repaired = [f for f in check_file(path, "en", None, PAL).findings if f.rule == "repaired"]
    assert [(f.cue, f.line, f.start_ms) for f in repaired] == [(2, 6, 4000), (2, 7, 4000)]
    assert "arrow" in repaired[0].message and "markup" in repaired[1].message


def test_every_format_shows_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.en.srt"
    path.write_text(f"1\n00:00:01,000 --> 00:00:03,000\nFine.\n\n2\n00:00:04,000 --> 00:00:08,000\n{LONG}\n", "utf-8")
    assert main(["check", str(path), "--fps", "25", "--format", "json"]) == 0
    (finding,) = json.loads(capsys.readouterr().out)["files"][0]["findings"]
    assert (finding["cue"], finding["line"]) == (2, 6)
    assert main(["check", str(path), "--fps", "25"]) == 0
    table = capsys.readouterr().out
    assert "line" in table.splitlines()[1] and any(" 2       6 0:00:04.000" in row for row in table.splitlines())
    page = tmp_path / "r.html"
    assert main(["check", str(path), "--fps", "25", "--format", "html", "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<th>cue</th><th>line</th>" in html and "<td>2</td><td>6</td>" in html


def test_the_text_report_prints_messages_whole_into_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Captured stdout is no terminal: nothing may be cut off (the table cut messages at 70 characters)."""
    path = tmp_path / "f.en.srt"
    tags = '<font color="#ff0000"><b><u>Red, bold, underlined.</u></b></font>'
    path.write_text(f"1\n00:00:01,000 --> 00:00:03,000\n{tags}\n", "utf-8")
    assert main(["check", str(path), "--fps", "25"]) == 0
    out = capsys.readouterr().out
    (message,) = [f.message for f in check_file(path, "en", None, PAL).findings if f.rule == "repaired"]
    assert len(message) > 70 and f" {message}\n" in out and "…" not in out
