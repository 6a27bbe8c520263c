"""Fuzzing ``convert``'s readers and writers: styled SRT/VTT, ASS/SSA and guessed encodings are read
or refused with an InputError, never anything else; whatever is read, every target can write, and
the SRT written reads back with as many cues. ``make fuzz`` sets SUBPIPE_FUZZ_EXAMPLES."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeline.core.errors import InputError
from pipeline.core.textio import AUTO, decode_bytes
from pipeline.ingest.styled import StyledSubs, read_ass, read_srt_vtt
from pipeline.ingest.subparse import parse_subtitles
from pipeline.tracks.styled_write import COMPOSERS

EXAMPLES = int(os.environ.get("SUBPIPE_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_word = st.sampled_from(["Hi", "there", "情報を", "- Where?", "&amp;", "&lt;", "{", "}", "\\N", "<", ">", "x"])
_tag = st.sampled_from(
    ["<i>", "</i>", "<b>", "</b>", "<u>", "<s>", '<font color="#ff0000">', "</font>", "<font face=x>", "{\\an8}",
     "{\\i1}", "{\\pos(1,2)}", "{\\p1}", "{\\p0}", "{\\c&H00FF00&}", "{\\c}", "<v Ann>", "</v>", "<c.x>", "</c>",
     "<ruby>", "<rt>", "</rt>", "<00:00:01.500>", "<", "{\\", "{\\a6}", "{\\fad(1,2)}"]
)  # fmt: skip
_settings = st.sampled_from(["", " line:0", " align:start", " position:90% align:end", " size:50% vertical:rl", " x"])


def _clock(ms: int, sep: str) -> str:
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    return f"{h:02d}:{m:02d}:{rest // 1000:02d}{sep}{rest % 1000:03d}"


@st.composite
def styled_files(draw: st.DrawFn) -> tuple[str, Path]:
    """SRT or VTT with markup of every kind sprinkled in its text, sometimes in broken places."""
    vtt = draw(st.booleans())
    sep = "." if vtt else ","
    blocks = []
    for n in range(1, draw(st.integers(1, 4)) + 1):
        start = draw(st.integers(0, 100_000))
        end = start + draw(st.integers(-50, 5000))
        lines = [
            "".join(draw(st.lists(st.one_of(_word, _tag, st.just(" ")), min_size=1, max_size=6)))
            for _ in range(draw(st.integers(1, 3)))
        ]
        timing = f"{_clock(start, sep)} --> {_clock(max(end, 0), sep)}" + (draw(_settings) if vtt else "")
        blocks.append("\n".join([*([] if vtt else [str(n)]), timing, *lines]))
    return ("WEBVTT\n\n" if vtt else "") + "\n\n".join(blocks) + "\n", Path("f.vtt" if vtt else "f.srt")


def _write_all(doc: StyledSubs) -> None:
    for target, compose in COMPOSERS.items():
        composed = compose(doc)
        if target == "srt" and composed.cues:
            back = parse_subtitles(composed.text, "back.srt", "en", lenient=True)
            assert len(back.track.cues) == composed.cues


@FUZZ
@given(styled_files(), st.booleans())
def test_styled_srt_vtt_read_or_refused_and_written(file: tuple[str, Path], lenient: bool) -> None:
    text, path = file
    try:
        doc = read_srt_vtt(text, path, "en", lenient=lenient)
    except InputError as exc:
        assert exc.path == str(path)
        event("refused")
        return
    event("read")
    _write_all(doc)


_ass_field = st.sampled_from(["0", "0:00:01.00", "0:00:02.50", "Default", "Sign", "", "x", "0:0:x", "{\\i1}Hi"])


@st.composite
def ass_files(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["[Script Info]\nScriptType: v4.00+\n\n", "", "[Script Info]\n"]))
    events = draw(st.sampled_from(["[Events]\n", "[events]\n", ""]))
    fmt = draw(st.sampled_from(["Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n",
                                "Format: Start, End, Text\n", ""]))  # fmt: skip
    lines = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["Dialogue", "Dialogue", "Comment", "Junk"]))
        fields = draw(st.lists(_ass_field, min_size=0, max_size=11))
        lines.append(f"{kind}: " + ",".join(fields))
    return head + events + fmt + "\n".join(lines) + "\n"


@FUZZ
@given(ass_files(), st.booleans())
def test_ass_read_or_refused_and_written(text: str, lenient: bool) -> None:
    try:
        doc = read_ass(text, "f.ass", lenient=lenient)
    except InputError as exc:
        assert exc.path == "f.ass"
        event("refused")
        return
    event("read")
    _write_all(doc)


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["a.srt", "a.ru.srt", "a.ja.srt", "a.zh-Hant.srt"]))
def test_auto_decoding_never_crashes(data: bytes, name: str) -> None:
    try:
        text = decode_bytes(data, name, AUTO)
    except InputError as exc:
        assert exc.path == name
        event("refused")
        return
    event("decoded")
    assert "\r" not in text
