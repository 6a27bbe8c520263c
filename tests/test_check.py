"""Each check rule: a minimal fixture that triggers it and one that does not."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.cli.main import main
from pipeline.core.cues import Cue, Track
from pipeline.core.findings import Finding
from pipeline.core.profiles import get_profile
from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings
from pipeline.qc.check import VideoFacts, check_file, order_findings, video_facts
from pipeline.qc.rules import Frames, RuleContext, check_rules

PAL = Fraction(25)
NTSC = Fraction(30000, 1001)
SC = 10_000  # a shot change on the 25 fps grid (frame 250)


def _cue(start: int, end: int, *lines: str) -> Cue:
    return Cue(start, end, lines or ("Hello there.",))


def _rules(
    *cues: Cue, fps: Fraction | None = PAL, video_ms: int | None = None, changes: tuple[int, ...] = ()
) -> list[Finding]:
    ctx = RuleContext(get_profile("en"), fps, video_ms, changes)
    return check_rules(Track("en", tuple(cues)), ctx)


def _ids(found: list[Finding]) -> set[str]:
    return {f.rule for f in found}


CASES = {
    # rule: (cues that trigger it, cues that do not)
    "overlap": ((_cue(0, 1000), _cue(900, 2000)), (_cue(0, 1000), _cue(1080, 2000))),
    "gap": ((_cue(0, 1000), _cue(1040, 2000)), (_cue(0, 1000), _cue(1080, 2000))),
    "min_duration": ((_cue(0, 480),), (_cue(0, 840),)),
    "max_duration": ((_cue(0, 7040),), (_cue(0, 7000),)),
    "reading_speed": ((_cue(0, 2000, "x" * 41),), (_cue(0, 2000, "x" * 40),)),
    "line_length": ((_cue(0, 4000, "y" * 43),), (_cue(0, 4000, "y" * 42),)),
    "max_lines": ((_cue(0, 4000, "a", "b", "c"),), (_cue(0, 4000, "a", "b"),)),
    "empty": ((_cue(0, 1000, "<i></i>"),), (_cue(0, 1000, "<i>hi</i>"),)),
    "shot_change_in": ((_cue(SC - 200, SC + 2000),), (_cue(SC, SC + 2000), _cue(SC + 3000, SC + 5000))),
    "shot_change_out": ((_cue(SC - 2000, SC),), (_cue(SC - 2000, SC - 80), _cue(SC - 5000, SC - 3000))),
    "frame_grid": ((_cue(1010, 2000),), (_cue(1000, 2000),)),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_triggers_and_does_not(rule: str) -> None:
    bad, good = CASES[rule]
    found = [f for f in _rules(*bad, changes=(SC,)) if f.rule == rule]
    assert found, rule
    first = found[0]
    assert first.cue is not None and first.message and first.fix and first.severity in ("error", "warning", "info")
    assert rule not in _ids(_rules(*good, changes=(SC,)))


def test_past_end() -> None:
    found = [f for f in _rules(_cue(4000, 5200), _cue(6000, 7000), video_ms=5000) if f.rule == "past_end"]
    assert [(f.cue, f.severity) for f in found] == [(1, "error"), (2, "error")]
    assert "200 ms after" in found[0].message
    assert "past_end" not in _ids(_rules(_cue(4000, 5000), video_ms=5000))


@pytest.mark.parametrize("careful", [False, True], ids=["fast-reader", "careful-reader"])
def test_order_in_the_file(careful: bool) -> None:
    from pipeline.ingest.subparse import parse_subtitles

    text = "1\n00:00:05,000 --> 00:00:06,000\nb\n\n2\n00:00:01,000 --> 00:00:02,000\na\n"
    if careful:
        text = text.replace("\nb\n", "\nb \n")  # a trailing space sends it down the careful path
    parsed = parse_subtitles(text, "x.srt", "en", lenient=True)
    assert [c.start_ms for c in parsed.track.cues] == [1000, 5000]  # sorted
    found = order_findings(parsed.starts_in_file_order)
    assert [(f.rule, f.cue, f.start_ms) for f in found] == [("order", 2, 1000)]
    assert order_findings([0, 500]) == []


def test_shot_change_zones_scale_with_frame_rate() -> None:
    assert Frames.of(Fraction(24)).scaled(12) == 12
    assert Frames.of(NTSC).scaled(12) == 15
    assert Frames.of(PAL).scaled(7) == 7
    # 9 frames before the cut at 25 fps: the green zone, so move to 12 frames before.
    found = [f for f in _rules(_cue(SC - 360, SC + 2000), changes=(SC,)) if f.rule == "shot_change_in"]
    assert "12 frames before" in found[0].fix and "0:00:09.520" in found[0].fix


def test_gap_is_counted_in_frames_at_ntsc() -> None:
    # frames 30 and 32 start at 1001 and 1068 ms: 67 ms is exactly 2 frames, no finding.
    assert "gap" not in _ids(_rules(_cue(0, 1001), _cue(1068, 2000), fps=NTSC))
    assert "gap" in _ids(_rules(_cue(0, 1001), _cue(1034, 2000), fps=NTSC))


def test_without_a_frame_rate_the_grid_rule_is_skipped() -> None:
    assert "frame_grid" not in _ids(_rules(_cue(1010, 2000), fps=None))


def test_clean_cues_have_no_findings() -> None:
    assert _rules(_cue(0, 2000), _cue(2080, 4000, "Second line", "of text."), video_ms=10_000) == []


@pytest.fixture(scope="module")
def facts(clip15: Path) -> VideoFacts:
    return video_facts(clip15)


# Speech in the 15 s excerpt: 2010-4365 and 5447-12693 (assets/promo/timing.json).
def test_audio_findings(facts: VideoFacts) -> None:
    assert facts.speech is not None
    track = Track(
        "en",
        (
            _cue(2010, 4300),  # on time
            _cue(4450, 5300),  # over silence
            _cue(5047, 9000),  # 400 ms early
            _cue(9100, 12700),
        ),
    )
    found = {(f.rule, f.cue) for f in audio_findings(track, facts.speech, NTSC)}
    assert ("over_silence", 2) in found and ("early_start", 3) in found
    assert not any(cue == 1 for _, cue in found)
    late = Track("en", (_cue(2310, 4300), _cue(5447, 12700)))
    assert {(f.rule, f.cue) for f in audio_findings(late, facts.speech, NTSC)} == {("late_start", 1)}
    missing = Track("en", (_cue(2010, 4300),))
    assert "uncovered_speech" in _ids(audio_findings(missing, facts.speech, NTSC))


def test_offset_estimate(facts: VideoFacts) -> None:
    assert facts.speech is not None
    on_time = Track("en", (_cue(2010, 4365), _cue(5447, 8000), _cue(8100, 12693)))
    estimate = estimate_offset(on_time, facts.speech)
    assert abs(estimate.offset_ms) <= 34 and estimate.confidence >= 0.5
    assert offset_findings(estimate, NTSC) == []
    late = Track("en", tuple(Cue(c.start_ms + 900, c.end_ms + 900, c.lines) for c in on_time.cues))
    found = offset_findings(estimate_offset(late, facts.speech), NTSC)
    assert [(f.rule, f.severity) for f in found] == [("offset", "error")]
    assert "-9" in found[0].fix


def _srt(path: Path, *cues: tuple[str, str]) -> Path:
    blocks = [f"{i}\n00:00:{a} --> 00:00:{b}\nHello there.\n" for i, (a, b) in enumerate(cues, start=1)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def test_cli_check_exit_codes_and_formats(tmp_path: Path, clip15: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _srt(tmp_path / "good.en.srt", ("02,002", "04,371"), ("05,439", "08,008"), ("08,108", "12,713"))
    bad = _srt(tmp_path / "bad.en.srt", ("02,002", "04,371"), ("04,004", "08,008"))
    assert main(["check", str(good), "--video", str(clip15)]) == 0
    assert "0 error" in capsys.readouterr().out
    report = tmp_path / "r" / "report.json"
    assert main(["check", str(good), str(bad), "--video", str(clip15), "--format", "json", "-o", str(report)]) == 1
    doc = json.loads(report.read_text(encoding="utf-8"))
    assert doc["ok"] is False and [f["path"] for f in doc["files"]] == [str(good), str(bad)]
    assert any(f["rule"] == "overlap" and f["cue"] == 2 for f in doc["files"][1]["findings"])
    assert main(["check", str(bad), "--fps", "25"]) == 1
    missing = tmp_path / "none.en.srt"
    assert main(["check", str(missing)]) == 2
    assert main(["check", str(good), "--fps", "zero"]) == 2


def _starts_and_durations() -> st.SearchStrategy[list[tuple[int, int, int]]]:
    # (gap to the previous cue's end, possibly negative: an overlap; duration; characters of text)
    item = st.tuples(st.integers(-400, 1500), st.integers(40, 8000), st.integers(1, 90))
    return st.lists(item, min_size=1, max_size=8)


@st.composite
def _checked(draw: st.DrawFn) -> tuple[Track, RuleContext]:
    at: int = draw(st.integers(0, 3000))
    cues: list[Cue] = []
    for gap, duration, chars in draw(_starts_and_durations()):
        start = max(at + gap, cues[-1].start_ms + 1 if cues else 0)
        words = ("word " * chars)[:chars].strip() or "w"
        cues.append(Cue(start, start + duration, (words[:60], words[60:]) if chars > 60 else (words,)))
        at = start + duration
    fps = draw(st.sampled_from([PAL, NTSC, Fraction(24), None]))
    video_ms = draw(st.one_of(st.none(), st.integers(max(at - 3000, 1), at + 500)))
    changes = tuple(sorted(draw(st.sets(st.integers(0, at + 500), max_size=4))))
    return Track("en", tuple(cues)), RuleContext(get_profile("en"), fps, video_ms, changes)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_checked())
def test_no_proposed_fix_creates_a_new_finding(case: tuple[Track, RuleContext]) -> None:
    """Applying any proposed fix that moves a time, alone, raises no finding the track did not have."""
    from pipeline.qc.fixes import retimed, settle_fixes

    track, ctx = case
    found = check_rules(track, ctx)
    before = {(f.rule, f.cue) for f in found}
    for f in settle_fixes(track, ctx, found):
        if f.edit is None:
            continue
        moved = retimed(track, f.edit)
        assert moved is not None, f
        after = {(g.rule, g.cue) for g in check_rules(moved, ctx)}
        assert after <= before, (f, sorted(after - before))


def test_a_fix_that_would_overlap_the_next_cue_is_not_proposed(tmp_path: Path) -> None:
    """Issue 18: `end at 0:00:22.833` for a short cue would have run into the next one (at 22.480)."""
    path = tmp_path / "short.en.srt"
    path.write_text("1\n00:00:22,000 --> 00:00:22,400\nHi.\n\n2\n00:00:22,480 --> 00:00:25,000\nThen.\n", "utf-8")
    (short,) = [f for f in check_file(path, "en", None, PAL).findings if f.rule == "min_duration"]
    assert "0:00:22.833" not in short.fix and short.edit is None
    assert "would raise 'overlap' on cue 2" in short.fix and "merge" in short.fix
    # With room after it, the fix moves the end onto the frame grid, past the minimum.
    path.write_text("1\n00:00:22,000 --> 00:00:22,400\nHi.\n\n2\n00:00:24,000 --> 00:00:25,000\nThen.\n", "utf-8")
    (short,) = [f for f in check_file(path, "en", None, PAL).findings if f.rule == "min_duration"]
    assert short.fix.startswith("end at 0:00:22.840") and short.edit is not None


def test_an_overlap_fix_moves_the_later_start_when_the_earlier_end_cannot_move() -> None:
    from pipeline.qc.fixes import settle_fixes

    track = Track("en", (_cue(0, 900), _cue(800, 3000)))  # ending cue 1 at 720 would make it too short
    ctx = RuleContext(get_profile("en"), PAL, None, ())
    (overlap,) = [f for f in settle_fixes(track, ctx, check_rules(track, ctx)) if f.rule == "overlap"]
    assert overlap.fix == "start cue 2 at 0:00:01.000"  # 2 frames (80 ms) after 900, on the grid
