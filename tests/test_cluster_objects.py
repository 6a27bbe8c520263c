"""A LocalCluster that shares no disk: each worker its own scratch folder, only a real SeaweedFS shared (the
job's inputs, outputs and chunk cache are s3:// URLs). The cuts are the local run's bytes; a worker killed
mid-chunk is survived; Ctrl-C stops the job and leaves no partial object; and a video task that stops waits
for its chunk tasks that are running before it returns (so its work folder is not removed under them)."""

from __future__ import annotations

import _thread
import glob
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch.distributed import STOP_TIMEOUT_S, ClusterRunner, DaskExecutor
from pipeline.batch.distributed.tasks import DRAIN_TIMEOUT_S, drain, live_keys
from pipeline.batch.results import JobResult
from pipeline.batch.run import run_job
from pipeline.core import storage, transfer
from pipeline.ingest.job import parse_job
from pipeline.render.objectcache import ObjectChunkCache

sys.path.insert(0, str(Path(__file__).resolve().parent))
from distributed_util import make_inputs
from s3server import BUCKET

pytestmark = pytest.mark.render
CACHE = f"s3://{BUCKET}/cluster-cache"


def _text(out: str, inputs: list[tuple[str, str]], slow: bool = False) -> str:
    render = 'crf = 18\npreset = "veryslow"' if slow else 'crf = 30\npreset = "ultrafast"'
    lines = [f'output_dir = "{out}"', "[outputs]", "burn = true", 'mux = ["mkv"]', "review = false", "[render]", render]
    for video, transcript in inputs:
        lines += ["[[videos]]", f'video = "{video}"', f'transcript = "{transcript}"', 'languages = ["en", "ko"]']
    return "\n".join(lines) + "\n"


def _cuts(manifests: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {
        f"{v}/{e['path']}": e["sha256"] for v, doc in manifests.items() for e in doc["files"] if e["kind"] == "burned"
    }


def _local_cuts(folder: Path, inputs: list[tuple[Path, Path]], slow: bool = False) -> dict[str, str]:
    """The burned cuts' digests of the job run here, on local paths, with a cache of its own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUBPIPE_CACHE", str(folder / "local-cache"))
        text = _text(str(folder / "local"), [(str(v), str(t)) for v, t in inputs], slow)
        assert run_job(parse_job(text, folder / "job.toml")).ok
    docs = {p.parent.name: json.loads(p.read_text()) for p in (folder / "local").glob("*/manifest.json")}
    return _cuts(docs)


def _remote_cuts(out: str, names: list[str]) -> dict[str, str]:
    fs = storage.filesystem(out)
    return _cuts({name: json.loads(fs.cat(f"{out}/{name}/manifest.json")) for name in names})


def _upload(inputs: list[tuple[Path, Path]], prefix: str) -> list[tuple[str, str]]:
    urls = []
    for video, transcript in inputs:
        pair = (f"s3://{BUCKET}/{prefix}/{video.name}", f"s3://{BUCKET}/{prefix}/{transcript.name}")
        transfer.upload(video, pair[0])
        transfer.upload(transcript, pair[1])
        urls.append(pair)
    return urls


@pytest.fixture(scope="module")
def env(s3server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The test server's settings, a chunk cache in the store, the client's own scratch folder."""
    settings = {**s3server.env(), "SUBPIPE_CACHE": CACHE}
    settings["SUBPIPE_SCRATCH"] = str(tmp_path_factory.mktemp("client-scratch"))
    with pytest.MonkeyPatch.context() as mp:
        for name, value in settings.items():
            mp.setenv(name, value)
        yield settings


@pytest.fixture(scope="module")
def cluster(env: dict[str, str]) -> Iterator[DaskExecutor]:
    with DaskExecutor.local(2) as executor:
        yield executor


def test_a_cluster_sharing_only_the_store_gives_the_local_runs_cuts(
    cluster: DaskExecutor, tmp_path: Path, env: dict[str, str]
) -> None:
    inputs = make_inputs(tmp_path / "in", 2, gop=25)  # a keyframe a second: chunk tasks on both workers
    local = _local_cuts(tmp_path, inputs)
    out = f"s3://{BUCKET}/cluster1/out"
    result = run_job(parse_job(_text(out, _upload(inputs, "cluster1/in")), tmp_path / "job.toml"), executor=cluster)
    assert result.ok, [v.failures for v in result.videos]
    assert _remote_cuts(out, ["v0", "v1"]) == local and len(local) == 4
    scratch = cluster.client.run(lambda: os.environ["SUBPIPE_SCRATCH"])
    assert len(set(scratch.values())) == 2  # each worker its own scratch folder
    assert not any(s.startswith(env["SUBPIPE_SCRATCH"]) for s in scratch.values())
    assert cluster.chunk_workers  # chunks were tasks of their own (test_distributed: they spread)
    cache = ObjectChunkCache(CACHE)
    assert cache.stored() and all(cache.get(c.key) is not None for c in cache.stored())  # every object intact


@pytest.mark.soak  # a fault injected: make test-soak, which CI runs after make test
def test_a_worker_killed_mid_chunk_is_survived(cluster: DaskExecutor, tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", 1, seconds=5, gop=25)  # a keyframe a second: several chunk tasks
    local = _local_cuts(tmp_path, inputs)
    out = f"s3://{BUCKET}/cluster2/out"
    job = parse_job(_text(out, _upload(inputs, "cluster2/in")), tmp_path / "job.toml")
    client = cluster.client
    pids: dict[str, int] = client.run(os.getpid)
    results: list[JobResult] = []
    runner = threading.Thread(target=lambda: results.append(run_job(job, executor=cluster)))
    runner.start()
    killed = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline:
        for addr, keys in client.processing().items():
            if any(str(k).startswith("chunk-") for k in keys) and addr in pids:
                os.kill(pids[addr], signal.SIGKILL)
                killed = addr
                break
        time.sleep(0.01)
    runner.join(timeout=240)
    assert killed is not None and results, "no chunk was seen running, or the job did not finish"
    assert results[0].ok, [v.failures for v in results[0].videos]
    assert _remote_cuts(out, ["v0"]) == local
    client.wait_for_workers(2, timeout=60)


def test_a_stopping_video_task_waits_for_its_running_chunk_tasks(cluster: DaskExecutor, tmp_path: Path) -> None:
    """The chunk tasks of a video task that stops (here: its generator closed) may be running on other workers;
    ``ClusterRunner.map`` cancels them and waits for the running ones to end before it returns."""
    marks = tmp_path / "marks"
    marks.mkdir()

    def chunk(i: int) -> int:
        (marks / f"started-{i}").touch()
        if i:
            time.sleep(3)
        (marks / f"done-{i}").touch()
        return i

    def video() -> list[str]:
        results = ClusterRunner("race-test").map(chunk, [0, 1, 2])
        assert next(results) == 0
        deadline = time.monotonic() + 30
        while not all((marks / f"started-{i}").exists() for i in (1, 2)) and time.monotonic() < deadline:
            time.sleep(0.02)
        results.close()  # what an error, Ctrl-C or a closed burn does
        return sorted(
            p.name for p in marks.glob("started-*") if not (marks / p.name.replace("started", "done")).exists()
        )

    assert cluster.client.submit(video, pure=False).result(timeout=60) == []
    assert sorted(p.name for p in marks.glob("started-*")) == ["started-0", "started-1", "started-2"]


def test_a_drain_that_times_out_says_so(cluster: DaskExecutor, caplog: pytest.LogCaptureFixture) -> None:
    """``drain`` gives up after its timeout (shared with the client's wait: DRAIN_TIMEOUT_S) with a warning
    naming the tasks still running."""
    slow = cluster.client.submit(time.sleep, 1.5, key="chunk-draintest-0", pure=False)
    deadline = time.monotonic() + 10
    while not any(cluster.client.run(live_keys, "chunk-draintest-").values()) and time.monotonic() < deadline:
        time.sleep(0.02)
    with caplog.at_level(logging.WARNING, logger="pipeline.batch.distributed.tasks"):
        drain(cluster.client, "chunk-draintest-", timeout_s=0.3)
    assert "still running after 0 s: chunk-draintest-0" in caplog.text
    slow.result(timeout=10)
    assert STOP_TIMEOUT_S > DRAIN_TIMEOUT_S  # the client outwaits the video tasks' own drain


@pytest.mark.soak  # about 5 s: make test-soak, which CI runs after make test
def test_ctrl_c_stops_the_job_and_leaves_no_partial_object(cluster: DaskExecutor, tmp_path: Path) -> None:
    """Ctrl-C (a KeyboardInterrupt in the client's main thread) while a chunk is being encoded: the job's tasks
    end, no output object appears, no multipart upload is left, every chunk object is whole."""
    inputs = _upload(make_inputs(tmp_path / "in", 1, seconds=5, gop=25), "cluster3/in")
    out = f"s3://{BUCKET}/cluster3/out"
    job = parse_job(_text(out, inputs, slow=True), tmp_path / "job.toml")
    scratch = list(cluster.client.run(lambda: os.environ["SUBPIPE_SCRATCH"]).values())
    seen: list[str] = []

    def interrupt_when_encoding() -> None:
        deadline = time.monotonic() + 120
        while not seen and time.monotonic() < deadline:
            for folder in scratch:  # a chunk being written in a worker's own work folder
                seen.extend(glob.glob(str(Path(folder) / "cache" / "*" / "tmp" / "*" / "*.mp4")))
            time.sleep(0.02)
        _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt_when_encoding)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        run_job(job, executor=cluster)
        time.sleep(30)  # the job ended before the watcher saw a chunk: it interrupts this instead
    watcher.join()
    assert seen, "no chunk was seen being encoded"
    running = [str(k) for keys in cluster.client.processing().values() for k in keys]
    assert not [k for k in running if k.startswith("chunk-")]  # the job's tasks ended
    live = cluster.client.run(live_keys, "chunk-")  # on the workers too: none running, cancelled or not
    assert not any(live.values()), live
    assert storage.listing(out) == []  # no output object: nothing is uploaded before a video's manifest
    fs = storage.filesystem(out)
    assert not fs.call_s3("list_multipart_uploads", Bucket=BUCKET).get("Uploads")  # no upload left half-done
    stored = ObjectChunkCache(CACHE)
    assert all(stored.get(c.key) is not None for c in stored.stored())  # every chunk object whole
