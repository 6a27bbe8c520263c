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


def _untimed(text: str, name: str = "s.csv") -> tuple[tuple[str, ...], tuple[object, ...]]:
    from pipeline.ingest.sheet import parse_untimed_sheet

    return parse_untimed_sheet(text, name)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("id,speaker,en\ns1,m\n", 2, "expected 3 cells, got 2"),  # short
        ("id,speaker,en\ns1,m,a\n\ns2,m,b,extra\n", 4, "expected 3 cells, got 4"),  # long, after a blank line
        ("id,speaker,en,fr\ns1,m,a,b\ns2,m,,\n", 3, "no text in any language"),  # empty text
        ("id,start,end,speaker,en\ns1,1.0,,m,a\n", 2, "leave start and end empty"),  # a time
        ('id,speaker,en\ns1,m,"a\nb"\ns2,m,"unclosed\n', 4, "not a readable CSV/TSV record"),
        ("id,speaker,xx-not-a-tag!\ns1,m,a\n", 1, "not a language tag"),
    ],
)
def test_an_untimed_sheets_errors_name_the_file_line(text: str, line: int, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        _untimed(text)
    assert (caught.value.line, caught.value.path) == (line, "s.csv") and problem in caught.value.problem, caught.value


def test_quoted_separators_and_line_breaks_stay_in_a_cell() -> None:
    from pipeline.ingest.sheet import ScriptRow

    langs, rows = _untimed('id,speaker,en,fr\ns1,m,"one, two\nthree",un\ns2,"a, b",four,quatre\n')
    assert langs == ("en", "fr")
    assert rows == (
        ScriptRow(2, "s1", "m", {"en": "one, two three", "fr": "un"}),  # the break joined (Latin script)
        ScriptRow(4, "s2", "a, b", {"en": "four", "fr": "quatre"}),  # the line it starts on
    )
    _, tsv = _untimed('id\tspeaker\ten\ns1\t\t"a\tb"\n', "s.tsv")
    assert tsv[0] == ScriptRow(2, "s1", "", {"en": "a b"})


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le"])
def test_a_script_sheet_with_a_bom_or_in_utf16_is_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("id,speaker,en,fr\ns1,m,Hello,Ça va\n".encode(encoding))
    got = load_script(path, "fr")
    assert got.lines == ("Ça va",) and got.doc["segments"][0]["id"] == "s1"


def test_ids_left_empty_take_their_line_and_an_id_used_twice_is_refused() -> None:
    _, rows = _untimed("id,speaker,en\n,m,a\n,m,b\n")
    assert [r.id for r in rows] == ["2", "3"]  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="'2' is used twice: on line 2") as caught:
        _untimed("id,speaker,en\n,m,a\n2,m,b\n")
    assert caught.value.line == 3


def test_a_sheet_with_times_is_refused_and_either_layout_is_read(tmp_path: Path) -> None:
    timed = tmp_path / "timed.csv"
    timed.write_text("id,start,end,speaker,en\ns1,1.0,2.0,,Hello\n", encoding="utf-8")
    with pytest.raises(InputError, match="leave start and end empty"):
        load_script(timed, "en")
    short = parse_script("id,speaker,en,fr\ns1,michael,Hello,Bonjour\n", "s.csv", "en")
    full = parse_script("id,start,end,speaker,en,fr\ns1,,,michael,Hello,Bonjour\n", "s.csv", "en")
    assert short == full and short.doc["segments"] == [
        {"id": "s1", "speaker": "michael", "text": {"en": "Hello", "fr": "Bonjour"}}
    ]
    tsv = tmp_path / "script.tsv"
    tsv.write_text("id\tspeaker\tfr\ns1\t\tBonjour\n", encoding="utf-8")
    assert load_script(tsv, "fr").lines == ("Bonjour",)
