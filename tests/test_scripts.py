"""Joining source line breaks by script: no space in ja, zh, th; Korean and Latin keep theirs."""

from __future__ import annotations

import doctest
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.core import scripts
from pipeline.core.profiles import get_profile
from pipeline.core.scripts import join_lines, join_two, unwrap
from pipeline.ingest.segments import load_transcript
from pipeline.ingest.sheet import parse_sheet
from pipeline.tracks.build import build_track
from pipeline.tracks.wrap import split_text, wrap_lines

DATA = Path(__file__).parent / "data" / "scripts"
FPS = Fraction(24000, 1001)


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("情報を", "インターネットに", "情報をインターネットに"),
        ("政府把行政服务的", "信息公开到互联网上", "政府把行政服务的信息公开到互联网上"),
        ("รัฐบาลเปิดเผยข้อมูล", "บริการสาธารณะ", "รัฐบาลเปิดเผยข้อมูลบริการสาธารณะ"),
        ("「民願24」では", "書類を", "「民願24」では書類を"),
        ("Appleの", "製品", "Appleの製品"),
        ("정부는 행정 서비스", "정보를", "정부는 행정 서비스 정보를"),
        ("The world", "changes.", "The world changes."),
    ],
)
def test_join_two_by_script(left: str, right: str, joined: str) -> None:
    assert join_two(left, right) == joined


def test_speaker_turns_keep_their_lines_and_continuations_join() -> None:
    assert join_lines(["- Where are you", "going?", "- Home."]) == "- Where are you going?\n- Home."
    assert join_lines(["A line -", "- not a dialogue"]) == "A line - - not a dialogue"


def test_unwrap_a_json_text_with_line_breaks() -> None:
    assert unwrap("情報を\nインターネットに") == "情報をインターネットに"
    assert unwrap("세상은\n변한다") == "세상은 변한다"


@pytest.mark.parametrize("lang", ["ja", "zh-Hans", "th"])
def test_rewrapping_a_file_with_source_line_breaks_inserts_no_space(lang: str) -> None:
    source = (DATA / f"talk.{lang}.srt").read_text(encoding="utf-8")
    transcript = load_transcript(DATA / f"talk.{lang}.srt")
    track = build_track(transcript.segments, lang, get_profile(lang), FPS)
    for seg in transcript.segments:
        assert " " not in seg.text[lang]
    assert all(" " not in line for cue in track.cues for line in cue.lines)
    # every character of the source survives, in order
    source_chars = "".join(line for line in source.split("\n") if line and not line[0].isdigit())
    assert "".join(line for c in track.cues for line in c.lines) == source_chars


def test_korean_keeps_its_spaces_at_a_source_line_break() -> None:
    transcript = load_transcript(DATA / "talk.ko.srt")
    assert transcript.segments[0].text["ko"] == "정부는 행정 서비스 정보를 인터넷에 공개했습니다"
    track = build_track(transcript.segments, "ko", get_profile("ko"), FPS)
    assert " ".join(track.cues[0].lines) == transcript.segments[0].text["ko"]


def test_wrap_and_split_join_json_line_breaks_by_script() -> None:
    ja = get_profile("ja")
    assert "".join(wrap_lines("行政サービスの\n情報をインターネットに", ja)) == "行政サービスの情報をインターネットに"
    parts = split_text("行政サービスの情報を\nインターネットに公開することで\n国民の信頼が高まりました", ja)
    assert all(" " not in p for p in parts)


def test_a_sheet_cell_with_line_breaks_joins_by_script() -> None:
    sheet = parse_sheet('id,start,end,speaker,ja,ko\ns1,1,2,,"情報を\n公開",\"세상은\n변한다"\n', "a.csv")
    assert sheet.rows[0].text == {"ja": "情報を公開", "ko": "세상은 변한다"}


def test_doctests() -> None:
    result = doctest.testmod(scripts)
    assert result.attempted and not result.failed
