"""A real cluster from the command line (`dask scheduler`, two `dask worker`, all on 127.0.0.1): a worker
SIGKILLed while it runs a chunk task, and the job still completes with the local run's outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from distributed import Client

from pipeline.batch.distributed import DaskExecutor
from pipeline.batch.distributed.tasks import JobStoppedError, stop_event
from pipeline.batch.executor import CLUSTER_CACHE, SharedChunkCache
from pipeline.batch.results import JobResult
from pipeline.batch.run import run_job
from pipeline.core.errors import SharedPathError
from pipeline.ingest.job import parse_job

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed_util import comparable, job_text, make_inputs, partials

pytestmark = pytest.mark.render
DASK = str(Path(sys.executable).parent / "dask")


@dataclass
class SlowJob:
    """Two 12 s clips with a keyframe a second, in a job whose chunk tasks last seconds (veryslow, crf 18); the
    outputs of its local run are made on first use, once per module (only a test that has a final cut to compare
    needs them)."""

    folder: Path
    inputs: list[tuple[Path, Path]]
    made: list[Path] = field(default_factory=list)

    def text(self, out: Path) -> str:
        """The job, writing to ``out``."""
        return job_text(out, self.inputs).replace('"ultrafast"', '"veryslow"').replace("crf = 30", "crf = 18")

    def local(self) -> Path:
        """The output folder of the job run locally (in this process, with a chunk cache of its own)."""
        if not self.made:
            out = self.folder / "local"
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("SUBPIPE_CACHE", str(self.folder / "cache"))
                assert run_job(parse_job(self.text(out), self.folder / "job.toml")).ok
            self.made.append(out)
        return self.made[0]


@pytest.fixture(scope="module")
def slow_job(tmp_path_factory: pytest.TempPathFactory) -> SlowJob:
    folder = tmp_path_factory.mktemp("slow")
    return SlowJob(folder, make_inputs(folder / "in", 2, seconds=12, gop=25))


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each process group we started (the worker's children and ffmpeg with it), then SIGKILL."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
        with suppress(ProcessLookupError):  # whatever is left of the group (a killed worker's orphaned ffmpeg)
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextmanager
def cli_cluster(folder: Path, workers: int, wrap: tuple[str, ...] = ()) -> Iterator[str]:
    """``dask scheduler --port 0`` and ``workers`` x ``dask worker --nthreads 1`` (each run under ``wrap``);
    yields the scheduler's address."""
    scheduler_file = folder / "scheduler.json"
    procs: list[subprocess.Popen[bytes]] = []

    def start(*argv: str) -> None:
        with (folder / f"proc{len(procs)}.log").open("wb") as log:
            procs.append(subprocess.Popen([*argv], stdout=log, stderr=log, start_new_session=True))

    try:
        start(
            DASK,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
        )
        deadline = time.monotonic() + 30
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(workers):
            start(*wrap, DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard")
        yield address
    finally:
        _stop(procs)


def _kill_a_worker_mid_chunk(client: Client, pids: dict[str, int], timeout_s: float = 120) -> str:
    """Wait until a chunk task is running, SIGKILL the worker running it; return that task's key."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for addr, keys in client.processing().items():
            chunk = next((str(k) for k in keys if str(k).startswith("chunk-")), None)
            if chunk is not None:
                os.kill(pids[addr], signal.SIGKILL)
                return chunk
        time.sleep(0.01)
    raise AssertionError("no chunk task was seen running")


@pytest.mark.soak  # about 11 s: make test-soak, which CI runs after make test
def test_a_worker_killed_mid_chunk_and_the_job_completes_identically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_inputs(tmp_path / "in", 3, seconds=12, gop=25)  # a keyframe a second: several chunk tasks each
    local = run_job(parse_job(job_text(tmp_path / "local", inputs), tmp_path / "job.toml"))
    assert local.ok
    out = tmp_path / "dask"
    job = parse_job(job_text(out, inputs), tmp_path / "job.toml")
    monkeypatch.delenv("SUBPIPE_CACHE")  # the cluster's chunk cache: under the output folder, empty
    with cli_cluster(tmp_path, workers=2) as address, Client(address) as client:
        client.wait_for_workers(2, timeout=60)
        pids: dict[str, int] = client.run(os.getpid)
        results: list[JobResult] = []
        with DaskExecutor.connect(address) as executor:
            runner = threading.Thread(target=lambda: results.append(run_job(job, executor=executor)))
            runner.start()
            killed = _kill_a_worker_mid_chunk(client, pids)
            runner.join(timeout=180)
            time.sleep(0.5)  # the last chunk events
            ran_on = set(executor.chunk_workers.values())
        assert results, "the job did not finish"
        assert set(client.run(os.getpid).values()) != set(pids.values())  # the nanny restarted the killed one
    result = results[0]
    assert result.ok, [v.failures for v in result.videos]
    assert killed.startswith("chunk-") and len(ran_on) >= 2  # chunk tasks of the job ran on several workers
    assert comparable(out) == comparable(tmp_path / "local")
    assert not partials(out)
    cache = SharedChunkCache(out / CLUSTER_CACHE)
    assert cache.entries() and all(cache.get(e.key) == e.path for e in cache.entries())  # every entry intact
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("proc*.log"))
    assert "killed by signal 9" in logs  # the nanny saw its worker die mid-chunk, and restarted it


def _hiding(folder: Path) -> tuple[str, ...]:
    """A command prefix that runs its command in a mount namespace where ``folder`` is an empty tmpfs."""
    probe = ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs none '{folder}'"]
    if subprocess.run(probe, capture_output=True).returncode != 0:
        pytest.skip("needs unshare and mount namespaces (to hide a folder from one worker)")
    return ("unshare", "-rm", "sh", "-c", f'mount -t tmpfs none \'{folder}\' && exec "$0" "$@"')


def test_a_worker_that_cannot_see_the_inputs_fails_the_job_clearly(tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", 1, seconds=1)
    job = parse_job(job_text(tmp_path / "out", inputs), tmp_path / "job.toml")
    hide = _hiding(tmp_path / "in")
    with cli_cluster(tmp_path, workers=1, wrap=hide) as address, DaskExecutor.connect(address) as executor:
        executor.client.wait_for_workers(1, timeout=60)
        started = time.monotonic()
        with pytest.raises(SharedPathError) as caught:
            run_job(job, executor=executor)
    assert time.monotonic() - started < 10
    assert caught.value.path == str(inputs[0][0]) and "127.0.0.1" in str(caught.value.host)
    assert "shared storage" in str(caught.value)


def _sigint_default() -> None:
    """In the run's process before it starts: SIGINT handled as in a terminal's program, even when the tests run with
    it ignored (a runner started in the background of a script passes that on, and the run would not stop)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _session(sid: int) -> list[psutil.Process]:
    """The live processes of session ``sid`` (a process started with ``start_new_session`` and its descendants)."""
    found = []
    for proc in psutil.process_iter():
        with suppress(psutil.Error, ProcessLookupError):
            if os.getsid(proc.pid) == sid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
    return found


@pytest.mark.soak  # about 30 s for both: make test-soak, which CI runs after make test
@pytest.mark.parametrize("whole_group", [False, True], ids=["kill-INT", "terminal-ctrl-c"])
def test_ctrl_c_on_a_cluster_run_stops_its_work_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_job: SlowJob, whole_group: bool
) -> None:
    out = tmp_path / "dask"
    job = tmp_path / "job.toml"
    job.write_text(slow_job.text(out), encoding="utf-8")
    monkeypatch.delenv("SUBPIPE_CACHE")  # the chunk cache under the output folder: empty, and watched below
    with (tmp_path / "run.log").open("wb") as log:
        argv = [sys.executable, "-m", "pipeline", "run", str(job), "--workers", "2"]
        proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, preexec_fn=_sigint_default)
    try:
        deadline = time.monotonic() + 120
        while not list(out.glob(".subpipe-cache/tmp/*/*.mp4")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before a chunk was being encoded"
        if whole_group:  # a terminal's Ctrl-C: the run, its LocalCluster's workers and their ffmpeg
            os.killpg(proc.pid, signal.SIGINT)
        else:  # what `kill -INT` does
            proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=120)
    finally:
        _stop([proc])
    assert code == 130, (tmp_path / "run.log").read_text(errors="replace")
    said = (tmp_path / "run.log").read_text(errors="replace")
    assert "interrupted" in said and "Traceback" not in said and "Exception ignored" not in said, said
    deadline = time.monotonic() + 10
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _session(proc.pid)  # no worker, no ffmpeg left
    assert not partials(out)
    finals = [p for p in out.rglob("*.mp4") if CLUSTER_CACHE not in p.parts]
    for final in finals:  # whatever reached a final name is whole: the local run's bytes
        assert final.read_bytes() == (slow_job.local() / final.relative_to(out)).read_bytes()


@pytest.mark.soak  # about 4 s: make test-soak, which CI runs after make test
def test_ctrl_c_while_the_local_cluster_starts_leaves_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A terminal's Ctrl-C (the whole group) as soon as the first worker is being spawned: the workers
    start with SIGINT ignored, so none dies in its start-up ("Nanny failed to start", a traceback
    of Python's site import). The client ignores it for those seconds too: the run either ends
    whole (0) or, signalled just after, stops (130); cleanly either way."""
    inputs = make_inputs(tmp_path / "in", 1, seconds=6, gop=25)
    job = tmp_path / "job.toml"
    job.write_text(job_text(tmp_path / "out", inputs), encoding="utf-8")
    monkeypatch.delenv("SUBPIPE_CACHE")
    with (tmp_path / "run.log").open("wb") as log:
        argv = [sys.executable, "-m", "pipeline", "run", str(job), "--workers", "2"]
        proc = subprocess.Popen(argv, stdout=log, stderr=log, start_new_session=True, preexec_fn=_sigint_default)
    try:
        deadline = time.monotonic() + 60
        while not _spawned_worker(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.002)
        assert proc.poll() is None and "dashboard:" not in (tmp_path / "run.log").read_text(errors="replace")
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=120)
    finally:
        _stop([proc])
    said = (tmp_path / "run.log").read_text(errors="replace")
    assert code in (0, 130), said
    assert "Traceback" not in said and "Exception ignored" not in said and "Fatal" not in said, said
    deadline = time.monotonic() + 10
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _session(proc.pid)
    assert not partials(tmp_path / "out")


def _spawned_worker(pid: int) -> bool:
    """Whether ``pid`` has a child that multiprocessing spawned (a LocalCluster's worker), from
    ``/proc/PID/task/*/children``: polled every 2 ms, psutil's ``children()`` (a scan of every process, 1.3 ms
    with 76 of them) took half a core from the start-up this test times its Ctrl-C by, on a 2-core machine."""
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with suppress(OSError):
            for child in children.read_text().split():
                with suppress(OSError):
                    if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                        return True
    return False


def test_a_worker_that_cannot_see_the_chunk_cache_fails_the_job_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_inputs(tmp_path / "in", 1, seconds=1)
    job = parse_job(job_text(tmp_path / "out", inputs), tmp_path / "job.toml")
    cache = tmp_path / "shared" / "cache"
    cache.mkdir(parents=True)
    monkeypatch.setenv("SUBPIPE_CACHE", str(cache))  # the cluster's chunk cache: here, but not on the worker
    hide = _hiding(tmp_path / "shared")
    with cli_cluster(tmp_path, workers=1, wrap=hide) as address, DaskExecutor.connect(address) as executor:
        executor.client.wait_for_workers(1, timeout=60)
        with pytest.raises(SharedPathError) as caught:
            run_job(job, executor=executor)
    assert caught.value.path == str(cache) and "127.0.0.1" in str(caught.value.host)


@pytest.mark.soak  # about 8 s: make test-soak, which CI runs after make test
def test_a_stopped_job_ends_its_chunk_tasks_on_a_running_cluster_and_keeps_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slow_job: SlowJob
) -> None:
    job = parse_job(slow_job.text(tmp_path / "out"), tmp_path / "job.toml")
    monkeypatch.delenv("SUBPIPE_CACHE")
    with cli_cluster(tmp_path, workers=2) as address, Client(address) as client:
        client.wait_for_workers(2, timeout=60)
        pids: dict[str, int] = client.run(os.getpid)
        errors: list[BaseException] = []
        with DaskExecutor.connect(address) as executor:

            def run() -> None:
                try:
                    run_job(job, executor=executor)
                except BaseException as exc:  # the test looks at it
                    errors.append(exc)

            runner = threading.Thread(target=run)
            runner.start()
            deadline = time.monotonic() + 120
            while not any(str(k).startswith("chunk-") for ks in client.processing().values() for k in ks):
                assert time.monotonic() < deadline and runner.is_alive(), "no chunk task was seen running"
                time.sleep(0.01)
            stop_event(executor.token, client).set()  # what Ctrl-C does first
            runner.join(timeout=120)
        assert not runner.is_alive() and len(errors) == 1 and isinstance(errors[0], JobStoppedError)
        busy = [str(k) for ks in client.processing().values() for k in ks]
        assert not busy  # the job's chunk and video tasks are over
        assert client.run(os.getpid) == pids  # no worker was killed to get there
    assert not partials(tmp_path / "out")
