"""Property: a file with one corrupted block still yields every other cue (SRT and WebVTT), and the
corruption is an error problem at one of the block's lines, as browsers and Subtitle Edit read on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import ERROR
from pipeline.ingest.subparse import lint_subtitles
from pipeline.tracks.formats import compose_srt, compose_vtt

_WORDS = st.text(alphabet="abcdefghij XYZ'?!é한", min_size=1, max_size=15).map(str.strip).filter(bool)


@st.composite
def _tracks(draw: st.DrawFn) -> Track:
    cues = []
    start = draw(st.integers(0, 5_000))
    for _ in range(draw(st.integers(2, 8))):
        length = draw(st.integers(100, 4_000))
        lines = tuple(draw(st.lists(_WORDS, min_size=1, max_size=2)))
        cues.append(Cue(start, start + length, lines))
        start += length + draw(st.integers(0, 1_000))
    return Track("en", tuple(cues))


def _corrupt(block: str, how: str, junk: str) -> str:
    lines = block.split("\n")
    at = next(i for i, line in enumerate(lines) if "-->" in line)
    start, end = lines[at].split(" --> ")
    if how == "garbled":
        lines[at] = lines[at].replace(":", "::", 1)
    elif how == "end-before-start":
        lines[at] = f"{end} --> {start}"
    elif how == "letter-in-time":
        lines[at] = lines[at][:-2] + "d" + lines[at][-1]
    elif how == "no-timing":
        del lines[at]
    else:
        lines = [junk]
    return "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(
    _tracks(),
    st.booleans(),
    st.data(),
    st.sampled_from(["garbled", "end-before-start", "letter-in-time", "no-timing", "junk"]),
    st.text(alphabet="abcXYZ 0123456789.,;", min_size=1, max_size=30).filter(str.strip),
)
def test_one_corrupted_block_keeps_every_other_cue(
    track: Track, vtt: bool, data: st.DataObject, how: str, junk: str
) -> None:
    text = compose_vtt(track) if vtt else compose_srt(track)
    head, _, body = text.partition("\n\n") if vtt else ("", "", text)
    blocks = body.rstrip("\n").split("\n\n")
    k = data.draw(st.integers(0, len(blocks) - 1))
    blocks[k] = _corrupt(blocks[k], how, junk)
    corrupted = (head + "\n\n" if vtt else "") + "\n\n".join(blocks) + "\n"
    parsed = lint_subtitles(corrupted, "a.vtt" if vtt else "a.srt", "en")
    others = [c for i, c in enumerate(track.cues) if i != k]
    assert [c for c in parsed.track.cues if c != track.cues[k]] == others
    first_line = (head.count("\n") + 2 if vtt else 0) + sum(b.count("\n") + 2 for b in blocks[:k]) + 1
    block_lines = range(first_line, first_line + blocks[k].count("\n") + 1)
    assert any(p.severity == ERROR and p.line in block_lines for p in parsed.problems), parsed.problems
