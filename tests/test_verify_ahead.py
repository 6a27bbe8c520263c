"""Issue 22: verification decodes the source's frames while the chunks are encoded, and each cut is
assembled as soon as its chunks are there; its check runs once the encodes are done.

Real chunked burns of the 15 s excerpt: a runner that encodes the chunks waits (up to a minute) for
the source's memo to have decoded a frame before it encodes anything, or holds back the last batch until
a cut has been assembled; without the work done ahead it gives up and the burn fails. The check planned
before the encode is the one made after it; mask renders run one at a time.
"""

from __future__ import annotations

import multiprocessing
import subprocess
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

import pytest

from pipeline.batch import burnchecks
from pipeline.batch.burnchecks import WHILE_ENCODING_BYTES
from pipeline.batch.burnstep import BurnOptions, burn_requests, burn_tracks_each
from pipeline.batch.rerun import PreviousCut, burn_check, check_cut, planned_check
from pipeline.batch.steps import build_tracks
from pipeline.core.filecache import sha256_file
from pipeline.ingest.segments import load_transcript
from pipeline.media.probe import probe
from pipeline.render import chunkburn, masks
from pipeline.render.batchrun import ChunkWork, ProcessRunner
from pipeline.render.burn import Encoder
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkpath import CHUNKED, CutRecord
from pipeline.render.frames import FrameMemo, frames_shown, prefetching
from pipeline.render.manifest import ManifestEntry
from pipeline.render.staging import PARTIAL_TAG
from pipeline.render.verify import source_memo

pytestmark = pytest.mark.render
T = TypeVar("T")
R = TypeVar("R")
FAST = Encoder(crf=30, preset="ultrafast")
WAIT_S = 60.0  # a bound on a wait for an event, not a measurement


class _AfterTheSource:
    """Encodes in a worker process, once the memo has decoded a frame (or never: it raises). A runner
    given to the burn is told the plan before it starts."""

    def __init__(self, memo: FrameMemo) -> None:
        self.memo, self.seen = memo, -1

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        ready = threading.Event()
        watch = threading.Thread(target=self._watch, args=(ready,), daemon=True)
        watch.start()
        if not ready.wait(WAIT_S):
            raise RuntimeError("the source's frames were not decoded while the chunks waited to be encoded")
        self.seen = self.memo.decoded
        yield from ProcessRunner(1).map(fn, items)

    def _watch(self, ready: threading.Event) -> None:
        for _ in range(int(WAIT_S * 20)):
            if self.memo.decoded:
                ready.set()
                return
            threading.Event().wait(0.05)


def test_the_sources_frames_are_decoded_while_the_chunks_are_encoded(
    clip15: Path, clip15_transcript: Path, tmp_path: Path
) -> None:
    media = probe(clip15)
    built = build_tracks(load_transcript(clip15_transcript), ["en"], {}, Fraction(30000, 1001))
    items = [(built["en"], tmp_path / "en.mp4")]
    with source_memo(media) as memo:
        runner = _AfterTheSource(memo)
        work = ChunkWork(runner, ChunkCache(tmp_path / "cache" / "chunks"))
        results = burn_tracks_each(clip15, media, items, {}, FAST, BurnOptions(work=work, source_frames=memo))
        assert results == [tmp_path / "en.mp4"]
        assert memo.hits >= 1  # the check found a frame decoded before the first chunk was encoded
    assert not [t for t in threading.enumerate() if t.name == "source-frames"]


def test_the_prefetch_ahead_stays_within_its_budget(clip15: Path) -> None:
    media = probe(clip15)
    assert media.video is not None
    times = [500.0 + 1000 * i for i in range(12)]
    frame_bytes = frames_shown(clip15, media.video.index, times[:1], media.sar)[0].picture.nbytes
    with source_memo(media) as memo:
        memo.plan(times)
        with prefetching(memo, True, 2 * frame_bytes):
            pass
        memo.prefetch(threading.Event(), 2 * frame_bytes)  # what the thread may not have reached
        assert memo.decoded == 2
        memo.prefetch(threading.Event())  # after the encodes: up to the memo's own budget
        assert memo.decoded == len(times)


def _record(keys: list[str]) -> CutRecord:
    return CutRecord(CHUNKED, "r", {}, keys, 0, [(i * 3000, i * 3000 + 3000) for i in range(len(keys))])


def _previous(keys: list[str], sha: str) -> PreviousCut:
    return PreviousCut(ManifestEntry("en/c.mp4", "burned", "en", 1, sha, True), {"recipe": "r", "chunks": keys})


def test_the_planned_check_is_the_check_made_after_the_burn(
    clip15: Path, clip15_transcript: Path, tmp_path: Path
) -> None:
    media = probe(clip15)
    built = build_tracks(load_transcript(clip15_transcript), ["en"], {}, Fraction(30000, 1001))
    (req,), (track,) = burn_requests(media, [(built["en"], tmp_path / "en.mp4")], {})
    partial = tmp_path / "cut.mp4"
    partial.write_bytes(b"cut")
    keys = ["a", "b", "c", "d"]
    for record, previous in [
        (_record(["a", "x", "y", "d"]), _previous(keys, "0")),  # two chunks changed: their window
        (_record(keys), None),  # no previous cut: all of it
        (_record(keys[:3]), _previous(keys, "0")),  # another plan: all of it
    ]:
        planned = planned_check(track, req, record, previous)
        assert planned is not None and planned == burn_check(track, req, partial, record, previous)
    # no chunk changed: nothing is planned; after the burn, the same bytes need no check, other bytes a full one
    assert planned_check(track, req, _record(keys), _previous(keys, "0")) is None
    assert burn_check(track, req, partial, _record(keys), _previous(keys, sha256_file(partial))) is None
    full = burn_check(track, req, partial, _record(keys), _previous(keys, "0"))
    assert full is not None and full.window_ms is None


def _double(item: int) -> int:
    return 2 * item


def test_a_process_runner_tells_it_started_once_its_workers_are_forked() -> None:
    """A thread the caller starts when told is not running while a worker forks (a fork copies a
    thread's locks mid-work): told once, with every worker already there."""
    told: list[int] = []
    results = list(
        ProcessRunner(2, lambda: told.append(len(multiprocessing.active_children()))).map(_double, [1, 2, 3])
    )
    assert results == [2, 4, 6]
    assert told == [2]


def test_the_local_workers_burn_with_the_sources_frames_decoded_ahead(
    clip15: Path, clip15_transcript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No runner given: the worker processes' runner starts the decoding once they are forked; frames are
    decoded by the time the encodes are done (before the checks and their own prefetch start)."""
    media = probe(clip15)
    built = build_tracks(load_transcript(clip15_transcript), ["en"], {}, Fraction(30000, 1001))
    work = ChunkWork(None, ChunkCache(tmp_path / "cache" / "chunks"))
    at_the_end: list[int] = []
    real = burnchecks.CutChecks.encodes_done

    def done(self: burnchecks.CutChecks) -> None:
        at_the_end.append(self.memo.decoded)
        real(self)

    monkeypatch.setattr(burnchecks.CutChecks, "encodes_done", done)
    with source_memo(media) as memo:
        options = BurnOptions(work=work, source_frames=memo)
        results = burn_tracks_each(clip15, media, [(built["en"], tmp_path / "en.mp4")], {}, FAST, options)
        assert results == [tmp_path / "en.mp4"]
    assert at_the_end and at_the_end[0] >= 1


def test_a_process_runner_given_tells_the_plan_once_its_workers_are_forked(
    clip15: Path, clip15_transcript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner of worker processes given by the caller: the checks are planned (the source's frames
    decoded ahead) once its workers are forked, as with the local workers; its own callback still runs."""
    media = probe(clip15)
    built = build_tracks(load_transcript(clip15_transcript), ["en"], {}, Fraction(30000, 1001))
    own: list[int] = []
    work = ChunkWork(ProcessRunner(1, lambda: own.append(1)), ChunkCache(tmp_path / "cache" / "chunks"))
    planned: list[int] = []
    real = burnchecks.CutChecks.planned

    def plan(self: burnchecks.CutChecks, records: Sequence[CutRecord]) -> Any:
        planned.append(len(multiprocessing.active_children()))
        return real(self, records)

    monkeypatch.setattr(burnchecks.CutChecks, "planned", plan)
    results = burn_tracks_each(clip15, media, [(built["en"], tmp_path / "en.mp4")], {}, FAST, BurnOptions(work=work))
    assert results == [tmp_path / "en.mp4"]
    assert planned == [1] and own == [1]


class _HoldsTheLastBatch:
    """Encodes in a worker process; hands the last batch's chunks over only once a cut has been assembled
    (while chunks were still being encoded), or raises; says whether it is still encoding."""

    def __init__(self, out: Path) -> None:
        self.out, self.encoding = out, False

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        self.encoding = True
        try:
            for n, result in enumerate(ProcessRunner(1).map(fn, items)):
                if n == len(items) - 1:
                    self._wait_for_a_cut()
                yield result
        finally:
            self.encoding = False

    def _wait_for_a_cut(self) -> None:
        for _ in range(int(WAIT_S * 20)):
            if any(PARTIAL_TAG in p.name for p in self.out.iterdir()):
                return
            threading.Event().wait(0.05)
        raise RuntimeError("no cut was assembled while the last batch's chunks were held back")


def test_a_cut_is_assembled_while_chunks_are_encoded_and_verified_once_they_are_done(
    clip15: Path, clip15_transcript: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory: the chunk workers hold theirs, so no check runs meanwhile; the memo holds less meanwhile."""
    media = probe(clip15)
    langs = ["en", "fr", "es"]
    built = build_tracks(load_transcript(clip15_transcript), langs, {}, Fraction(30000, 1001))
    runner = _HoldsTheLastBatch(tmp_path)
    during: list[tuple[bool, int]] = []

    def check(*args: Any) -> list[str]:
        during.append((runner.encoding, args[3].budget))
        return check_cut(*args)

    monkeypatch.setattr(burnchecks, "check_cut", check)
    monkeypatch.setattr(chunkburn, "lane_width", lambda *_args: 1)  # one language per batch, as at 720p on 2 cores
    work = ChunkWork(runner, ChunkCache(tmp_path / "cache" / "chunks"))
    items = [(built[lang], tmp_path / f"{lang}.mp4") for lang in langs]
    with source_memo(media) as memo:
        own = memo.budget
        planned: list[int] = []
        real_plan = burnchecks.CutChecks.planned

        def plan(self: burnchecks.CutChecks, records: Sequence[CutRecord]) -> Any:
            found = real_plan(self, records)
            planned.append(self.memo.budget)
            return found

        monkeypatch.setattr(burnchecks.CutChecks, "planned", plan)
        assert burn_tracks_each(clip15, media, items, {}, FAST, BurnOptions(work=work, source_frames=memo))
        assert memo.budget == own  # a memo given gets its own budget back
    assert planned == [min(own, WHILE_ENCODING_BYTES)]
    assert len(during) == len(langs) and not any(encoding for encoding, _budget in during)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "en.mp4", "es.mp4", "fr.mp4"]  # no partial left


def test_masks_are_rendered_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory: a mask ffmpeg with a CJK font holds 130-180 MiB. The first render waits (2 s at most) for a
    second one to join it: none may."""
    real = subprocess.run
    running: list[int] = []
    second = threading.Event()

    def run(*args: Any, **kwargs: Any) -> Any:
        running.append(1)
        try:
            if len(running) == 1:
                second.wait(2.0)
            else:
                second.set()
            return real(*args, **kwargs)
        finally:
            running.append(-1)

    monkeypatch.setattr(subprocess, "run", run)  # the module masks calls it through
    doc = "[Script Info]\nPlayResX: 64\nPlayResY: 36\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
    doc += "Style: Default,Noto Sans,20\n\n[Events]\nFormat: Layer, Start, End, Style, Text\n"
    doc += "Dialogue: 0,0:00:00.00,0:00:02.00,Default,Hi\n"
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(masks.render_masks, doc, ["noto-sans"], (64, 36), (64, 36), [500.0]) for _ in range(2)]
        assert all(len(f.result()) == 1 for f in done)
    assert max(sum(running[: k + 1]) for k in range(len(running))) == 1
