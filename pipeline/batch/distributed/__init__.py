"""The Dask executor: a job's tasks on a Dask cluster (``subpipe run --workers N | --scheduler ADDR``).

Imported only when one of those options is given, so a local run never imports Dask.

- ``DaskExecutor.local(n)`` starts a LocalCluster of ``n`` worker processes on 127.0.0.1, one
  thread each, every worker under a nanny (a killed worker is restarted and its task rerun).
- ``DaskExecutor.connect(address)`` uses a running cluster (``dask scheduler`` + ``dask worker``).

The graph: one task per video (analysis, tracks, then its burns); each burn's chunk encode batches
(chunks x a group of languages) are submitted by the video's task, from its worker, as tasks of their
own (:class:`ClusterRunner`: ``worker_client``, the video task secedes from its worker's thread pool
while it waits), so one video's chunks spread over every worker; cut assembly, verification, mux,
review and manifest follow in the video's task. Chunks and the burns' work folders live in a chunk
cache on shared storage (:func:`pipeline.batch.executor.cluster_cache_root`).

Workers read the inputs and write the outputs themselves, so every worker must see the job's paths
as the client does (shared storage). Each task first checks that it sees every path the client
saw; if not it fails at once with :class:`~pipeline.core.errors.SharedPathError` naming the path
and the worker's host. A worker that dies mid-task has its task rerun elsewhere by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times, then :class:`ClusterError`). A task's
content failures (a font lacking glyphs) are part of its result, never exceptions: they are not
retried. Ctrl-C sets the job's stop event (video tasks waiting on chunks cancel them), cancels the
job's tasks, waits for the running ones to end (a chunk lasts seconds), and closes a LocalCluster this
executor started. Video tasks publish chunk progress as Dask events; the client sums them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import psutil
from distributed import Client, Future, LocalCluster, as_completed, wait
from distributed.scheduler import KilledWorker

from pipeline.batch.distributed.tasks import (
    DRAIN_TIMEOUT_S,
    STOP_MARGIN_S,
    ClusterRunner,
    EventProgress,
    JobStoppedError,
    Stopped,
    check_visible,
    run_task,
    stop_event,
    topic,
)
from pipeline.batch.executor import SharedChunkCache, TaskProgress, TaskProgressFn, cluster_cache_root
from pipeline.batch.steps import ProgressFactory
from pipeline.core.errors import ClusterError
from pipeline.ingest.job import Job
from pipeline.render.batchrun import ChunkWork
from pipeline.render.objectcache import ObjectChunkCache
from pipeline.render.outputs import ensure_dir

__all__ = ["ClusterRunner", "DaskExecutor", "EventProgress", "JobStoppedError", "check_visible"]

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = DRAIN_TIMEOUT_S + STOP_MARGIN_S  # Ctrl-C waits for the video tasks, which drain their chunks


def _worker_processes(client: Client) -> list[psutil.Process]:
    """The cluster's worker processes on this machine and everything they started."""
    procs = []
    with contextlib.suppress(OSError, TimeoutError):
        for pid in client.run(os.getpid).values():
            with contextlib.suppress(psutil.NoSuchProcess):
                worker = psutil.Process(pid)
                procs += [worker, *worker.children(recursive=True)]
    return procs


WORKER_PRELOAD = "pipeline.batch.distributed.preload"


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored while a LocalCluster spawns its workers: they inherit that (Python then leaves
    it so), and their preload keeps it (:mod:`pipeline.batch.distributed.preload`). A Ctrl-C in
    these seconds is lost. Blocking SIGINT here instead (to deliver it afterwards) was tried: the
    workers still took it while Python started in them ("Nanny failed to start"), and a thread of a
    native library (BLAS) can take the client's and drop it all the same."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


class DaskExecutor:
    """Runs tasks on a Dask cluster through ``client``; closes ``cluster`` (if it started one) on close.

    ``on_progress`` sees videos done; ``on_chunks`` sees chunk outputs done of those planned so far,
    summed over the job's burns (a burn's total is known from its first finished batch);
    ``chunk_workers`` records which worker ran each chunk task.
    """

    def __init__(
        self,
        client: Client,
        cluster: LocalCluster | None = None,
        on_progress: TaskProgressFn | None = None,
        on_chunks: TaskProgressFn | None = None,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.on_progress = on_progress
        self.on_chunks = on_chunks
        self.token = uuid.uuid4().hex[:8]
        self.chunk_workers: dict[str, str] = {}
        self._burns: dict[str, tuple[int, int]] = {}
        self._following: str | None = None
        self._started = time.monotonic()

    @classmethod
    def local(
        cls, workers: int, on_progress: TaskProgressFn | None = None, on_chunks: TaskProgressFn | None = None
    ) -> DaskExecutor:
        """Start a LocalCluster of ``workers`` processes (one thread each) on 127.0.0.1.

        Raises:
            ClusterError: when the cluster cannot start.
        """
        try:
            with _sigint_ignored():  # the workers start deaf to a terminal's Ctrl-C; the client takes it
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.ERROR,
                    preload=[WORKER_PRELOAD],
                )
        except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: "Nanny failed to start"
            raise ClusterError(f"cannot start a local cluster of {workers} workers: {exc}") from None
        return cls(Client(cluster), cluster, on_progress, on_chunks)

    @classmethod
    def connect(
        cls,
        address: str,
        on_progress: TaskProgressFn | None = None,
        timeout_s: float = CONNECT_TIMEOUT_S,
        on_chunks: TaskProgressFn | None = None,
    ) -> DaskExecutor:
        """Connect to the scheduler at ``address`` (``tcp://HOST:PORT``).

        Raises:
            ClusterError: when no scheduler answers within ``timeout_s``.
        """
        try:
            client = Client(address, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"no Dask scheduler at {address} ({exc})") from None
        return cls(client, None, on_progress, on_chunks)

    @property
    def in_process(self) -> bool:
        """Never: tasks run in worker processes."""
        return False

    @property
    def dashboard(self) -> str | None:
        """The scheduler's dashboard address, when it serves one (it needs bokeh)."""
        info: dict[str, Any] = self.client.scheduler_info()
        if "dashboard" not in info.get("services", {}):
            return None
        return str(self.client.dashboard_link)

    def video_setup(self, job: Job, progress: ProgressFactory) -> tuple[ProgressFactory, ChunkWork]:
        """Chunk batches as cluster tasks, the chunk cache on shared storage (:func:`cluster_cache_root`),
        progress as events; starts following this job's events.

        Raises:
            OutputError: when the cache folder cannot be created.
        """
        if self._following is not None:  # a previous job's events
            self.client.unsubscribe_topic(self._following)
        self.token = uuid.uuid4().hex[:8]
        self._burns.clear()
        self.chunk_workers = {}
        self._started = time.monotonic()
        root = cluster_cache_root(job)
        if isinstance(root, Path):
            ensure_dir(root)
        self._following = topic(self.token)
        self.client.subscribe_topic(self._following, self._on_event)
        if isinstance(root, str):  # an object store: each worker mirrors it in its own scratch folder
            return EventProgress(self.token), ChunkWork(ClusterRunner(self.token), ObjectChunkCache(root, remote=True))
        runner = ClusterRunner(self.token, (root,))
        return EventProgress(self.token), ChunkWork(runner, SharedChunkCache(root))

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        msg = event[1]
        if "chunk" in msg:
            self.chunk_workers[msg["chunk"]] = msg["worker"]
            return
        self._burns[msg["burn"]] = (int(msg["done"]), int(msg["total"]))
        if self.on_chunks is not None:
            done, total = (sum(c) for c in zip(*self._burns.values(), strict=True))
            try:
                self.on_chunks(TaskProgress(done, total, time.monotonic() - self._started))
            except Exception:  # runs in the client's event thread: a failing bar must not stop Dask's loop
                logger.warning("the chunk progress display failed", exc_info=True)

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str], needs: Sequence[Sequence[Path]]
    ) -> list[R]:
        """Submit one task per item, collect them as they finish; on any error or Ctrl-C stop the job's
        work on the cluster (:meth:`stop`).

        Raises:
            SharedPathError: when a worker cannot see a path the task needs.
            ClusterError: when a task's workers kept dying (``allowed-failures`` exceeded).
        """
        token = uuid.uuid4().hex[:8]
        futures = [
            self.client.submit(run_task, fn, item, list(need), key=f"{key}-{token}", pure=False, retries=0)
            for item, key, need in zip(items, keys, needs, strict=True)
        ]
        try:
            return self._collect(futures)
        except BaseException:
            self.stop(futures, (token, f"chunk-{self.token}-"))
            raise

    def stop(self, futures: Sequence[Future[Any]], marks: Sequence[str], timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop the job: set its stop event (video tasks cancel their chunk tasks), cancel ``futures``, and
        wait until no task whose key holds one of ``marks`` is running (a chunk ends within seconds)."""
        stop_event(self.token, self.client).set()
        deadline = time.monotonic() + timeout_s
        # A running video task is let end (it stops at its next wait for a chunk), so that it removes the
        # outputs it staged (pipeline.render.staging); cancelled, it would be forgotten while it runs on.
        busy = {str(k) for keys in self.client.processing().values() for k in keys}
        self.client.cancel([f for f in futures if str(f.key) not in busy], force=True)
        with contextlib.suppress(TimeoutError):
            wait([f for f in futures if str(f.key) in busy], timeout=timeout_s)
        self.client.cancel(list(futures), force=True)
        while time.monotonic() < deadline:
            running = [str(k) for keys in self.client.processing().values() for k in keys]
            if not any(mark in key for key in running for mark in marks):
                return
            time.sleep(0.1)
        logger.warning("tasks of this job still running on the cluster after %.0f s", timeout_s)

    def _collect(self, futures: list[Future[R | Stopped]]) -> list[R]:
        started = time.monotonic()
        results: dict[Any, R] = {}  # by task key
        for future in as_completed(futures):
            try:
                result = future.result()
            except KilledWorker as exc:
                raise ClusterError(f"task {future.key} was running on every worker that died: {exc}") from None
            if isinstance(result, Stopped):  # the task saw the job stopped (run_task)
                raise JobStoppedError(result.reason)
            results[future.key] = result
            if self.on_progress is not None:
                self.on_progress(TaskProgress(len(results), len(futures), time.monotonic() - started))
        return [results[f.key] for f in futures]

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started it: its worker processes and
        what they started (an ffmpeg still encoding a chunk after Ctrl-C) end before this returns."""
        if self.cluster is None:
            self.client.close()
            return
        ours = _worker_processes(self.client)
        self.client.close()
        self.cluster.close()
        _, alive = psutil.wait_procs(ours, timeout=10)
        for proc in alive:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
        psutil.wait_procs(alive, timeout=10)

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
