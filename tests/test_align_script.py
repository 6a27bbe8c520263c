"""Scripts for `subpipe align` read at the parse level (no alignment but one job test): the language
aligned in a job, untimed sheets' errors by file line, duplicate ids, language headers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.ingest.job import VideoJob
from pipeline.ingest.script import load_script, parse_script

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realspeech import CLIP, SEGMENTS

LINES = [str(s["text"]) for s in SEGMENTS]


def test_a_script_without_a_language_aligns_its_own_source() -> None:
    sheet = "id,speaker,en,fr\ns1,,Hello,Bonjour\n"
    got = parse_script(sheet, "s.csv", None, default="fr")
    assert (got.lang, got.lines) == ("en", ("Hello",))
    doc = '{"source_language": "de", "segments": [{"text": {"de": "Hallo", "fr": "Salut"}}]}'
    assert parse_script(doc, "s.json", None, default="fr").lines == ("Hallo",)
    assert parse_script("Salut\n", "s.txt", None, default="fr").lang == "fr"
    assert parse_script(sheet, "s.csv", "fr").lines == ("Bonjour",)  # --lang still picks the column


def test_an_untimed_sheet_in_a_job_aligns_its_first_language_not_the_jobs_default(tmp_path: Path) -> None:
    from pipeline.batch.aligned import job_transcript

    sheet = tmp_path / "script.csv"
    rows = [f's{n},m,"{line}",fr{n}' for n, line in enumerate(LINES, 1)]
    sheet.write_text("\n".join(["id,speaker,en,fr", *rows]) + "\n", encoding="utf-8")
    vj = VideoJob("x", CLIP, sheet, ("fr", "en"), "fr", align=True)
    got = job_transcript(vj)
    assert got.source_language == "en"
    # aligned on the English text the audio says (on "fr1".. the lines would crowd the start)
    assert abs(got.segments[1].start_ms - int(SEGMENTS[1]["start_ms"])) <= 300, got.segments[1]


def test_a_sheet_script_is_refused_when_it_has_no_column_for_the_language(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,speaker,fr\ns1,,Bonjour\n", encoding="utf-8")
    with pytest.raises(InputError, match="no en column"):
        load_script(path, "en")


def _refused(text: str, name: str = "s.csv") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_script(text, name, "en")
    return caught.value


def test_a_row_without_text_in_the_language_aligned_is_named_by_its_file_line() -> None:
    err = _refused("id,speaker,en,fr\n\ns1,,Hello,Bonjour\n\ns2,,,Salut\n")
    assert err.line == 5 and "no text in en" in str(err), err


def test_an_id_used_twice_is_refused_naming_both_lines() -> None:
    err = _refused("id,start,end,speaker,en\ns1,,,,Hello\ns2,,,,Hi\ns1,,,,Bye\n")
    assert err.line == 4 and "'s1'" in err.problem and "line 2" in err.problem, err
    from pipeline.ingest.sheet import parse_sheet

    with pytest.raises(InputError, match="used twice: on line 2") as timed:
        parse_sheet("id,start,end,speaker,en\na,1,2,,x\na,3,4,,y\n", "t.csv")
    assert timed.value.line == 3


@pytest.mark.parametrize(("column", "kept"), [("EN", "en"), ("en-us", "en-US"), ("En-US", "en-US")])
def test_a_language_column_is_matched_by_its_canonical_tag(column: str, kept: str) -> None:
    got = parse_script(f"id,speaker,{column},fr\ns1,,Hello,Bonjour\n", "s.csv", "en")
    assert got.lines == ("Hello",) and got.lang == kept and got.doc["languages"] == [kept, "fr"]


def test_header_errors_name_both_layouts_of_a_script() -> None:
    assert "id, speaker" in _refused("id,text\ns1,Hello\n").problem
    assert "after id, speaker" in _refused("id,speaker\ns1,m\n").problem
    assert "id, speaker" in _refused("").problem
    assert "twice" in _refused("id,speaker,en,EN\ns1,,a,b\n").problem
