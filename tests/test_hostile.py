"""Hostile subtitle input: every malformed case, in strict mode (error: file, line, expected) and
lenient mode (a repair and a warning, or the same error where a repair would be a guess)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import InputError
from pipeline.ingest.subparse import read_subtitles, read_subtitles_checked

ROOT = Path(__file__).resolve().parents[1]
OK = "1\n00:00:01,000 --> 00:00:02,000\nhi\n"
T2 = "00:00:03,000 --> 00:00:04,000"

# id -> (file name, content, strict: (line, message part), lenient: cues or None (fails the same way), repair part)
CASES: dict[str, tuple[str, str, tuple[int | None, str], list[tuple[int, int, tuple[str, ...]]] | None, str]] = {
    "arrow->": (
        "a.srt",
        "1\n00:00:01,000 -> 00:00:02,000\nhi\n",
        (2, "arrow '->' instead of '-->'"),
        [(1000, 2000, ("hi",))],
        "arrow '->'",
    ),
    "arrow-emdash": (
        "a.srt",
        "1\n00:00:01,000 —> 00:00:02,000\nhi\n",
        (2, "arrow '—>'"),
        [(1000, 2000, ("hi",))],
        "arrow '—>'",
    ),
    "arrow-spaced": (
        "a.srt",
        "1\n00:00:01,000 - -> 00:00:02,000\nhi\n",
        (2, "arrow '- ->'"),
        [(1000, 2000, ("hi",))],
        "timing read as 00:00:01,000 --> 00:00:02,000",
    ),
    "dot-millis": (
        "a.srt",
        "1\n00:00:01.5 --> 00:00:02.000\nhi\n",
        (2, "'.' before the milliseconds"),
        [(1500, 2000, ("hi",))],
        "1-digit milliseconds",
    ),
    "missing-index": (
        "a.srt",
        f"00:00:01,000 --> 00:00:02,000\nhi\n\n2\n{T2}\nbye\n",
        (1, "expected a cue number"),
        [(1000, 2000, ("hi",)), (3000, 4000, ("bye",))],
        "missing cue number 1 added",
    ),
    "repeated-index": (
        "a.srt",
        f"{OK}\n1\n{T2}\nbye\n",
        (5, "expected cue number 2, got 1"),
        [(1000, 2000, ("hi",)), (3000, 4000, ("bye",))],
        "cue number 1 renumbered 2",
    ),
    "text-index": (
        "a.srt",
        f"{OK}\nabc\n{T2}\nbye\n",
        (5, "expected a cue number, got 'abc'"),
        [(1000, 2000, ("hi",)), (3000, 4000, ("bye",))],
        "replaced by 2",
    ),
    "hours-over-99": (
        "a.srt",
        "1\n100:00:01,000 --> 100:00:02,000\nhi\n",
        (2, "hours over 99"),
        [(360_001_000, 360_002_000, ("hi",))],
        "hours over 99",
    ),
    "empty-text": (
        "a.srt",
        f"{OK}\n2\n{T2}\n\n3\n00:00:05,000 --> 00:00:06,000\nend\n",
        (6, "cue has no text"),
        [(1000, 2000, ("hi",)), (5000, 6000, ("end",))],
        "empty cue at 00:00:03,000 dropped",
    ),
    "html-tags": (
        "a.srt",
        '1\n00:00:01,000 --> 00:00:02,000\n<i>hi</i> <font color="red">you</font>\n',
        (3, "markup '<i>', '</i>'"),
        [(1000, 2000, ("hi you",))],
        "removed markup '<i>'",
    ),
    "ass-override": (
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\n{\\an8}{\\b1}top\n",
        (3, "markup '{\\\\an8}'"),
        [(1000, 2000, ("top",))],
        "removed markup",
    ),
    "only-markup": ("a.srt", f"{OK}\n2\n{T2}\n<i></i>\n", (6, "cue has no text"), [(1000, 2000, ("hi",))], "dropped"),
    "control-chars": (
        "a.srt",
        "1\n00:00:01,000 --> 00:00:02,000\nh\x07i\n",
        (3, "control characters"),
        [(1000, 2000, ("hi",))],
        "removed control characters",
    ),
    "no-blank-line": (
        "a.srt",
        f"{OK}2\n{T2}\nbye\n",
        (4, "expected a blank line before the next cue"),
        [(1000, 2000, ("hi",)), (3000, 4000, ("bye",))],
        "added the missing blank line",
    ),
    "vtt-no-header": (
        "a.vtt",
        "00:01.000 --> 00:02.000\nhi\n",
        (1, "must start with 'WEBVTT'"),
        [(1000, 2000, ("hi",))],
        "missing 'WEBVTT' header assumed",
    ),
    "vtt-comma": (
        "a.vtt",
        "WEBVTT\n\n00:00:01,000 --> 00:00:02.000\nhi\n",
        (3, "',' before the milliseconds"),
        [(1000, 2000, ("hi",))],
        "','",
    ),
    "vtt-voice-tag": (
        "a.vtt",
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>hi &amp; bye\n",
        (4, "markup '<v Ann>'"),
        [(1000, 2000, ("hi & bye",))],
        "removed markup '<v Ann>'",
    ),
    "end-before-start": ("a.srt", "1\n00:00:03,000 --> 00:00:02,000\nhi\n", (2, "before or when it starts"), None, ""),
    "zero-length": ("a.srt", "1\n00:00:02,000 --> 00:00:02,000\nhi\n", (2, "before or when it starts"), None, ""),
    "minutes-60": ("a.srt", "1\n00:60:01,000 --> 00:61:02,000\nhi\n", (2, "must be under 60"), None, ""),
    "no-milliseconds": (
        "a.srt",
        "1\n00:01:39 --> 00:01:41,04\nhi\n",
        (2, "no milliseconds"),
        [(99_000, 101_040, ("hi",))],
        "timing read as 00:01:39,000 --> 00:01:41,040",
    ),
    "garbled-time": ("a.srt", "1\n00::00:00.000 --> 00:00:02,000\nhi\n", (2, "expected a timing line like"), None, ""),
    "no-timing": ("a.srt", "hello there\n", (1, "expected a cue (number, then a timing line)"), None, ""),
    "index-then-text": ("a.srt", "1\nhello\n", (2, "expected a timing line like"), None, ""),
    "only-blank": ("a.srt", "\n \n\t\n", (None, "no cues found"), None, ""),
    "vtt-header-only": ("a.vtt", "WEBVTT\n\nNOTE nothing here\n", (None, "no cues found"), None, ""),
}


def _write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))
    return path


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_strict_names_file_line_and_what_was_expected(tmp_path: Path, case: str) -> None:
    name, content, (line, problem), _cues, _repair = CASES[case]
    path = _write(tmp_path, name, content)
    with pytest.raises(InputError) as info:
        read_subtitles(path, "en")
    assert info.value.path == str(path) and info.value.line == line
    assert problem in info.value.problem


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_lenient_repairs_the_unambiguous_and_lists_each_repair(tmp_path: Path, case: str) -> None:
    name, content, (line, problem), cues, repair = CASES[case]
    path = _write(tmp_path, name, content)
    if cues is None:  # a repair would be a guess: the same error in both modes
        with pytest.raises(InputError) as info:
            read_subtitles(path, "en", lenient=True)
        assert info.value.line == line and problem in info.value.problem
        return
    parsed = read_subtitles_checked(path, "en", lenient=True)
    assert [(c.start_ms, c.end_ms, c.lines) for c in parsed.track.cues] == cues
    assert parsed.repairs and any(repair in r.what for r in parsed.repairs), parsed.repairs
    assert all(r.path == str(path) and r.line for r in parsed.repairs)


def test_lenient_repairs_are_logged_as_warnings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path, "a.srt", "00:00:01.000 -> 00:00:02.000\n<b>hi</b>\n")
    with caplog.at_level(logging.WARNING):
        read_subtitles(path, "en", lenient=True)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and all(m.startswith(f"{path}:") and "repaired:" in m for m in messages)


@pytest.mark.parametrize(
    "content",
    [
        OK.replace("\n", "\r\n") + "\r\n2\r\n" + T2 + "\r\nbye",  # CRLF, no final newline
        OK.replace("\n", "\r") + "\r2\r" + T2 + "\rbye\r",  # old Mac CR
        "1\r\n00:00:01,000 --> 00:00:02,000\rhi\n\n\n\n2\n" + T2 + "  \nbye   \n\n\n",  # mixed, trailing spaces
        "\ufeff" + OK + "\n2\n" + T2 + " X1:10 X2:20\nbye",  # BOM, position extras, no final blank line
        " 1\n00:00:01,000-->00:00:02,000\n  hi\n\n2\n" + T2 + "\nbye\n",  # spacing variants
    ],
    ids=["crlf-no-final-newline", "cr", "mixed-trailing-spaces", "bom-extras", "spacing"],
)
def test_harmless_variants_read_strictly_without_repairs(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, "a.srt", content)
    parsed = read_subtitles_checked(path, "en")
    expected = [(1000, 2000, ("hi",)), (3000, 4000, ("bye",))]
    assert [(c.start_ms, c.end_ms, c.lines) for c in parsed.track.cues] == expected
    assert parsed.repairs == ()


@pytest.mark.parametrize("case", ["arrow->", "missing-index", "end-before-start", "html-tags"])
def test_cli_strict_exits_2_with_the_line_and_lenient_warns(
    tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    name, content, (line, _problem), cues, _repair = CASES[case]
    path = _write(tmp_path, name.replace("a.", "clip.en."), content)
    out = tmp_path / "out"
    assert main(["tracks", str(path), "--lang", "en", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:{line}: ") and "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())
    with caplog.at_level(logging.WARNING):
        code = main(["tracks", str(path), "--lang", "en", "-o", str(out), "--lenient"])
    err = capsys.readouterr().err
    if cues is None:
        assert code == 2 and f"{path}:{line}:" in err
    else:
        assert code == 0 and any("repaired:" in r.getMessage() for r in caplog.records)
        assert [p.name for p in out.glob("*.srt")] == ["clip.en.en.srt"]


def test_python_m_pipeline_prints_repairs_and_errors_without_traceback(tmp_path: Path) -> None:
    bad = _write(tmp_path, "clip.en.srt", "1\n00:00:01.000 -> 00:00:02,000\n<i>hi</i>\n")
    argv = [sys.executable, "-m", "pipeline", "tracks", str(bad), "--lang", "en", "-o", str(tmp_path / "o")]
    strict = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=ROOT)
    assert strict.returncode == 2 and strict.stderr.startswith(f"error: {bad}:2: expected a timing line")
    lenient = subprocess.run([*argv, "--lenient"], capture_output=True, text=True, check=False, cwd=ROOT)
    assert lenient.returncode == 0, lenient.stderr
    assert f"WARNING: {bad}:2: repaired: timing read as 00:00:01,000 --> 00:00:02,000" in lenient.stderr
    assert f"WARNING: {bad}:3: repaired: removed markup '<i>', '</i>'" in lenient.stderr
    assert "Traceback" not in strict.stderr + lenient.stderr
