"""Where chunk batches run and where a cluster's chunks live, without Dask: the thread runner keeps order and
stops early when closed; the shared cache cleans only its own machine's dead work folders; a cluster run's
cache is under the output folder unless SUBPIPE_CACHE says otherwise, and a video's task must see it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline.batch.executor import CLUSTER_CACHE, SharedChunkCache, cluster_cache_root, video_needs
from pipeline.ingest.job import parse_job
from pipeline.render.batchrun import ChunkWork, ThreadRunner


def test_thread_runner_yields_in_order_whatever_finishes_first() -> None:
    def slow_first(x: int) -> int:
        time.sleep(0.2 if x == 0 else 0.0)
        return x * 10

    assert list(ThreadRunner(3).map(slow_first, [0, 1, 2, 3])) == [0, 10, 20, 30]


def test_thread_runner_closed_early_starts_no_more() -> None:
    started: list[int] = []
    gate = threading.Event()

    def work(x: int) -> int:
        started.append(x)
        gate.wait(5)
        return x

    results = ThreadRunner(1).map(work, list(range(6)))
    gate.set()
    assert next(results) == 0
    results.close()  # what an error (or Ctrl-C) in the consumer does
    assert len(started) <= 2  # the running one ended; the queued ones never started


def test_thread_runner_raises_at_the_failing_item() -> None:
    def boom(x: int) -> int:
        if x == 1:
            raise ValueError("item 1")
        return x

    results = ThreadRunner(2).map(boom, [0, 1, 2])
    assert next(results) == 0
    with pytest.raises(ValueError, match="item 1"):
        next(results)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_shared_cache_cleans_only_its_machines_dead_work_folders(tmp_path: Path) -> None:
    cache = SharedChunkCache(tmp_path)
    with cache.workdir() as mine:
        host = mine.name.split("-", 1)[0].partition("@")[2]
        dead_here = cache.tmp_root / f"{_dead_pid()}@{host}-x"
        other_machine = cache.tmp_root / f"{_dead_pid()}@000000000000-x"  # its pid means nothing here
        plain = cache.tmp_root / f"{_dead_pid()}-x"  # a local render's folder: the plain cache's to clean
        for folder in (dead_here, other_machine, plain):
            folder.mkdir()
        assert cache.clean_stale() == 1
        assert not dead_here.exists()
        assert mine.is_dir() and other_machine.is_dir() and plain.is_dir()  # a live render's folder is kept
    assert not mine.exists()


def test_a_cluster_runs_cache_is_under_the_output_folder_unless_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, transcript = tmp_path / "v.mp4", tmp_path / "v.json"
    text = f'output_dir = "{tmp_path / "out"}"\n[[videos]]\nvideo = "{video}"\ntranscript = "{transcript}"\n'
    text += 'languages = ["en"]\n'
    job = parse_job(text, tmp_path / "job.toml")
    monkeypatch.delenv("SUBPIPE_CACHE", raising=False)
    assert cluster_cache_root(job) == tmp_path / "out" / CLUSTER_CACHE
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "shared-cache"))
    root = cluster_cache_root(job)
    assert root == tmp_path / "shared-cache"
    needs = video_needs(job, job.videos[0], ChunkWork(cache=SharedChunkCache(root)))
    assert needs[-1] == root and video in needs  # a worker that cannot see the cache fails like for an input
    assert root not in video_needs(job, job.videos[0])  # a local run's cache is nobody else's business
