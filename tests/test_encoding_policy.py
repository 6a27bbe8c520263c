"""The encoding policy: building refuses a legacy encoding naming the right guess; ``auto``, check
and convert read it with that guess and say so. The guesser's hit rate: tests/test_encoding.py."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.core.errors import InputError
from pipeline.core.textio import AUTO, encoding_finding, read_decoded, read_for_check, read_text
from pipeline.ingest.segments import load_transcript

CORPUS = Path(__file__).parent / "data" / "encodings"
FILES: dict[str, dict[str, str]] = json.loads((CORPUS / "corpus.json").read_text(encoding="utf-8"))


def _right(data: bytes, truth: str, guessed: str | None) -> bool:
    """Right when the guess names the encoding or decodes the file to the same text (gb2312 in gb18030)."""
    if guessed is None:
        return False
    return codecs.lookup(guessed).name == codecs.lookup(truth).name or data.decode(guessed) == data.decode(truth)


@pytest.mark.parametrize("name", sorted(n for n in FILES if n.startswith("short1-")))
def test_building_refuses_and_names_the_right_guess(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(InputError) as info:
        read_text(path)
    truth = FILES[name]["encoding"]
    named = info.value.problem.split("it may be ", 1)[1].split(" ", 1)[0]
    assert _right(path.read_bytes(), truth, named), info.value.problem
    assert f"--encoding {named}" in info.value.problem and "--encoding auto" in info.value.problem
    assert read_text(path, AUTO) == read_text(path, truth)


def test_check_reads_with_the_guess_and_adds_an_encoding_finding() -> None:
    path = CORPUS / "long-cp1252.fr.srt"
    text, findings = read_for_check(path, "fr")
    assert text == read_text(path, "cp1252")
    assert [f.rule for f in findings] == ["encoding"]
    assert "read as cp1252 (Western European)" in findings[0].message
    assert "informed by the language 'fr'" in findings[0].message
    assert read_for_check(path, "fr", "cp1252")[1] == []  # declared: the user's word, no finding


def test_utf8_and_declared_files_have_no_encoding_finding(tmp_path: Path) -> None:
    path = tmp_path / "a.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:02,000\nÇa va.\n", encoding="utf-8")
    decoded = read_decoded(path)
    assert (decoded.encoding, decoded.guessed, encoding_finding(decoded)) == ("utf-8", False, None)


def test_the_language_of_the_job_informs_the_guess(tmp_path: Path) -> None:
    """A sheet named without a tag: the job's languages are the hint."""
    path = tmp_path / "talk.csv"
    path.write_bytes("id,start,end,speaker,ru\ns1,1,2,,Мир меняется\n".encode("koi8_r"))
    assert load_transcript(path, encoding=AUTO, hint_langs=["ru"]).segments[0].text == {"ru": "Мир меняется"}


def test_auto_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = tmp_path / "talk.el.srt"
    sub.write_bytes((CORPUS / "long-cp1253.el.srt").read_bytes())
    assert main(["tracks", str(sub), "--lang", "el", "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "it may be cp1253 (Greek)" in err and "--encoding auto" in err
    assert main(["tracks", str(sub), "--lang", "el", "-o", str(tmp_path / "a"), "--encoding", "auto", "--lenient"]) == 0
    out = (tmp_path / "a" / "talk.el.el.srt").read_text(encoding="utf-8")
    assert read_text(sub, "cp1253").split("\n")[2][:8] in out


@pytest.mark.parametrize("name", ["long-cp1250.pl.srt", "long-big5.zh-Hant.srt"])
def test_check_reads_a_legacy_file_and_names_the_encoding(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(CORPUS / name), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    (found,) = [f for f in report["files"][0]["findings"] if f["rule"] == "encoding"]
    truth = FILES[name]["encoding"]
    assert found["severity"] == "warning" and codecs.lookup(truth).name in found["message"]
    assert report["files"][0]["cues"] > 10 and code in (0, 1)


def test_check_of_utf8_has_no_encoding_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.pl.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:03,000\nZażółć gęślą jaźń.\n", encoding="utf-8")
    main(["check", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert not [f for f in report["files"][0]["findings"] if f["rule"] == "encoding"]
