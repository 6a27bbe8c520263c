"""Issue 22: the cuts of one burn are verified at once, sharing the source's frames.

Real burns of the 15 s excerpt (real ffmpeg, real decoding): the source is decoded once for two
languages with the same cue times (counted by the memo itself), a cut with a subtitle missing or
with another text is still caught when verified among others, results keep the request order, and
an interrupt waits for the verifications running before it removes the partial files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import random
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.batch import burnchecks
from pipeline.batch.burnchecks import verify_cuts
from pipeline.batch.burnstep import BurnOptions, burn_requests, burn_tracks, burn_tracks_each
from pipeline.batch.rerun import check_cut
from pipeline.batch.steps import LangTrack, build_tracks
from pipeline.core.cues import Track
from pipeline.core.errors import VerifyError
from pipeline.ingest.segments import load_transcript
from pipeline.media.probe import MediaInfo, probe
from pipeline.render.burn import Encoder
from pipeline.render.chunkpath import CHUNKED, CutRecord
from pipeline.render.frames import FrameMemo, frames_shown, prefetching
from pipeline.render.staging import PARTIAL_TAG
from pipeline.render.verify import BurnCheck, source_memo, source_times, verify_burn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import build_zoo

pytestmark = pytest.mark.render
NTSC = Fraction(30000, 1001)
FAST = Encoder(crf=30, preset="ultrafast")


@dataclasses.dataclass(frozen=True)
class Langs:
    """English; "twin": French with English's cue times and other text; "gapped": English without cue 1."""

    en: LangTrack
    twin: LangTrack
    gapped: LangTrack


@pytest.fixture(scope="module")
def langs(clip15_transcript: Path) -> Langs:
    built = build_tracks(load_transcript(clip15_transcript), ["en", "fr"], {}, NTSC)
    en = built["en"]
    assert len(en.track.cues) >= 3
    shouted = tuple(dataclasses.replace(c, lines=tuple(line.upper() for line in c.lines)) for c in en.track.cues)
    twin = LangTrack(Track("fr", shouted, en.track.fps), built["fr"].profile)
    gapped = LangTrack(Track("en", en.track.cues[:1] + en.track.cues[2:], en.track.fps), en.profile)
    return Langs(en, twin, gapped)


@pytest.fixture(scope="module")
def cuts(clip15: Path, langs: Langs, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each track burned (and verified against itself) in one burn."""
    out = tmp_path_factory.mktemp("cuts")
    names = ("en", "twin", "gapped")
    items = [(getattr(langs, name), out / f"{name}.mp4") for name in names]
    return dict(zip(names, burn_tracks(clip15, probe(clip15), items, {}, FAST), strict=True))


def _checks(media: MediaInfo, items: list[tuple[LangTrack, Path]]) -> list[BurnCheck]:
    requests, tracks = burn_requests(media, items, {})
    return [
        BurnCheck(r.ass_text, (r.font_key,), [(c.start_ms, c.end_ms) for c in t.cues])
        for r, t in zip(requests, tracks, strict=True)
    ]


def test_the_source_is_decoded_once_for_languages_with_the_same_cue_times(
    clip15: Path, langs: Langs, cuts: dict[str, Path], tmp_path: Path
) -> None:
    media = probe(clip15)
    assert media.video is not None
    items = [(langs.en, tmp_path / "en.mp4"), (langs.twin, tmp_path / "fr.mp4")]
    en_check, twin_check = _checks(media, items)
    times = source_times(media, en_check)
    assert times == source_times(media, twin_check) and len(times) >= 3
    frames = {f.pts_ms for f in frames_shown(clip15, media.video.index, times, media.sar)}
    with source_memo(media) as memo:
        results = burn_tracks_each(clip15, media, items, {}, FAST, BurnOptions(source_frames=memo))
    assert results == [target for _item, target in items]
    assert memo.decoded == len(frames)  # each of the source's frames once, for both languages
    assert memo.hits >= 2 * len(times) - memo.decoded  # every other ask answered without the decoder


def test_broken_cuts_are_caught_among_others_and_results_keep_request_order(
    clip15: Path, langs: Langs, cuts: dict[str, Path], tmp_path: Path
) -> None:
    media = probe(clip15)
    # (track the cut must show, the cut given as its partial): pass, a cue missing, pass, another text
    plan = [(langs.en, "en"), (langs.en, "gapped"), (langs.twin, "twin"), (langs.en, "twin"), (langs.twin, "en")]
    items = [(item, tmp_path / f"out{i}.mp4") for i, (item, _cut) in enumerate(plan)]
    requests, tracks = burn_requests(media, items, {})
    partials = [tmp_path / f".out{i}{PARTIAL_TAG}{i:08d}.mp4" for i in range(len(plan))]
    for partial, (_item, cut) in zip(partials, plan, strict=True):
        shutil.copyfile(cuts[cut], partial)
    serial = [verify_burn(probe(p), media, c) for p, c in zip(partials, _checks(media, items), strict=True)]
    made = [CutRecord(CHUNKED, "", {}) for _ in plan]
    with source_memo(media) as memo:
        results = verify_cuts(media, tracks, requests, partials, made, {}, memo)
    assert [str(r if isinstance(r, Path) else r.path) for r in results] == [str(target) for _item, target in items]
    assert [isinstance(r, VerifyError) for r in results] == [False, True, False, True, True]
    gap = results[1]
    assert isinstance(gap, VerifyError)
    assert len(gap.problems) == 1 and gap.problems[0].startswith("subtitle text missing at"), gap.problems
    assert any("unexpected marks" in p for r in results[3:] if isinstance(r, VerifyError) for p in r.problems)
    # the same judgement as each cut verified alone, decoding the source itself
    assert [r.problems if isinstance(r, VerifyError) else [] for r in results] == serial
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out0.mp4", "out2.mp4"]  # no partial left
    assert not _prefetching()  # the source's prefetch stopped and joined


def test_an_interrupt_waits_for_the_running_verifications_then_leaves_no_partial(
    clip15: Path, langs: Langs, cuts: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C lands in one verification (the fault injected); the one running beside it is real."""
    real = check_cut
    calls: list[int] = []
    finished: list[bool] = []
    lock = threading.Lock()

    def interrupted(media: MediaInfo, partial: Path, check: BurnCheck, memo: FrameMemo | None) -> list[str]:
        with lock:
            calls.append(len(calls))
            n = calls[-1]
        if n == 0:  # the first cut: Ctrl-C once the next one's verification is under way
            time.sleep(0.3)
            raise KeyboardInterrupt
        found = real(media, partial, check, memo)
        finished.append(partial.exists())  # still there when it ended: not removed under it
        return found

    monkeypatch.setattr(burnchecks, "check_cut", interrupted)
    media = probe(clip15)
    items = [(langs.en, tmp_path / "a.mp4"), (langs.twin, tmp_path / "b.mp4"), (langs.en, tmp_path / "c.mp4")]
    with pytest.raises(KeyboardInterrupt):
        burn_tracks_each(clip15, media, items, {}, FAST)
    assert finished and all(finished)
    assert list(tmp_path.iterdir()) == []  # no partial, and no cut committed
    assert not _prefetching()


def _prefetching() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "source-frames"]


@pytest.mark.parametrize("name", ["vfr_mp4", "camcorder_ts", "avi_wma"])
def test_the_memo_answers_what_a_fresh_decoder_finds(zoo_dir: Path, name: str) -> None:
    """Asked from two threads in any order, planned or not, twice: the frames a seek finds; the second
    round comes from the memo alone."""
    path = build_zoo(zoo_dir, [name])[name]
    media = probe(path)
    assert media.video is not None
    rng = random.Random(7)
    dur = media.video_duration_ms
    times = [media.start_ms + rng.uniform(0, dur) for _ in range(12)]
    times += [media.start_ms - 300, media.start_ms + dur + 300]  # before the first frame, after the last
    want = {t: frames_shown(path, media.video.index, [t], media.sar)[0] for t in times}
    with FrameMemo(path, media.video.index, media.sar) as memo, ThreadPoolExecutor(2) as pool:
        memo.plan(times[::2])
        for _round in range(2):
            shuffled = rng.sample(times, len(times))
            got: list[Any] = list(pool.map(memo.shown_at, shuffled))
            for t, shown in zip(shuffled, got, strict=True):
                assert shown.pts_ms == want[t].pts_ms and np.array_equal(shown.picture, want[t].picture), t
            if _round == 0:
                decoded = memo.decoded
        assert memo.decoded == decoded  # nothing decoded again
        assert decoded <= len({w.pts_ms for w in want.values()}) + 2  # each frame about once


def test_prefetched_frames_are_the_ones_a_fresh_decoder_finds(clip15: Path) -> None:
    """What :meth:`FrameMemo.prefetch` decodes ahead (while the cuts are probed) is what the checks then ask for."""
    media = probe(clip15)
    assert media.video is not None
    times = [1000.0, 2500.0, 7000.0, 7033.4, 12000.0]
    want = frames_shown(clip15, media.video.index, times, media.sar)
    with source_memo(media) as memo:
        memo.plan(times)
        memo.prefetch(threading.Event())
        ahead = memo.decoded
        got = [memo.shown_at(t) for t in times]
        assert memo.decoded == ahead and memo.hits == len(times)  # every ask answered from what was decoded ahead
    assert [g.pts_ms for g in got] == [w.pts_ms for w in want]
    assert all(np.array_equal(g.picture, w.picture) for g, w in zip(got, want, strict=True))
    stop = threading.Event()
    stop.set()
    with source_memo(media) as memo:
        memo.plan(times)
        memo.prefetch(stop)
        assert memo.decoded == 0


def test_prefetch_stops_where_the_budget_is_full(clip15: Path) -> None:
    """Past the budget a prefetched picture would push out one no check has taken yet (decoded twice)."""
    media = probe(clip15)
    assert media.video is not None
    times = [500.0 + 1000 * i for i in range(12)]
    frame_bytes = frames_shown(clip15, media.video.index, times[:1], media.sar)[0].picture.nbytes
    with FrameMemo(media.path, media.video.index, media.sar, budget=3 * frame_bytes) as memo:
        memo.plan(times)
        memo.prefetch(threading.Event())
        assert memo.decoded == 3
        assert [memo.shown_at(t).pts_ms for t in times[:3]] and memo.decoded == 3 and memo.hits == 3


def test_the_prefetch_thread_is_stopped_and_joined_whatever_ends_the_block(clip15: Path) -> None:
    media = probe(clip15)
    times = [40.0 * i for i in range(300)]  # every frame of 12 s: still decoding when the block ends
    for fail in (False, True):
        with source_memo(media) as memo:
            memo.plan(times)
            with pytest.raises(RuntimeError) if fail else contextlib.nullcontext(), prefetching(memo):
                assert _prefetching()
                if fail:
                    raise RuntimeError("a check could not be submitted")
            assert not _prefetching()
            assert memo.decoded < len(times)
