"""Real-world-like subtitle files (tests/data/realworld/: the quirks of tools and people), read past
their problems: lenient reading gives the expected cues, strict names every problem, check lints."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import InputError
from pipeline.core.findings import ERROR
from pipeline.ingest.subparse import parse_subtitles, read_subtitles, read_subtitles_checked
from pipeline.qc.check import check_file

DATA = Path(__file__).parent / "data" / "realworld"
EXPECTED: dict[str, dict[str, object]] = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def _rows(entry: dict[str, object]) -> list[tuple[int, int, tuple[str, ...]]]:
    cues = entry["cues"]
    assert isinstance(cues, list)
    return sorted((start, end, tuple(lines)) for start, end, lines in cues)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_lenient_reads_the_expected_cues(name: str) -> None:
    parsed = read_subtitles_checked(DATA / name, "en", lenient=True)
    assert sorted((c.start_ms, c.end_ms, c.lines) for c in parsed.track.cues) == _rows(EXPECTED[name])
    assert all(p.path == str(DATA / name) for p in parsed.problems)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_strict_refuses_any_problem_naming_each_line(name: str) -> None:
    if EXPECTED[name]["strict_ok"]:
        assert read_subtitles(DATA / name, "en").cues
        return
    problems = read_subtitles_checked(DATA / name, "en", lenient=True).problems
    with pytest.raises(InputError) as info:
        read_subtitles(DATA / name, "en")
    assert info.value.line == problems[0].line
    message = str(info.value)
    assert all(f"{p.where}: " in message for p in problems[1:20] if p.line is not None)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_check_lints_every_file_with_one_finding_per_problem(name: str) -> None:
    parsed = read_subtitles_checked(DATA / name, "en", lenient=True)
    report = check_file(DATA / name, "en", None)
    mine = [f for f in report.findings if f.rule in ("unusable", "repaired")]
    assert len(mine) == len(parsed.problems)
    assert all(f.message.startswith("line ") for f in mine if f.rule == "repaired")
    strict = check_file(DATA / name, "en", None, lenient=False)
    assert strict.count(ERROR) >= len(parsed.problems)


def test_check_exit_codes_error_findings_and_unreadable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DATA / "coordinates.en.srt")]) == 0
    assert main(["check", str(DATA / "nul-bytes.en.srt")]) == 0  # repairs only: warnings
    assert main(["check", "--strict", str(DATA / "nul-bytes.en.srt")]) == 1
    assert main(["check", str(DATA / "translator-note.en.srt")]) == 1
    out = capsys.readouterr().out
    assert "line 161: expected a cue" in out and "[en, 40 cues]" in out
    binary = tmp_path / "blob.en.srt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 20)
    assert main(["check", str(binary), str(DATA / "coordinates.en.srt")]) == 2
    captured = capsys.readouterr()
    assert f"error: {binary}: " in captured.err and "coordinates.en.srt [en, 2 cues]" in captured.out


def test_check_strict_lists_every_problem_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "se-times.en.srt"
    assert main(["check", "--strict", "--format", "json", str(path)]) == 1
    doc = json.loads(capsys.readouterr().out)
    lines = [f["message"].split(":")[0] for f in doc["files"][0]["findings"] if f["rule"] == "repaired"]
    assert lines == ["line 2", "line 6"] and doc["totals"]["error"] == 2


def test_lenient_build_drops_unusable_cues_with_one_warning_each(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        track = read_subtitles(DATA / "garbled-times.en.vtt", "en", lenient=True)
    assert [c.lines for c in track.cues] == [("Fine.",)]
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert [m.split(": ")[0].rsplit(":", 1)[1] for m in dropped] == ["4", "8"]


def test_webvtt_edge_cases_as_browsers_read_them() -> None:
    vtab = read_subtitles_checked(DATA / "vertical-tab.en.vtt", "en", lenient=True)
    assert [p.line for p in vtab.problems if p.dropped] == [3]
    glued = parse_subtitles("WEBVTT\n\n00:01.000 --> 00:02.000line:40%\nx\n", "a.vtt", "en")
    assert glued.problems == () and glued.track.cues[0].end_ms == 2000
    with pytest.raises(InputError, match="blank lines before 'WEBVTT'"):
        read_subtitles(DATA / "blank-before-webvtt.en.vtt", "en")
    report = check_file(DATA / "blank-before-webvtt.en.vtt", "en", None)
    assert [f.severity for f in report.findings] == ["warning"]


def test_a_line_with_an_arrow_after_a_repair_starts_the_next_cue() -> None:
    text = "1\n00:00:01.000 --> 00:00:02,000\nHello.\n2 -->\n00:00:03,000 --> 00:00:04,000\nWorld.\n"
    parsed = parse_subtitles(text, "a.srt", "en", lenient=True)
    assert [c.lines for c in parsed.track.cues] == [("Hello.",), ("World.",)]
    vtt = read_subtitles_checked(DATA / "arrow-id.en.vtt", "en", lenient=True)
    assert [c.lines for c in vtt.track.cues] == [("Hello.",), ("World.",)]
    prose = parse_subtitles("1\n00:00:01,000 --> 00:00:02,000\nGo --> there\nnow\n", "a.srt", "en")
    assert prose.track.cues[0].lines == ("Go --> there", "now") and prose.problems == ()


def test_nul_bytes_are_read_as_replacement_characters_with_their_line() -> None:
    parsed = read_subtitles_checked(DATA / "nul-bytes.en.srt", "en", lenient=True)
    assert parsed.track.cues[0].lines == ("Hel\ufffdlo.",)
    assert [(p.line, p.severity) for p in parsed.problems] == [(3, "warning")]


def test_check_tells_an_empty_subtitle_file_from_a_file_that_is_no_subtitles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.en.vtt"
    empty.write_text("WEBVTT\n\nNOTE nothing yet\n", encoding="utf-8")
    assert main(["check", str(empty)]) == 1
    assert "no cues found" in capsys.readouterr().out
    prose = tmp_path / "prose.en.vtt"
    prose.write_text("Dear diary,\ntoday I wrote no subtitles.\n", encoding="utf-8")
    assert main(["check", str(prose)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {prose}:1: ")


@pytest.mark.parametrize(
    ("timing", "times", "repair"),
    [
        ("00:00:01 --> 00:00:02", (1000, 2000), "no milliseconds"),
        ("00:00:01,5 --> 00:00:02,25", (1500, 2250), "1-digit milliseconds"),
        ("00:00:01.500 --> 00:00:02.000", (1500, 2000), "'.' before the milliseconds"),
        ("00:00:01, 500 --> 00 :00:02 ,000", (1500, 2000), "spaces inside the times"),
        ("00:00:01,500   -->   00:00:02,000", (1500, 2000), ""),
        ("00:00:01,500 --> 00:00:02,000  X1:100 X2:600 Y1:400 Y2:450", (1500, 2000), ""),
    ],
    ids=["no-ms", "short-ms", "dot", "spaces-inside", "spaces-around", "coordinates"],
)
def test_srt_timings_subtitle_edit_accepts(timing: str, times: tuple[int, int], repair: str) -> None:
    parsed = parse_subtitles(f"1\n{timing}\nhi\n", "a.srt", "en", lenient=True)
    assert [(c.start_ms, c.end_ms) for c in parsed.track.cues] == [times]
    if repair:
        assert any(repair in r.what for r in parsed.repairs), parsed.repairs
    else:
        assert parsed.repairs == () and parse_subtitles(f"1\n{timing}\nhi\n", "a.srt", "en").track == parsed.track
