from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.profiles import get_profile
from pipeline.segments import Segment, Transcript
from pipeline.subformats import compose_srt, read_subtitles
from pipeline.timecode import frames_ms, snap_ms
from pipeline.tracks import build_track
from pipeline.wrap import count_chars

NTSC = Fraction(30000, 1001)
SAMPLE_LANGS = ["en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id"]


def test_every_segment_has_all_ten_languages(sample_transcript: Transcript) -> None:
    assert len(sample_transcript.segments) >= 30
    for seg in sample_transcript.segments:
        assert sorted(seg.text) == sorted(SAMPLE_LANGS), seg.id
        assert all(text.strip() for text in seg.text.values()), seg.id


@pytest.mark.parametrize("lang", SAMPLE_LANGS)
def test_sample_track_keeps_the_rules(sample_transcript: Transcript, lang: str) -> None:
    profile = get_profile(lang)
    track = build_track(sample_transcript.segments, lang, profile, NTSC)
    gap = frames_ms(2, NTSC)
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert b.start_ms - a.end_ms >= gap - 1, (a, b)
    for cue in track.cues:
        assert snap_ms(cue.start_ms, NTSC) == cue.start_ms and snap_ms(cue.end_ms, NTSC) == cue.end_ms
        assert 1 <= len(cue.lines) <= profile.max_lines, cue
        assert all(count_chars(line, profile) <= profile.max_line_chars for line in cue.lines), cue
    # Nothing dropped: each segment's cues rebuild its text.
    joiner = "" if profile.breaking == "phrase" else " "
    for seg in sample_transcript.segments:
        rebuilt = joiner.join(joiner.join(c.lines) for c in track.cues if c.segment_id == seg.id)
        assert rebuilt.replace(" ", "") == seg.text[lang].replace(" ", "")


def test_long_segment_time_divided_by_characters() -> None:
    text = "First part of a long sentence that goes on, and a second part that also goes on and on for a while."
    seg = Segment("1", 0, 6000, {"en": text})
    track = build_track([seg], "en", get_profile("en", {"max_line_chars": 30}), Fraction(25))
    assert len(track.cues) == 2
    first, second = track.cues
    assert first.start_ms == 0 and second.end_ms == 6000
    share = first.duration_ms / 6000
    assert 0.35 < share < 0.6


segment_lists = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=3000),
        st.integers(min_value=200, max_value=9000),
        st.text(alphabet="abc defg.,한국", min_size=1, max_size=150),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(
    segment_lists,
    st.sampled_from([Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001)]),
    st.sampled_from(["en", "ko"]),
)
def test_built_tracks_never_overlap_and_sit_on_the_grid(
    raw: list[tuple[int, int, str]], fps: Fraction, lang: str
) -> None:
    segments, t = [], 0
    for i, (pause, length, text) in enumerate(raw):
        if not text.strip():
            continue
        segments.append(Segment(str(i), t + pause, t + pause + length, {lang: text}))
        t += pause + length
    track = build_track(segments, lang, get_profile(lang), fps)
    gap = frames_ms(2, fps)
    for a, b in zip(track.cues, track.cues[1:], strict=False):
        assert b.start_ms - a.end_ms >= gap - 1
    for cue in track.cues:
        assert cue.end_ms > cue.start_ms
        assert snap_ms(cue.start_ms, fps) == cue.start_ms and snap_ms(cue.end_ms, fps) == cue.end_ms
    # write then read gives the same track
    path_text = compose_srt(track)
    if track.cues:
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "t.srt"
            p.write_text(path_text, encoding="utf-8")
            back = read_subtitles(p, lang)
        assert [(c.start_ms, c.end_ms, c.lines) for c in back.cues] == [
            (c.start_ms, c.end_ms, c.lines) for c in track.cues
        ]


def test_segment_missing_a_language_is_an_error() -> None:
    from pipeline.errors import InputError

    with pytest.raises(InputError, match="no text in 'ko'"):
        build_track([Segment("s1", 0, 1000, {"en": "hi"})], "ko", get_profile("ko"), NTSC)
