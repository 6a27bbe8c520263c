"""What runs on the workers of a Dask run: the visibility check, chunk batches as tasks of their own
(:class:`ClusterRunner`), and the events that carry chunk progress and the stop flag to and from the client."""

from __future__ import annotations

import logging
import socket
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from distributed import Client, Event, Future, get_worker, worker_client
from distributed.scheduler import KilledWorker

from pipeline.core.errors import ClusterError, SharedPathError
from pipeline.media.ffmpeg import ProgressFn
from pipeline.render.chunkburn import ChunkProgress

T = TypeVar("T")
R = TypeVar("R")

_POLL_S = 0.5


class JobStoppedError(Exception):
    """This job was stopped from its client (Ctrl-C): a video task stops waiting for its chunks.

    Not a :class:`~pipeline.core.errors.PipelineError` (a video's recorded failure, after which it would go
    on to mux), nor a KeyboardInterrupt (which a Dask worker re-raises in its own thread): the task ends."""


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


@dataclass(frozen=True)
class Stopped:
    """A task's result when its job was stopped: the client, which waits for the task to end (and
    clean up), hears it without the worker logging a failure."""

    reason: str


def run_task(fn: Callable[[T], R], item: T, needs: Sequence[Path]) -> R | Stopped:
    """What runs on a worker: the visibility check, then the task."""
    check_visible(needs)
    try:
        return fn(item)
    except JobStoppedError as exc:
        return Stopped(str(exc))


def topic(token: str) -> str:
    return f"subpipe-{token}"


def stop_event(token: str, client: Client) -> Event:
    return Event(f"subpipe-stop-{token}", client=client)


def _publish(token: str, msg: dict[str, Any]) -> None:
    """Send ``msg`` to the job's client (a Dask event); nothing when not on a worker."""
    try:
        worker = get_worker()
    except ValueError:
        return
    worker.log_event(topic(token), msg)


def _chunk_task(fn: Callable[[T], R], item: T, token: str, needs: Sequence[Path]) -> R:
    """What runs on a worker for one chunk batch: the visibility check, the batch, an event saying where."""
    check_visible(needs)
    result = fn(item)
    worker = get_worker()
    _publish(token, {"chunk": str(worker.get_current_task()), "worker": worker.address})
    return result


@dataclass(frozen=True)
class ClusterRunner:
    """A :class:`~pipeline.render.batchrun.BatchRunner` for a video task on a worker: each batch becomes a
    task of the cluster (``chunk-<job token>-...``), results in order; the video task secedes meanwhile."""

    token: str
    needs: tuple[Path, ...] = ()

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        """See :meth:`pipeline.render.batchrun.BatchRunner.map`.

        Raises:
            JobStoppedError: when the job's client stopped it (its pending chunk tasks are cancelled).
            ClusterError: when a chunk's workers kept dying.
        """
        batch = uuid.uuid4().hex[:8]
        with worker_client() as client:
            stop = stop_event(self.token, client)
            keys = [f"chunk-{self.token}-{batch}-{i}" for i in range(len(items))]
            futures = [
                client.submit(_chunk_task, fn, item, self.token, self.needs, key=key, pure=False, priority=1)
                for item, key in zip(items, keys, strict=True)  # before new videos start: videos finish in turn
            ]
            try:
                for future in futures:
                    yield _wait(future, stop)
            except BaseException:  # an error, Ctrl-C on the client, or the caller closed us
                client.cancel(futures)
                # A cancelled task that is running runs on (Dask cannot interrupt it) and writes into this
                # video's work folder, which our caller removes once we return: wait for those to end.
                drain(client, f"chunk-{self.token}-{batch}-")
                raise


_ENDED = frozenset({"memory", "error", "released", "forgotten"})
# At most this long for a stopping video task's running chunk tasks to end (a chunk lasts seconds); the
# client's Ctrl-C waits this long plus STOP_MARGIN_S for the video tasks (pipeline.batch.distributed).
DRAIN_TIMEOUT_S = 60.0
STOP_MARGIN_S = 10.0
logger = logging.getLogger(__name__)


def live_keys(prefix: str, dask_worker: Any) -> list[str]:
    """The keys starting with ``prefix`` that this worker runs or still may run (cancelled ones included:
    a cancelled task that is running stays in the worker's ``executing`` set until it returns)."""
    tasks = list(dask_worker.state.tasks.values())
    return [str(ts.key) for ts in tasks if str(ts.key).startswith(prefix) and ts.state not in _ENDED]


def drain(client: Client, prefix: str, timeout_s: float = DRAIN_TIMEOUT_S) -> None:
    """Wait until no worker runs (or may start) a task whose key starts with ``prefix``; log a warning
    naming them when ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    live: dict[str, list[str]] = {}
    while time.monotonic() < deadline:
        try:
            live = client.run(live_keys, prefix, on_error="ignore")
        except (OSError, TimeoutError):  # the cluster is going away: nothing left to wait for
            return
        if not any(live.values()):
            return
        time.sleep(0.1)
    left = sorted(key for keys in live.values() for key in keys)
    logger.warning("%d chunk task(s) still running after %.0f s: %s", len(left), timeout_s, ", ".join(left[:5]))


def _wait(future: Future[R], stop: Event) -> R:
    while True:
        try:
            return future.result(timeout=_POLL_S)
        except TimeoutError:
            if stop.is_set():
                raise JobStoppedError(f"{future.key}: the job was stopped") from None
        except KilledWorker as exc:
            raise ClusterError(f"chunk task {future.key} was running on every worker that died: {exc}") from None


@dataclass(frozen=True)
class _EventBar:
    """A burn's progress on a worker: its chunk counts go to the client as events."""

    token: str
    label: str

    def __call__(self, fraction: float) -> None:
        """Fractions are not sent (chunk counts are)."""

    def chunks(self, progress: ChunkProgress) -> None:
        """Chunks done of total for this burn."""
        _publish(self.token, {"burn": self.label, "done": progress.done, "total": progress.total})


@dataclass(frozen=True)
class EventProgress:
    """The progress factory of video tasks on a cluster (picklable): a bar per burn that publishes chunks."""

    token: str

    def __call__(self, label: str) -> ProgressFn | None:
        """A bar for the burn ``label`` (nothing for other steps)."""
        return _EventBar(self.token, label) if label.startswith("burn ") else None
