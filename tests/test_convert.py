"""``subpipe convert``: real files of each kind in, each target out; what is kept, what is dropped
(and said), legacy encodings read with the guess (and said), garbage refused with nothing written."""

from __future__ import annotations

import doctest
from pathlib import Path
from textwrap import dedent

import pytest

from pipeline.batch.convert import convert_file
from pipeline.cli.main import main
from pipeline.core.errors import InputError, UsageError
from pipeline.ingest import vttstyle
from pipeline.ingest.subparse import read_subtitles

DATA = Path(__file__).parent / "data"
CONVERT = DATA / "convert"
TRANSCRIPT = Path(__file__).resolve().parents[1] / "subtitles" / "promo" / "transcript.json"
STYLES = "ASS styles (font, size, colours, outline, margins)"


def test_srt_to_vtt_keeps_italics_bold_underline_and_the_top_position(tmp_path: Path) -> None:
    done = convert_file(CONVERT / "talk.en.srt", tmp_path / "talk.en.vtt")
    assert (tmp_path / "talk.en.vtt").read_text(encoding="utf-8") == dedent(
        """\
        WEBVTT

        00:00:01.000 --> 00:00:03.000 line:0
        <i>Previously on Night Train</i>

        00:00:03.500 --> 00:00:06.000
        Anna: Where are you going?

        00:00:06.200 --> 00:00:08.000
        - <i>Home.</i>
        - At this hour?

        00:00:08.500 --> 00:00:10.000
        <b>PLATFORM 9</b> &amp; <u>no</u> way back
        """
    )
    assert (done.cues, done.source_format, done.target_format) == (4, "srt", "vtt")
    assert done.dropped == (("colours (\\c)", 1),)
    assert done.encoding == "utf-8" and done.encoding_note == ""


def test_srt_to_srt_and_ass_keep_colour_and_position(tmp_path: Path) -> None:
    convert_file(CONVERT / "talk.en.srt", tmp_path / "a.srt")
    text = (tmp_path / "a.srt").read_text(encoding="utf-8")
    assert "{\\an8}<i>Previously on Night Train</i>" in text and '<font color="#ffff00">Anna:</font>' in text
    cues = read_subtitles(tmp_path / "a.srt", "en", lenient=True).cues
    assert cues[2].lines == ("- Home.", "- At this hour?")
    done = convert_file(CONVERT / "talk.en.srt", tmp_path / "a.ass")
    ass = (tmp_path / "a.ass").read_text(encoding="utf-8")
    assert "{\\an8}{\\i1}Previously on Night Train{\\i0}" in ass and "{\\c&H00FFFF&}Anna:{\\c}" in ass
    assert done.dropped == ()


def test_vtt_settings_and_voices(tmp_path: Path) -> None:
    done = convert_file(CONVERT / "talk.en.vtt", tmp_path / "same.vtt")
    vtt = (tmp_path / "same.vtt").read_text(encoding="utf-8")
    assert "00:00:01.000 --> 00:00:03.000 line:0 align:start\n<v Anna>Where are you going?" in vtt
    assert "line:10% size:40%\n<i>Look</i> &lt;up&gt; &amp; <b>there</b>" in vtt
    assert dict(done.dropped) == {
        "WebVTT classes (<c.…>)": 1,
        "karaoke timestamps (<00:01.000>)": 1,
        "ruby text": 1,
    }
    done = convert_file(CONVERT / "talk.en.vtt", tmp_path / "a.srt")
    srt = (tmp_path / "a.srt").read_text(encoding="utf-8")
    assert "{\\an7}Where are you going?" in srt and "{\\an3}Home. Finally home." in srt and "\n電車 is late\n" in srt
    assert "{\\an8}<i>Look</i> <up> & <b>there</b>" in srt
    dropped = dict(done.dropped)
    assert dropped["speaker names"] == 2
    assert dropped["WebVTT cue settings beyond the 9 positions (size, vertical, exact line)"] == 2


def test_ass_to_srt_says_what_it_drops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(CONVERT / "night-train.en.ass"), str(tmp_path / "n.srt")]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{tmp_path / 'n.srt'}: 6 cues, ass -> srt"
    assert err.splitlines() == [
        f"dropped: {STYLES}: 7 cues (srt cannot hold it)",
        "dropped: comment lines: 1 cue (srt cannot hold it)",
        "dropped: drawings (\\p): 1 cue (srt cannot hold it)",
        "dropped: exact positions (\\pos, \\move): 1 cue (srt cannot hold it)",
        "dropped: fades and animations (\\fad, \\t): 1 cue (srt cannot hold it)",
        "dropped: karaoke: 1 cue (srt cannot hold it)",
        "dropped: speaker names: 4 cues (srt cannot hold it)",
    ]
    srt = (tmp_path / "n.srt").read_text(encoding="utf-8")
    assert "<i><b>I used to come here\nevery summer.</b></i>" in srt  # the Flashback style is italic
    assert "{\\an8}PLATFORM 9" in srt  # the Sign style sits at the top
    assert "{\\an8}<b><font color=\"#ffff00\">Look up</font> there!</b>" in srt


def test_ass_to_ass_keeps_styles_and_comments(tmp_path: Path) -> None:
    done = convert_file(CONVERT / "night-train.en.ass", tmp_path / "n.ass")
    ass = (tmp_path / "n.ass").read_text(encoding="utf-8")
    assert "Style: Sign,Arial,54" in ass and "Comment: 0,0:00:00.00" in ass and "{\\pos(960,120)\\fad(200,200)}" in ass
    assert (done.cues, done.dropped) == (7, ())


def test_ssa_to_vtt(tmp_path: Path) -> None:
    done = convert_file(CONVERT / "old.en.ssa", tmp_path / "o.vtt")
    vtt = (tmp_path / "o.vtt").read_text(encoding="utf-8")
    assert "00:00:03.000 --> 00:00:04.500 line:0\nA sign at the top." in vtt  # {\a6}: SSA's top centre
    assert "Two lines\nin one event." in vtt and done.cues == 3


def test_lenient_skips_a_bad_ass_event_and_says_so(tmp_path: Path) -> None:
    src = tmp_path / "a.en.ass"
    good = "Dialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,Fine"
    src.write_text(f"[Events]\n{good}\nDialogue: 0,0:00:03.00,0:00:02.00,Default,,0,0,0,,Backwards\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"ends .* before"):
        convert_file(src, tmp_path / "a.srt")
    done = convert_file(src, tmp_path / "a.srt", lenient=True)
    assert done.cues == 1 and [(r.line, r.what[:18]) for r in done.repairs] == [(3, "event line skipped")]
    src.write_text("[Events]\nDialogue: 0,0:00:03.00,0:00:02.00,Default,,0,0,0,,Backwards\n", encoding="utf-8")
    with pytest.raises(InputError, match="no usable Dialogue lines"):
        convert_file(src, tmp_path / "b.srt", lenient=True)


def test_a_transcript_needs_its_language(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"10 languages .*pass --lang"):
        convert_file(TRANSCRIPT, tmp_path / "promo.srt")
    done = convert_file(TRANSCRIPT, tmp_path / "promo.ko.vtt", lang="ko")
    vtt = (tmp_path / "promo.ko.vtt").read_text(encoding="utf-8")
    assert done.cues == 36 and "<v narrator>세상은 시시각각 변하고 있습니다." in vtt
    assert not list(tmp_path.glob("promo.srt"))


def test_a_sheet_in_one_language(tmp_path: Path) -> None:
    sheet = tmp_path / "talk.csv"
    sheet.write_text('id,start,end,speaker,ja\ns1,1,2.5,Anna,"情報を\nインターネットに"\n', encoding="utf-8")
    done = convert_file(sheet, tmp_path / "talk.ja.srt")
    assert done.cues == 1
    assert (tmp_path / "talk.ja.srt").read_text(encoding="utf-8").endswith("情報をインターネットに\n")


def test_a_legacy_encoding_is_read_with_the_guess_and_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = DATA / "encodings" / "long-cp1251.ru.srt"
    assert main(["convert", str(src), str(tmp_path / "ru.srt"), "--lenient"]) == 0
    err = capsys.readouterr().err
    assert "note: " in err and "read as cp1251 (Cyrillic)" in err and "informed by the language 'ru'" in err
    out = (tmp_path / "ru.srt").read_bytes().decode("utf-8")
    assert src.read_bytes().decode("cp1251").split("\n")[2].strip()[:10] in out
    done = convert_file(src, tmp_path / "ru.vtt", encoding="cp1251", lenient=True)
    assert (done.encoding, done.encoding_note) == ("cp1251", "")


def test_lenient_repairs_and_strict_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.en.srt"
    src.write_text("1\n00:00:01,000 -> 00:00:02,000\n<i>Hi</i>\n", encoding="utf-8")
    assert main(["convert", str(src), str(tmp_path / "a.vtt")]) == 2
    assert f"{src}:2: expected a timing line" in capsys.readouterr().err
    assert not (tmp_path / "a.vtt").exists()
    assert main(["convert", str(src), str(tmp_path / "a.vtt"), "--lenient"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"warning: {src}:2: repaired: timing read as") and "arrow '->'" in err
    assert (tmp_path / "a.vtt").read_text(encoding="utf-8").endswith("<i>Hi</i>\n")


GARBAGE = [
    ("photo.srt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 30, "binary file"),
    ("notes.srt", b"Shopping list\n\nmilk\neggs\n", "expected a cue"),
    ("broken.srt", b"1\n00:00:01,000 --> 00:00:0x,000\nHi\n", "expected"),
    ("empty.vtt", b"", "empty (0 bytes)"),
    ("script.ass", b"[Script Info]\nTitle: nothing\n", "expected an [Events] section"),
    ("bad-time.ass", b"[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
     b"Dialogue: 0,0:00:x1.00,0:00:02.00,Default,,0,0,0,,Hi", "start time '0:00:x1.00'"),
    ("backwards.ass", b"[Events]\nDialogue: 0,0:00:03.00,0:00:02.00,Default,,0,0,0,,Hi", "ends (0:00:02.00) before"),
    ("odd-format.ass", b"[Events]\nFormat: Start, End, Text\nDialogue: 0:00:01.00,0:00:02.00,Hi",
     "unsupported event Format"),
    ("talk.json", b'{"segments": [{"start": 1, "end": 0.5, "text": "x"}]}', "end (500 ms) must come after start"),
    ("talk.docx", b"PK\x03\x04", "unknown input format '.docx'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "problem"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_is_refused_by_name_and_nothing_is_written(
    tmp_path: Path, name: str, data: bytes, problem: str
) -> None:
    src = tmp_path / "in" / name
    src.parent.mkdir()
    src.write_bytes(data)
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        convert_file(src, out / "x.srt", lang="en")
    assert info.value.path == str(src) and problem in info.value.problem
    assert not out.exists()


def test_garbage_through_the_cli_exits_2_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "bad-time.ass"
    src.write_bytes(GARBAGE[5][1])
    assert main(["convert", str(src), str(tmp_path / "x.vtt")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {src}:3: start time") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [src]


def test_an_unknown_output_format_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"unknown output format '\.txt'"):
        convert_file(CONVERT / "talk.en.srt", tmp_path / "x.txt")


def test_doctests() -> None:
    result = doctest.testmod(vttstyle)
    assert result.attempted and not result.failed
