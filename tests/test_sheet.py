"""CSV/TSV transcript sheets as spreadsheets export them."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.ingest.segments import load_transcript
from pipeline.ingest.sheet import parse_sheet

ROWS = [
    ["id", "start", "end", "speaker", "en", "ko"],
    ["s01", "00:00:02,010", "00:00:04,365", "narrator", 'The world, "quoted", changes.', "세상은 변합니다."],
    ["s02", "00:00:05.000", "6.5", "", "Two\nlines", "둘"],
    ["s03", "7", "0:00:08.25", "guest", "", "셋"],
]
EXPECTED = [
    ("s01", 2010, 4365, "narrator", {"en": 'The world, "quoted", changes.', "ko": "세상은 변합니다."}),
    ("s02", 5000, 6500, "", {"en": "Two lines", "ko": "둘"}),
    ("s03", 7000, 8250, "guest", {"ko": "셋"}),
]


def _sheet(rows: list[list[str]], sep: str) -> str:
    def cell(value: str) -> str:
        if any(ch in value for ch in (sep, '"', "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "\r\n".join(sep.join(cell(v) for v in row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    ("name", "sep", "prefix", "codec"),
    [
        ("t.csv", ",", b"", "utf-8"),
        ("t.csv", ",", codecs.BOM_UTF8, "utf-8"),
        ("t.csv", ";", codecs.BOM_UTF8, "utf-8"),
        ("t.tsv", "\t", codecs.BOM_UTF16_LE, "utf-16-le"),
        ("t.tsv", "\t", codecs.BOM_UTF16_BE, "utf-16-be"),
        ("t.csv", "\t", b"", "utf-16-le"),
        ("t.tsv", "\t", b"", "utf-16-be"),
    ],
    ids=[
        "csv-utf8",
        "csv-utf8-bom",
        "csv-semicolon",
        "tsv-utf16le-bom",
        "tsv-utf16be-bom",
        "utf16le-no-bom",
        "utf16be-no-bom",
    ],
)
def test_sheet_exports_load(tmp_path: Path, name: str, sep: str, prefix: bytes, codec: str) -> None:
    path = tmp_path / name
    path.write_bytes(prefix + _sheet(ROWS, sep).encode(codec))
    t = load_transcript(path)
    assert [(s.id, s.start_ms, s.end_ms, s.speaker, dict(s.text)) for s in t.segments] == EXPECTED
    assert t.languages == ("en", "ko") and t.source_language == "en"


def test_legacy_encoded_sheet_needs_a_declaration(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(_sheet(ROWS, ",").encode("cp949"))
    with pytest.raises(InputError, match="it may be cp949"):
        load_transcript(path)
    assert load_transcript(path, encoding="cp949").segments[0].text["ko"] == "세상은 변합니다."


HEADER = "id,start,end,speaker,en\n"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", None, "no header row"),
        ("id,begin,end,speaker,en\n", 1, "expected the header to start with id, start, end, speaker"),
        ("id,start,end,speaker\n", 1, "at least one language column"),
        ("id,start,end,speaker,English text\n", 1, "'English text' is not a language tag"),
        ("id,start,end,speaker,en,en\n", 1, "appears twice"),
        (HEADER, None, "no segment rows"),
        (HEADER + "\n1,00:00:01,000,00:00:02,000,,hi\n", 3, "expected 5 cells"),
        (HEADER + "1,1,2,,hi,extra\n", 2, "expected 5 cells"),
        (HEADER + "1,soon,2,,hi\n", 2, "start: expected HH:MM:SS,mmm, HH:MM:SS.mmm or seconds, got 'soon'"),
        (HEADER + "1,1,00:61:00.000,,hi\n", 2, "end: expected"),
        (HEADER + "1,-1,2,,hi\n", 2, "start: expected"),
        (HEADER + "1,3,2,,hi\n", 2, "end (2) must come after start (3)"),
        (HEADER + '1,1,2,,"unterminated\n', 2, "unexpected end of data"),
        (HEADER + "1,1,2,,\n", 2, "no text in any language (lenient mode drops it: --lenient)"),
    ],
    ids=[
        "empty",
        "bad-header",
        "no-language",
        "bad-tag",
        "duplicate-language",
        "no-rows",
        "few-cells",
        "extra-cell",
        "bad-time",
        "minutes-61",
        "negative",
        "end-before-start",
        "unterminated-quote",
        "empty-row",
    ],
)
def test_bad_sheets_name_file_and_line(tmp_path: Path, text: str, line: int | None, problem: str) -> None:
    with pytest.raises(InputError) as info:
        parse_sheet(text, tmp_path / "t.csv")
    assert info.value.line == line and problem in info.value.problem, info.value


def test_trailing_empty_cells_are_fine_and_lenient_drops_empty_rows(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "id,start,end,speaker,en,,\n1,1,2,,hi,,\n2,3,4,,,,\n3,5,6,,bye,,\n"
    sheet = parse_sheet(text, tmp_path / "t.csv", lenient=True)
    assert [r.id for r in sheet.rows] == ["1", "3"]
    assert [(r.line, r.what) for r in sheet.repairs] == [(3, "row '2' with no text dropped")]
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert len(load_transcript(path, lenient=True).segments) == 2
    assert f"{path}:3: repaired: row '2' with no text dropped" in caplog.text
