"""The Dask executor on a real LocalCluster (loopback only): same outputs as a local run, failures recorded,
a worker that cannot see an input fails fast and clearly, and a local run never imports Dask."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import dask
import psutil
import pytest

from pipeline.batch.distributed import DaskExecutor
from pipeline.batch.executor import CLUSTER_CACHE, LocalExecutor, TaskProgress
from pipeline.batch.run import run_job
from pipeline.core.errors import ClusterError, SharedPathError
from pipeline.ingest.job import parse_job

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed_util import comparable, die, identity, job_text, make_inputs, partials

pytestmark = pytest.mark.render


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    return make_inputs(tmp_path_factory.mktemp("dask-inputs"), 2)


@pytest.fixture(scope="module")
def local_run(inputs: list[tuple[Path, Path]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The outputs' digests of the job run here, without Dask."""
    base = tmp_path_factory.mktemp("dask-local")
    result = run_job(parse_job(job_text(base / "out", inputs), base / "job.toml"))
    assert result.ok, [v.failures for v in result.videos]
    return comparable(base / "out")


@pytest.fixture(scope="module")
def cluster() -> Iterator[DaskExecutor]:
    with DaskExecutor.local(2) as executor:
        yield executor


def test_local_cluster_gives_the_local_runs_bytes(
    cluster: DaskExecutor,
    inputs: list[tuple[Path, Path]],
    local_run: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SUBPIPE_CACHE")  # the cluster's default: a chunk cache under the output folder (empty)
    seen: list[TaskProgress] = []
    chunks: list[TaskProgress] = []
    cluster.on_progress, cluster.on_chunks = seen.append, chunks.append
    try:
        result = run_job(parse_job(job_text(tmp_path / "out", inputs), tmp_path / "job.toml"), executor=cluster)
    finally:
        cluster.on_progress = cluster.on_chunks = None
    assert result.ok, [v.failures for v in result.videos]
    assert [v.name for v in result.videos] == ["v0", "v1"]  # the job's order, whatever order they finished in
    digests = comparable(tmp_path / "out")
    assert len(digests) == len(local_run) >= 2 * 9
    assert digests == local_run
    assert [(p.done, p.total) for p in seen] == [(1, 2), (2, 2)]
    assert chunks and chunks[-1].done == chunks[-1].total > 0  # the burns' chunk counts reached the client
    assert all(key.startswith(f"chunk-{cluster.token}-") for key in cluster.chunk_workers)
    assert not partials(tmp_path / "out")
    assert list((tmp_path / "out" / CLUSTER_CACHE / "chunks").glob("??/*.mp4"))  # the cluster's cache: shared


def test_content_failure_is_recorded_not_retried(
    cluster: DaskExecutor, inputs: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    # Korean forced onto a Latin-only font: that burn fails on the worker and comes back as a recorded failure.
    text = job_text(tmp_path / "out", inputs[:1]) + '[profile.ko]\nfont = "noto-sans"\n'
    video = run_job(parse_job(text, tmp_path / "job.toml"), executor=cluster).videos[0]
    assert list(video.failures) == ["ko/burn"] and "lacks" in video.failures["ko/burn"]
    assert (tmp_path / "out" / "v0" / "en" / "v0.en.mp4").is_file()


def test_a_worker_that_cannot_see_a_path_fails_fast_naming_it(cluster: DaskExecutor, tmp_path: Path) -> None:
    missing = tmp_path / "not-mounted" / "talk.mp4"
    started = time.monotonic()
    with pytest.raises(SharedPathError) as caught:
        cluster.map(identity, [1, 2], ["a", "b"], [[tmp_path], [missing]])
    assert time.monotonic() - started < 10
    assert caught.value.path == str(missing)
    assert "127.0.0.1" in str(caught.value.host) and str(missing) in str(caught.value)
    assert cluster.map(identity, [3], ["c"], [[tmp_path]]) == [3]  # the cluster is still usable


def test_local_executor_runs_in_order_and_reports() -> None:
    seen: list[TaskProgress] = []
    assert LocalExecutor(seen.append).map(identity, [5, 6], ["a", "b"], [[], []]) == [5, 6]
    assert [(p.done, p.total) for p in seen] == [(1, 2), (2, 2)]
    assert TaskProgress(1, 4, 10.0).eta_s == 30.0 and TaskProgress(0, 4, 1.0).eta_s is None


def test_a_local_run_never_imports_dask(inputs: list[tuple[Path, Path]], tmp_path: Path) -> None:
    job = tmp_path / "job.toml"
    job.write_text(job_text(tmp_path / "out", inputs[:1]), encoding="utf-8")
    code = (
        "import sys\nfrom pipeline.cli.main import main\n"
        f"assert main(['-q', 'run', {str(job)!r}]) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_cli_run_with_workers(
    inputs: list[tuple[Path, Path]],
    local_run: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pipeline.cli.main import main

    job = tmp_path / "job.toml"
    job.write_text(job_text(tmp_path / "out", inputs), encoding="utf-8")
    monkeypatch.delenv("SUBPIPE_CACHE")  # a fresh cache under the output folder: chunks to encode
    assert main(["run", str(job), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "dashboard: http://127.0.0.1:" in err
    assert "videos 1/2 done" in err and "ETA" in err and "videos 2/2 done" in err
    assert re.search(r"chunks (\d+)/\1 done", err)  # chunk encodes over the cluster, to the last
    assert comparable(tmp_path / "out") == local_run
    assert main(["run", str(job), "--workers", "0"]) == 2
    assert main(["run", str(job), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"]) == 2


def test_ctrl_c_cancels_the_jobs_tasks(cluster: DaskExecutor) -> None:
    def interrupt(_state: TaskProgress) -> None:
        raise KeyboardInterrupt

    cluster.on_progress = interrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            cluster.map(time.sleep, [0.0, 1.5, 1.5, 1.5], ["s0", "s1", "s2", "s3"], [[], [], [], []])
    finally:
        cluster.on_progress = None
    deadline = time.monotonic() + 20  # running sleeps end on their own; a loaded machine reports them late
    while any(cluster.client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(cluster.client.processing().values())


def test_a_task_that_keeps_killing_workers_is_given_up(tmp_path: Path) -> None:
    config = dask.config.set({"distributed.scheduler.allowed-failures": 0})
    with config, DaskExecutor.local(1) as executor, pytest.raises(ClusterError) as caught:
        executor.map(die, [1], ["killer"], [[tmp_path]])
    assert "killer" in str(caught.value)


def test_ctrl_c_on_the_cli_closes_the_cluster_it_started(
    inputs: list[tuple[Path, Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.cli import cluster as cli_cluster
    from pipeline.cli.main import main

    def interrupt(self: object, state: TaskProgress) -> None:
        # Ctrl-C reaches the main thread only; the chunk progress runs in the client's event thread, where a
        # KeyboardInterrupt would stop Dask's event loop (and the run would wait forever): not what a user can do.
        if threading.current_thread() is threading.main_thread():
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_cluster.ClusterProgress, "__call__", interrupt)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    job = tmp_path / "job.toml"
    job.write_text(job_text(tmp_path / "out", inputs), encoding="utf-8")
    assert main(["run", str(job), "--workers", "2"]) == 130
    deadline = time.monotonic() + 10
    while {p.pid for p in psutil.Process().children(recursive=True)} - before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not {p.pid for p in psutil.Process().children(recursive=True)} - before


def test_the_dashboard_answers(cluster: DaskExecutor) -> None:
    assert cluster.dashboard is not None and cluster.dashboard.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(cluster.dashboard, timeout=30) as page:  # bokeh serves it
        assert page.status == 200 and b"Bokeh" in page.read()
