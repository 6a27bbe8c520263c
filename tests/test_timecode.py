from __future__ import annotations

import doctest
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pipeline.core.timecode as tc

RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(50), Fraction(60000, 1001)]


def test_doctests() -> None:
    result = doctest.testmod(tc)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30000/1001", Fraction(30000, 1001)),
        ("29.97", Fraction(30000, 1001)),
        ("23.976", Fraction(24000, 1001)),
        ("25", Fraction(25)),
    ],
)
def test_parse_fps(text: str, expected: Fraction) -> None:
    assert tc.parse_fps(text) == expected


def test_parse_fps_rejects_zero() -> None:
    with pytest.raises(ValueError, match="positive"):
        tc.parse_fps("0")


@given(st.integers(min_value=0, max_value=10_000_000), st.sampled_from(RATES))
def test_snap_is_idempotent_and_close(ms: int, fps: Fraction) -> None:
    snapped = tc.snap_ms(ms, fps)
    assert tc.snap_ms(snapped, fps) == snapped
    assert abs(snapped - ms) <= float(500 / fps) + 1


@given(st.integers(min_value=0, max_value=500_000), st.sampled_from(RATES))
def test_frame_round_trip_exact(frame: int, fps: Fraction) -> None:
    assert tc.ms_to_frame(tc.frame_to_ms(frame, fps), fps) == frame


def test_ntsc_grid_has_no_drift_after_an_hour() -> None:
    fps = Fraction(30000, 1001)
    frame = 107_892  # 1 h of 29.97 video
    assert tc.frame_to_ms(frame, fps) == 3_599_996  # 107892 * 1001 / 30 = 3599996.4


def test_format_srt_time() -> None:
    assert tc.format_srt_time(0) == "00:00:00,000"
    assert tc.format_srt_time(100 * 3_600_000 + 1) == "100:00:00,001"
