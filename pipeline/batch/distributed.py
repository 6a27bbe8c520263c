"""The Dask executor: a job's tasks on a Dask cluster (``subpipe run --workers N | --scheduler ADDR``).

Imported only when one of those options is given, so a local run never imports Dask.

- ``DaskExecutor.local(n)`` starts a LocalCluster of ``n`` worker processes on 127.0.0.1, one
  thread each, every worker under a nanny (a killed worker is restarted and its task rerun).
- ``DaskExecutor.connect(address)`` uses a running cluster (``dask scheduler`` + ``dask worker``).

Workers read the inputs and write the outputs themselves, so every worker must see the job's paths
as the client does (shared storage). Each task first checks that it sees every path the client
saw; if not it fails at once with :class:`~pipeline.core.errors.SharedPathError` naming the path
and the worker's host. A worker that dies mid-task has its task rerun elsewhere by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times, then :class:`ClusterError`). A task's
content failures (a font lacking glyphs) are part of its result, never exceptions: they are not
retried. Ctrl-C cancels this job's tasks and closes a LocalCluster this executor started.
"""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from distributed import Client, Future, LocalCluster, as_completed, get_worker
from distributed.scheduler import KilledWorker

from pipeline.batch.executor import TaskProgress, TaskProgressFn
from pipeline.core.errors import ClusterError, SharedPathError

T = TypeVar("T")
R = TypeVar("R")

logger = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 10.0


def check_visible(paths: Sequence[Path]) -> None:
    """Raise :class:`SharedPathError` for the first of ``paths`` this worker cannot see."""
    for path in paths:
        if not path.exists():
            raise SharedPathError(path, _host())


def _host() -> str:
    try:
        return f"{socket.gethostname()} (worker {get_worker().address})"
    except ValueError:  # not on a worker
        return socket.gethostname()


def _run_task(fn: Callable[[T], R], item: T, needs: Sequence[Path]) -> R:
    """What runs on a worker: the visibility check, then the task."""
    check_visible(needs)
    return fn(item)


class DaskExecutor:
    """Runs tasks on a Dask cluster through ``client``; closes ``cluster`` (if it started one) on close."""

    def __init__(
        self, client: Client, cluster: LocalCluster | None = None, on_progress: TaskProgressFn | None = None
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.on_progress = on_progress

    @classmethod
    def local(cls, workers: int, on_progress: TaskProgressFn | None = None) -> DaskExecutor:
        """Start a LocalCluster of ``workers`` processes (one thread each) on 127.0.0.1.

        Raises:
            ClusterError: when the cluster cannot start.
        """
        try:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                silence_logs=logging.ERROR,
            )
        except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: "Nanny failed to start"
            raise ClusterError(f"cannot start a local cluster of {workers} workers: {exc}") from None
        return cls(Client(cluster), cluster, on_progress)

    @classmethod
    def connect(
        cls, address: str, on_progress: TaskProgressFn | None = None, timeout_s: float = CONNECT_TIMEOUT_S
    ) -> DaskExecutor:
        """Connect to the scheduler at ``address`` (``tcp://HOST:PORT``).

        Raises:
            ClusterError: when no scheduler answers within ``timeout_s``.
        """
        try:
            client = Client(address, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ClusterError(f"no Dask scheduler at {address} ({exc})") from None
        return cls(client, None, on_progress)

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

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str], needs: Sequence[Sequence[Path]]
    ) -> list[R]:
        """Submit one task per item, collect them as they finish; cancel them all on any error or Ctrl-C.

        Raises:
            SharedPathError: when a worker cannot see a path the task needs.
            ClusterError: when a task's workers kept dying (``allowed-failures`` exceeded).
        """
        token = uuid.uuid4().hex[:8]
        futures = [
            self.client.submit(_run_task, fn, item, list(need), key=f"{key}-{token}", pure=False, retries=0)
            for item, key, need in zip(items, keys, needs, strict=True)
        ]
        try:
            return self._collect(futures)
        except BaseException:
            self.client.cancel(futures, force=True)
            raise

    def _collect(self, futures: list[Future[R]]) -> list[R]:
        started = time.monotonic()
        results: dict[Any, R] = {}  # by task key
        for future in as_completed(futures):
            try:
                results[future.key] = future.result()
            except KilledWorker as exc:
                raise ClusterError(f"task {future.key} was running on every worker that died: {exc}") from None
            if self.on_progress is not None:
                self.on_progress(TaskProgress(len(results), len(futures), time.monotonic() - started))
        return [results[f.key] for f in futures]

    def close(self) -> None:
        """Close the client, and the LocalCluster if this executor started it."""
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
