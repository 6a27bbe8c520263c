"""A cursor told where the keyframes are decodes the fewest frames to each time and finds the frames a
cursor that knows nothing finds; a seek lands on a keyframe that starts within the cursor's 0.5 ms
slack; verification's samples of a static track lie early in their cues, where they cost least."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from pipeline.core.filecache import measured_afresh
from pipeline.media.probe import probe
from pipeline.render.framecursor import Cursor
from pipeline.render.frames import open_cursor
from pipeline.render.sampling import EDGE_MS, pick_samples
from pipeline.render.verify import BurnCheck, source_keyframes

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ffmpeg_exe

_X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-pix_fmt", "yuv420p"]  # 3 B-frames


def _make(path: Path, seconds: int, keyint: int) -> Path:
    if not path.exists():
        pattern = f"testsrc2=size=320x240:rate=25:duration={seconds}"
        gop = ["-x264-params", f"keyint={keyint}:min-keyint={keyint}:scenecut=0"]
        subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", pattern,
                        *_X264, *gop, str(path)], check=True)  # fmt: skip
    return path


@pytest.fixture(scope="module")
def gop2s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make(tmp_path_factory.mktemp("keys") / "gop2s.mp4", 8, 50)  # keyframes at 0, 2, 4, 6 s


@pytest.fixture(scope="module")
def one_gop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _make(tmp_path_factory.mktemp("keys") / "onegop.mp4", 8, 300)  # one keyframe, at 0


def _keyframes(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [
            float(p.pts * p.time_base * 1000) for p in container.demux(stream) if p.is_keyframe and p.pts is not None
        ]


def _walk(path: Path, times: Sequence[float], keyframes: Sequence[float]) -> tuple[list[tuple[int, bytes]], list[int]]:
    """Each time's frame (pts, pixels) and the frames the decoder returned on the way to each."""
    cursor: Cursor = open_cursor(path, 0, keyframes_ms=keyframes)
    found, costs = [], []
    try:
        for t in times:
            before = cursor.feed.decoded
            frame = cursor.shown_at(t)
            found.append((int(frame.pts), np.asarray(frame.to_ndarray()).tobytes()))
            costs.append(cursor.feed.decoded - before)
    finally:
        cursor.close()
    return found, costs


@pytest.mark.render
def test_a_keyframe_on_the_way_is_sought_and_none_is_decoded_on_to(gop2s: Path, one_gop: Path) -> None:
    keys = _keyframes(gop2s)
    assert [round(k) for k in keys] == [0, 2000, 4000, 6000]
    times = [500.0, 2480.0, 3000.0, 6100.0, 7900.0]
    blind, blind_costs = _walk(gop2s, times, ())
    told, told_costs = _walk(gop2s, times, keys)
    assert told == blind
    # 500 -> 2480 passes the keyframe at 2 s: the cursor that knows it decodes from there, not from 500 ms
    assert told_costs[1] < blind_costs[1] // 2
    assert sum(told_costs) < sum(blind_costs)
    # one keyframe only: 1 s -> 5.5 s is past the blind cursor's reach, which seeks back to the keyframe
    # at 0; told there is none on the way, the cursor decodes on from 1 s
    times = [1000.0, 5500.0]
    blind, blind_costs = _walk(one_gop, times, ())
    told, told_costs = _walk(one_gop, times, _keyframes(one_gop))
    assert told == blind and told_costs[1] < blind_costs[1] * 0.85


@pytest.mark.render
def test_a_seek_lands_on_a_keyframe_that_starts_within_the_slack(gop2s: Path) -> None:
    key = _keyframes(gop2s)[2]  # 4 s
    (found,), (cost,) = _walk(gop2s, [key - 0.3], ())  # shown then (0.5 ms slack): found by a seek to it
    assert found[0] == round(key / 1000 / float(Fraction(1, 12800)))
    assert cost <= 2  # not decoded from the keyframe 2 s before it


def test_a_steady_tracks_sample_lies_early_in_its_cue_unless_a_keyframe_is_inside() -> None:
    cues = [(1000, 3000), (4000, 6000), (8000, 8500)]
    keys = [0, 5000, 12_000]
    still = pick_samples(cues, 0, 14_000, 40, keys, steady=True)
    assert [(s.ass_ms, s.shown) for s in still] == [
        (1000 + EDGE_MS, True),  # no keyframe well inside: EDGE_MS in, not the middle (2000)
        (3000 + EDGE_MS, False),  # the gaps too: 3000-4000, 6000-8000, after the last cue
        (5000, True),  # a keyframe inside: there
        (6000 + EDGE_MS, False),
        (8250, True),  # too short for EDGE_MS from both ends: the middle
        (12_000, False),
    ]
    moving = pick_samples(cues, 0, 14_000, 40, keys)  # a track that may fade: the middles, as before
    assert [s.ass_ms for s in moving] == [2000, 3500, 5000, 7000, 8250, 12_000]


def test_a_source_whose_frame_table_cannot_be_read_gives_no_keyframes(tmp_path: Path, gop2s: Path) -> None:
    """The source's keyframes are only a hint to the verification's decoder: none, rather than an error."""
    copy = tmp_path / "gone.mp4"
    shutil.copy(gop2s, copy)
    source = probe(copy)
    check = BurnCheck("", (), [(1000, 2000)], keyframes_ms=(2, 2002))
    assert source_keyframes(source, check) == pytest.approx([0, 2000, 4000, 6000], abs=1)
    assert source_keyframes(source, BurnCheck("", (), [(1000, 2000)])) == []  # not a chunked cut: not asked
    copy.unlink()
    with measured_afresh():  # not from the cache: read again, and it is gone
        assert source_keyframes(source, check) == []
