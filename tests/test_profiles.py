from __future__ import annotations

import logging
from fractions import Fraction

import pysubs2
import pytest

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import UsageError
from pipeline.core.profiles import KNOWN_LANGUAGES, get_profile
from pipeline.core.timecode import frame_to_ms, ms_to_frame
from pipeline.media.fonts import font_spec
from pipeline.tracks.formats import AssStyle, compose_ass

REQUIRED = ["en", "ko", "ja", "zh-Hans", "zh-Hant", "ar", "es", "fr", "de", "pt", "ru", "vi", "id", "th", "hi"]


@pytest.mark.parametrize("tag", REQUIRED)
def test_required_profiles_exist_with_a_real_font(tag: str) -> None:
    assert tag in KNOWN_LANGUAGES
    p = get_profile(tag)
    assert len(p.iso639_2) == 3 and p.iso639_2 != "und"
    assert p.max_line_chars > 0 and p.max_lines >= 1 and p.max_cps > 0
    assert p.min_duration_ms < p.max_duration_ms and p.min_gap_frames == 2
    assert font_spec(p.font).path.is_file()


def test_cjk_counting_and_rtl() -> None:
    assert get_profile("ko").is_cjk_count and get_profile("zh-Hant").is_cjk_count
    assert not get_profile("fr").is_cjk_count
    assert get_profile("ar").rtl and not get_profile("he" if "he" in KNOWN_LANGUAGES else "en").rtl


def test_job_override_and_bad_field() -> None:
    assert get_profile("ja", {"max_cps": 5.0}).max_cps == 5.0
    with pytest.raises(UsageError, match="unknown profile field"):
        get_profile("ja", {"max_cpz": 5.0})


def test_unknown_language_gets_default_profile_and_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pipeline.core.profiles"):
        p = get_profile("sw")
    assert p.iso639_2 == "swa" and p.max_line_chars == 42
    assert "no language profile for 'sw'" in caplog.text


def test_invalid_tag() -> None:
    with pytest.raises(UsageError, match="BCP 47"):
        get_profile("not a tag!")


@pytest.mark.parametrize("fps", [Fraction(30000, 1001), Fraction(24000, 1001), Fraction(25), Fraction(60000, 1001)])
def test_ass_centiseconds_keep_every_frame_and_gap(fps: Fraction) -> None:
    cues = []
    frame = 7
    for _ in range(50):
        cues.append(Cue(frame_to_ms(frame, fps), frame_to_ms(frame + 31, fps), ("x",)))
        frame += 33  # 2-frame gaps
    text = compose_ass(Track("en", tuple(cues), fps), AssStyle("Noto Sans"), 640, 360, fps=fps)
    events = pysubs2.SSAFile.from_string(text).events
    for cue, ev in zip(cues, events, strict=True):
        assert ev.start % 10 == 0 and ev.end % 10 == 0
        # The first frame at or after each time is the cue's own first / end frame.
        first = -(-ev.start * fps // 1000)
        end = -(-ev.end * fps // 1000)
        assert (first, end) == (ms_to_frame(cue.start_ms, fps), ms_to_frame(cue.end_ms, fps))
