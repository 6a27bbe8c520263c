"""The pipeline's probe agrees with the zoo's independent PyAV probe on every source, and sampling
of a burned cut always includes the shortest and the last cue, never the time after the video."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.media.probe import probe
from pipeline.render.sampling import MAX_CUES, history_times, pick_samples

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ZOO, build_zoo, probe_facts


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


@pytest.mark.parametrize("name", [s.name for s in ZOO])
def test_probe_matches_the_independent_probe(zoo: dict[str, Path], name: str) -> None:
    media, facts = probe(zoo[name]), probe_facts(zoo[name])
    assert (media.display_width, media.display_height) == (facts["display_width"], facts["display_height"])
    assert (media.width, media.height, media.rotation, media.sar) == (
        facts["width"], facts["height"], facts["rotation"], facts["sar"]
    )  # fmt: skip
    assert media.start_ms == pytest.approx((facts["start"] or 0) * 1000, abs=2)
    if media.video is not None:
        assert media.video_duration_ms == pytest.approx((facts["duration"] or 0) * 1000, abs=2)
        assert media.interlaced == facts["interlaced"] and media.vfr == facts["vfr"]
        assert media.video_codec == facts["video_codec"]
    assert media.duration_ms > 0  # a browser WebM has no duration in its header: the packets give it
    assert [s.codec for s in media.audio_streams()] == facts["audio_codecs"]
    assert sum(s.attached_pic for s in media.streams) == facts["attached_pics"]
    assert media.chapters == facts["chapters"]
    if media.vfr:
        assert len(media.frame_times_ms) == facts["frames"] and media.frame_times_ms[0] == 0


def test_samples_include_the_shortest_and_the_last_cue_and_stay_inside_the_video() -> None:
    cues = [(i * 1000, i * 1000 + 800) for i in range(40)]
    cues[17] = (17_000, 17_300)  # the shortest
    samples = pick_samples(cues, 0, 39_500, 40)
    shown = [s.ass_ms for s in samples if s.shown]
    assert len(shown) <= MAX_CUES
    assert any(17_000 <= t < 17_300 for t in shown) and any(39_000 <= t < 39_440 for t in shown)
    assert all(t < 39_500 - 40 for t in (s.ass_ms for s in samples))
    # a cue that starts after the video ends is never sampled; one running past it only inside it
    late = pick_samples([(500, 1500), (4000, 9000), (6000, 8000)], 0, 5000, 40)
    assert all(s.ass_ms < 4940 for s in late) and sum(s.shown for s in late) == 2


def test_samples_land_on_a_keyframe_well_inside_a_cue_or_gap_else_in_the_middle() -> None:
    cues = [(1000, 3000), (4000, 6000), (8000, 9000)]
    keys = [0, 2962, 4030, 4200, 5000, 12_000]  # 2962 within a frame of the end; 4030, 4200 within 300 ms of the start
    samples = pick_samples(cues, 0, 14_000, 40, keys)
    assert [(s.ass_ms, s.shown) for s in samples] == [
        (2000, True),  # no keyframe well inside: the middle
        (3500, False),  # the gaps: 3000-4000, 6000-8000 and after the last cue
        (5000, True),  # the first keyframe 300 ms inside (a fade-in has ended), not 4030 or 4200
        (7000, False),
        (8500, True),
        (12_000, False),
    ]
    assert [s.ass_ms for s in pick_samples(cues, 0, 14_000, 40)] == [2000, 3500, 5000, 7000, 8500, 11_470]


def test_overlapping_cues_render_their_history() -> None:
    assert history_times([(500, 1400), (1000, 7000)], 1469, 0, 1000 / 24) == [500.0, 1000.0]
    assert history_times([(500, 900), (1000, 7000)], 1469, 0, 40) == []
