from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError
from pipeline.ingest.subparse import read_subtitles
from pipeline.tracks import formats
from pipeline.tracks.formats import AssStyle, compose_ass, compose_srt, compose_vtt

TRACK = Track("ko", (Cue(1001, 2503, ("안녕하세요", "둘째 줄")), Cue(3003, 4004, ("끝",))))


def test_compose_srt_exact() -> None:
    assert compose_srt(TRACK) == dedent("""\
        1
        00:00:01,001 --> 00:00:02,503
        안녕하세요
        둘째 줄

        2
        00:00:03,003 --> 00:00:04,004
        끝
        """)


def test_compose_vtt_exact() -> None:
    assert compose_vtt(TRACK).startswith("WEBVTT\n\n00:00:01.001 --> 00:00:02.503\n안녕하세요\n둘째 줄\n")


def test_ass_names_the_font_family_and_sets_auto_direction() -> None:
    text = compose_ass(TRACK, AssStyle("Noto Sans CJK KR"), 1280, 720)
    assert "Style: Default,Noto Sans CJK KR,44," in text
    assert text.rstrip().splitlines()[-2].endswith(",안녕하세요\\N둘째 줄")
    style_line = next(line for line in text.splitlines() if line.startswith("Style:"))
    assert style_line.endswith(",-1")  # Encoding=-1: libass picks each line's base direction
    assert "PlayResX: 1280" in text and "WrapStyle: 2" in text


def test_a_remembered_ass_is_composed_for_the_types_it_is_given() -> None:
    """Equal values of other types may be written otherwise (``PlayResX: 1920.0``): each is its own entry."""
    style, floaty = AssStyle("Noto Sans", 44), AssStyle("Noto Sans", 44.0)  # type: ignore[arg-type]
    calls: list[tuple[AssStyle, Any, Any]] = [(style, 1920, 1080), (style, 1920.0, 1080.0), (floaty, 1920, 1080)]
    for how, width, height in [*calls, *calls]:
        assert compose_ass(TRACK, how, width, height) == formats._composed(TRACK, how, width, height, None, Fraction(1))
    assert "PlayResX: 1920.0\n" in compose_ass(TRACK, style, 1920.0, 1080.0)  # type: ignore[arg-type]


def test_cues_that_cannot_be_hashed_are_composed_all_the_same() -> None:
    listed = Track(TRACK.lang, list(TRACK.cues), TRACK.fps)  # type: ignore[arg-type]
    assert compose_ass(listed, AssStyle("Noto Sans"), 1280, 720) == compose_ass(TRACK, AssStyle("Noto Sans"), 1280, 720)


def test_ass_cannot_be_injected_with_override_tags() -> None:
    text = compose_ass(Track("en", (Cue(0, 1000, ("{\\an8}moved",)),)), AssStyle("Noto Sans"), 640, 360)
    assert "{\\an8}" not in text


def test_read_srt_with_crlf_bom_and_dot_millis(tmp_path: Path) -> None:
    p = tmp_path / "a.srt"
    p.write_bytes(
        "\ufeff1\r\n00:00:01.5 --> 00:00:02,000\r\nhello\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nbye".encode()
    )
    with pytest.raises(InputError, match=r"'\.' before the milliseconds"):
        read_subtitles(p, "en")  # strict (the default): a release refuses it
    track = read_subtitles(p, "en", lenient=True)
    assert [(c.start_ms, c.end_ms, c.lines) for c in track.cues] == [(1500, 2000, ("hello",)), (3000, 4000, ("bye",))]


def test_vtt_escapes_and_reads_back_markup_characters(tmp_path: Path) -> None:
    track = Track("en", (Cue(1000, 2000, ("a <b> & c", "&amp; {x}")),))
    text = compose_vtt(track)
    assert "a &lt;b&gt; &amp; c" in text
    p = tmp_path / "a.vtt"
    p.write_text(text, encoding="utf-8")
    assert read_subtitles(p, "en") == track


def test_read_vtt(tmp_path: Path) -> None:
    p = tmp_path / "a.vtt"
    p.write_text("WEBVTT\n\nNOTE hi\n\nc1\n00:01.000 --> 00:02.000 align:start\nhello\n", encoding="utf-8")
    assert read_subtitles(p, "en").cues == (Cue(1000, 2000, ("hello",)),)


@pytest.mark.parametrize(
    ("content", "line", "problem"),
    [
        ("1\n00:00:01,000 -> 00:00:02,000\nhi\n", 2, "expected a timing line"),
        ("1\n00:00:03,000 --> 00:00:02,000\nhi\n", 2, "ends"),
        ("1\n00:00:01,000 --> 00:00:02,000\nhi\n\n2\n00:00:03,000 --> 00:00:04,000\n", 6, "no text"),
        ("hello there\n", 1, "expected a cue"),
    ],
    ids=["bad-arrow", "end-before-start", "empty-text", "no-timing"],
)
def test_bad_srt_names_file_and_line(tmp_path: Path, content: str, line: int, problem: str) -> None:
    p = tmp_path / "bad.srt"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_subtitles(p, "en")
    assert info.value.path == str(p) and info.value.line == line
    assert problem in info.value.problem
    assert str(info.value).startswith(f"{p}:{line}: ")


def test_zero_byte_and_binary_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.srt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_subtitles(empty, "en")
    binary = tmp_path / "bin.srt"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 20)
    with pytest.raises(InputError, match="binary"):
        read_subtitles(binary, "en")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=99 * 3_600_000),
            st.integers(min_value=1, max_value=10_000),
            st.lists(st.text(alphabet="ab <>i/{}\\-->,.:0123 \t한", min_size=0, max_size=12), min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["", "\n", "\n\n\n"]),
)
def test_fast_canonical_reader_agrees_with_the_careful_one(raw: list[tuple[int, int, list[str]]], tail: str) -> None:
    """Where the one-regex fast path answers, it gives exactly what the careful reader gives."""
    from pipeline.core.timecode import format_srt_time
    from pipeline.ingest.srt import parse_canonical
    from pipeline.ingest.subparse import lint_subtitles

    blocks = [
        f"{i}\n{format_srt_time(start)} --> {format_srt_time(start + length)}\n" + "\n".join(lines)
        for i, (start, length, lines) in enumerate(raw, start=1)
    ]
    text = "\n\n".join(blocks) + tail
    fast = parse_canonical(text)
    try:
        careful = lint_subtitles(text, "x.srt", "en")
    except InputError:
        assert fast is None
        return
    if careful.problems:
        assert fast is None
        return
    if fast is not None:
        assert sorted(fast, key=lambda c: (c.start_ms, c.end_ms)) == list(careful.track.cues)
