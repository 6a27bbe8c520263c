from __future__ import annotations

import itertools
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.profiles import get_profile
from pipeline.core.timecode import frames_ms, snap_ms
from pipeline.ingest.segments import Segment, Transcript
from pipeline.ingest.subparse import read_subtitles
from pipeline.tracks.build import build_track
from pipeline.tracks.formats import compose_srt
from pipeline.tracks.wrap import count_chars, tokenize

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
    for seg in sample_transcript.segments:
        rebuilt = "".join("".join(c.lines) for c in track.cues if c.segment_id == seg.id)
        assert "".join(rebuilt.split()) == "".join(seg.text[lang].split())


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
    st.sampled_from(["en", "ko", "ja", "ar"]),
    st.lists(st.integers(min_value=0, max_value=60_000), max_size=6),
    st.lists(st.integers(min_value=0, max_value=60_000), max_size=6),
)
def test_built_tracks_keep_the_rules(
    raw: list[tuple[int, int, str]], fps: Fraction, lang: str, shots: list[int], pauses: list[int]
) -> None:
    from pipeline.tracks.build import build_track_report

    segments, t = [], 0
    for i, (pause, length, text) in enumerate(raw):
        segments.append(Segment(str(i), t + pause, t + pause + length, {lang: text}))
        t += pause + length
    profile = get_profile(lang)
    track = build_track_report(segments, lang, profile, fps, shots, pauses).track
    gap = frames_ms(2, fps)
    for a, b in itertools.pairwise(track.cues):
        assert b.start_ms - a.end_ms >= gap - 1  # never overlap; 2 frames apart
    for cue in track.cues:
        assert cue.end_ms > cue.start_ms
        assert snap_ms(cue.start_ms, fps) == cue.start_ms and snap_ms(cue.end_ms, fps) == cue.end_ms
        for line in cue.lines:  # over the limit only as a single unbreakable token
            assert count_chars(line, profile) <= profile.max_line_chars or len(tokenize(line, profile)) == 1
    for seg in segments:  # nothing dropped
        rebuilt = "".join("".join(c.lines) for c in track.cues if c.segment_id == seg.id)
        assert "".join(rebuilt.split()) == "".join(seg.text[lang].split())
    if track.cues:  # write then read gives the same track
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "t.srt"
            p.write_text(compose_srt(track), encoding="utf-8")
            back = read_subtitles(p, lang)
        assert [(c.start_ms, c.end_ms, c.lines) for c in back.cues] == [
            (c.start_ms, c.end_ms, c.lines) for c in track.cues
        ]


def test_segment_missing_a_language_is_an_error() -> None:
    from pipeline.core.errors import InputError

    with pytest.raises(InputError, match="no text in 'ko'"):
        build_track([Segment("s1", 0, 1000, {"en": "hi"})], "ko", get_profile("ko"), NTSC)


@pytest.mark.parametrize("lang", SAMPLE_LANGS)
def test_golden_sample_tracks(sample_transcript: Transcript, lang: str) -> None:
    """tests/data/promo.<lang>_ref.srt were reviewed by eye (benchmarks/track_stats.py --write-golden)."""
    import json

    from pipeline.tracks.build import build_track_report

    root = Path(__file__).resolve().parents[1]
    shots = json.loads((root / "assets/promo/timing.json").read_text(encoding="utf-8"))["shot_changes_ms"]
    report = build_track_report(sample_transcript.segments, lang, get_profile(lang), NTSC, shots)
    ref = (root / "tests" / "data" / f"promo.{lang}_ref.srt").read_text(encoding="utf-8")
    assert compose_srt(report.track) == ref


FPS24 = Fraction(24)


def _one(start_f: int, end_f: int, text: str = "Short line.") -> Segment:
    return Segment("s", start_f * 1000 // 24, end_f * 1000 // 24, {"en": text})


def _frames(track: object) -> list[tuple[int, int]]:
    from pipeline.core.timecode import ms_to_frame

    return [(ms_to_frame(c.start_ms, FPS24), ms_to_frame(c.end_ms, FPS24)) for c in track.cues]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("start_f", "expected_start"),
    [(95, 100), (93, 100), (90, 88), (105, 100), (110, 112), (120, 120), (80, 80)],
    ids=["5-before-onto", "7-before-onto", "10-before-to-12", "5-after-onto", "10-after-to-12", "far", "far-before"],
)
def test_in_cue_moves_out_of_shot_change_zone(start_f: int, expected_start: int) -> None:
    from pipeline.tracks.build import build_track_report

    report = build_track_report([_one(start_f, start_f + 48)], "en", get_profile("en"), FPS24, [100 * 1000 // 24])
    assert _frames(report.track)[0][0] == expected_start


@pytest.mark.parametrize(
    ("end_f", "expected_end"),
    [(99, 98), (97, 98), (98, 98), (101, 98), (90, 88), (80, 80)],
    ids=["1-before", "3-before", "2-before-ok", "1-after", "10-before-to-12", "far"],
)
def test_out_cue_moves_out_of_shot_change_zone(end_f: int, expected_end: int) -> None:
    from pipeline.tracks.build import build_track_report

    report = build_track_report([_one(end_f - 40, end_f)], "en", get_profile("en"), FPS24, [100 * 1000 // 24])
    assert _frames(report.track)[0][1] == expected_end


def test_small_gaps_are_chained_and_large_ones_kept() -> None:
    segs = [_one(0, 40), _one(50, 90), _one(120, 160)]  # gaps of 10 and 30 frames at 24 fps
    frames = _frames(build_track(segs, "en", get_profile("en"), FPS24))
    assert frames[0][1] == 48  # closed to 2 frames before the next
    assert frames[1][1] == 90  # a 30-frame pause stays


def test_out_time_extends_for_reading_speed_at_most_half_a_second() -> None:
    text = "A sentence far too long to read in the time the speaker takes."  # 62 chars, 20 cps: 3.1 s
    from pipeline.tracks.build import build_track_report

    assert _frames(build_track([_one(0, 48)], "en", get_profile("en"), FPS24)) == [(0, 48)]  # reads in time
    report = build_track_report([_one(0, 48, text)], "en", get_profile("en"), FPS24)
    assert _frames(report.track) == [(0, 60)]  # 2 s of speech + 12 frames, not the 75 reading would need
    assert [f.rule for f in report.findings] == ["reading_speed"]
    assert "over the limit 20" in report.findings[0].message


def test_segment_longer_than_max_duration_is_split() -> None:
    seg = Segment("s", 0, 12_000, {"en": "One short sentence. And another short one here."})
    track = build_track([seg], "en", get_profile("en"), FPS24)
    assert len(track.cues) >= 2 and all(c.duration_ms <= 7000 for c in track.cues)
    assert " ".join(" ".join(c.lines) for c in track.cues) == seg.text["en"]


def test_division_point_moves_to_the_nearest_pause() -> None:
    from pipeline.tracks.build import build_track_report

    seg = Segment("s", 0, 6000, {"en": "First clause of this sentence, and the second clause of it."})
    profile = get_profile("en", {"max_line_chars": 32, "max_lines": 1})
    by_chars = build_track_report([seg], "en", profile, FPS24).track
    by_pause = build_track_report([seg], "en", profile, FPS24, pauses_ms=[3500]).track
    assert len(by_chars.cues) == 2 and by_chars.cues[1].start_ms != 3500
    assert by_pause.cues[1].start_ms == 3500


@pytest.mark.parametrize("lang", SAMPLE_LANGS)
def test_built_tracks_pass_the_checker(sample_transcript: Transcript, lang: str) -> None:
    """What the builder makes, `subpipe check` signs off: only what the builder itself reported remains."""
    import json

    from pipeline.qc.rules import RuleContext, check_rules
    from pipeline.tracks.build import build_track_report

    root = Path(__file__).resolve().parents[1]
    timing = json.loads((root / "assets/promo/timing.json").read_text(encoding="utf-8"))
    shots = timing["shot_changes_ms"]
    profile = get_profile(lang)
    report = build_track_report(sample_transcript.segments, lang, profile, NTSC, shots)
    ctx = RuleContext(profile, NTSC, timing["duration_ms"], tuple(shots))
    found = check_rules(report.track, ctx)
    unsatisfiable = {"reading_speed", "min_duration", "max_duration"}
    assert {f.rule for f in found} <= unsatisfiable, [f for f in found if f.rule not in unsatisfiable]
    assert sorted((f.cue, f.rule) for f in found) == sorted((f.cue, f.rule) for f in report.findings)


def test_speech_pauses_from_the_sample_never_leave_a_flash(sample_transcript: Transcript) -> None:
    """Cutting at the real audio's pauses (as `subpipe run` does) keeps every cue readable."""
    from pipeline.media.vad import detect_speech, speech_pauses
    from pipeline.tracks.build import build_track_report

    root = Path(__file__).resolve().parents[1]
    pauses = speech_pauses(detect_speech(root / "assets" / "promo" / "promo.mp4"))
    assert len(pauses) > 30
    for lang in ("en", "ko", "ar", "ja"):
        profile = get_profile(lang)
        track = build_track_report(sample_transcript.segments, lang, profile, NTSC, (), pauses).track
        short = [c for c in track.cues if c.duration_ms < profile.min_duration_ms]
        assert not short, (lang, short)
