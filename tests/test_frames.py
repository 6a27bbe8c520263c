"""Decoding the frame shown at a time, and the frame-timestamp check of chunked cuts, on real files.

The frame finder decodes on from the frame in hand instead of seeking when the next time is near;
each answer must be the frame a fresh seek to that time finds (the same timestamp and the same
pixels), on the zoo's awkward sources: variable frame rate, a transport stream whose clock starts
late, an AVI that cannot seek, interlaced, rotated, and the sample's long GOPs.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from pipeline.core.errors import VerifyError
from pipeline.media.probe import probe
from pipeline.render import frames
from pipeline.render.chunkcut import check_frames
from pipeline.render.chunks import read_frame_table
from pipeline.render.frames import Shown, frames_shown, iter_frames_shown
from pipeline.render.verify import BurnCheck, verify_burn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import build_zoo

pytestmark = pytest.mark.render
SAMPLE = Path(__file__).resolve().parents[1] / "assets" / "promo" / "promo.mp4"
NAMES = ("vfr_mp4", "camcorder_ts", "avi_wma", "interlaced_h264", "phone_rotated", "webm_browser")


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


def _times(path: Path, count: int, seed: int) -> tuple[list[float], int, Fraction]:
    """Times across the file (a few before and after it, some a frame apart, some 0.4 ms past a frame)."""
    media = probe(path)
    assert media.video is not None
    rng = random.Random(seed)
    dur = media.video_duration_ms
    times = [media.start_ms + rng.uniform(-40, dur + 40) for _ in range(count)]
    times += [times[0] + 1000 / float(media.fps or 25), media.start_ms, media.start_ms + dur - 1]
    table = read_frame_table(path)
    times += [float((table.pts[5] * table.time_base) * 1000) + 0.4]
    return times, media.video.index, media.sar


def _one_seek_each(path: Path, index: int, times: Sequence[float], sar: Fraction) -> list[Shown]:
    return [frames_shown(path, index, [t], sar)[0] for t in times]


def _played(path: Path, index: int, times: Sequence[float], until_ms: float = float("inf")) -> list[float]:
    """The oracle: decode from the start, as a player does; at each time the last frame that starts
    by it (0.5 ms slack), the first frame before that. Frame start times only."""
    with av.open(str(path)) as container:
        stream: Any = next(s for s in container.streams if s.index == index)
        starts = []
        frame: Any
        for frame in container.decode(stream):
            if frame.pts is not None:
                starts.append(float(frame.pts * frame.time_base) * 1000)
            if starts and starts[-1] > until_ms:
                break
    starts.sort()
    return [max([s for s in starts if s <= t + 0.5], default=starts[0]) for t in times]


def _same(got: Sequence[Shown], want: Sequence[Shown]) -> None:
    assert [g.pts_ms for g in got] == [w.pts_ms for w in want]
    assert all(np.array_equal(g.picture, w.picture) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_decoding_on_finds_the_frame_a_seek_finds(zoo: dict[str, Path], name: str) -> None:
    times, index, sar = _times(zoo[name], 14, seed=len(name))
    want = _one_seek_each(zoo[name], index, times, sar)
    assert [w.pts_ms for w in want] == _played(zoo[name], index, times)
    _same(frames_shown(zoo[name], index, times, sar), want)  # any order: sorted inside
    order = sorted(range(len(times)), key=lambda i: times[i])
    _same(list(iter_frames_shown(zoo[name], index, [times[i] for i in order], sar)), [want[i] for i in order])
    _same(list(iter_frames_shown(zoo[name], index, times, sar)), want)  # read lazily, unsorted: seeks back
    assert len({w.pts_ms for w in want}) > len(want) // 2  # the times do land on different frames


def test_decoding_on_across_keyframes_of_the_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample's keyframes are 6-8 s apart: with a long reach every time after the first is
    reached by decoding on, across keyframes, and must still match a seek."""
    media = probe(SAMPLE)
    assert media.video is not None
    times = [20_000 + 700.0 * i for i in range(16)]  # 20.0 .. 30.5 s: a keyframe or two in between
    want = _one_seek_each(SAMPLE, media.video.index, times, media.sar)
    assert [w.pts_ms for w in want] == _played(SAMPLE, media.video.index, times, until_ms=31_000)
    monkeypatch.setattr(frames, "CONTINUE_MS", 60_000.0)
    _same(frames_shown(SAMPLE, media.video.index, times, media.sar), want)


def test_a_time_before_the_first_frame_shows_the_first_frame(zoo: dict[str, Path]) -> None:
    media = probe(zoo["camcorder_ts"])
    assert media.video is not None
    first, again = frames_shown(
        zoo["camcorder_ts"], media.video.index, [media.start_ms - 500, media.start_ms], media.sar
    )
    assert first.pts_ms == again.pts_ms == pytest.approx(media.start_ms, abs=0.5)


def test_verify_reports_an_unreadable_file_instead_of_hanging(zoo: dict[str, Path], tmp_path: Path) -> None:
    """The source is decoded in a second thread; its failure must end the output's side too."""
    source = probe(zoo["vfr_mp4"])
    broken = tmp_path / "gone.mp4"
    broken.write_bytes(zoo["vfr_mp4"].read_bytes())
    check = BurnCheck("", (), [(500, 1500)])
    missing = dataclasses.replace(source, path=str(broken))
    broken.unlink()
    problems = verify_burn(source, missing, check)
    assert len(problems) == 1 and problems[0].startswith("cannot read the frames to compare")
    problems = verify_burn(missing, source, check)
    assert len(problems) == 1 and problems[0].startswith("cannot read the frames to compare")


def test_frame_check_passes_the_same_frames_in_another_time_base(zoo: dict[str, Path]) -> None:
    cut = zoo["vfr_mp4"]
    table = read_frame_table(cut)
    check_frames(cut, table)  # itself
    scale = 90  # the same instants in ticks 90 times finer (and an offset: times count from the first frame)
    finer = dataclasses.replace(table, pts=tuple(p * scale + 777 for p in table.pts), time_base=table.time_base / scale)
    check_frames(cut, finer)
    nudged = list(finer.pts)
    nudged[7] += scale // 2 - 1  # under half a tick of the cut: the same frame time
    check_frames(cut, dataclasses.replace(finer, pts=tuple(nudged)))


def test_frame_check_refuses_a_moved_or_missing_frame(zoo: dict[str, Path]) -> None:
    cut = zoo["vfr_mp4"]
    table = read_frame_table(cut)
    moved = list(table.pts)
    moved[40] += 2  # two ticks later
    with pytest.raises(VerifyError, match="frame 40 is at"):
        check_frames(cut, dataclasses.replace(table, pts=tuple(moved)))
    with pytest.raises(VerifyError, match="frames, the source has"):
        check_frames(cut, dataclasses.replace(table, pts=table.pts[:-1]))
