"""Where a chunked burn's independent encode batches run: a pluggable runner.

:func:`pipeline.render.chunkburn.render_chunked` hands its batches to a :class:`BatchRunner`. The
default, :class:`ThreadRunner`, runs them on a thread pool of this process (each batch is one ffmpeg
process). A cluster run passes a runner that submits each batch as a task of its own, so one video's
chunks spread over every worker (``pipeline.batch.distributed``); nothing here knows about it.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol, TypeVar

from pipeline.core.errors import PipelineError
from pipeline.render.chunkcache import ChunkCache

T = TypeVar("T")
R = TypeVar("R")


class BatchRunner(Protocol):
    """Runs ``fn`` over independent items."""

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        """``fn(item)`` for every item, yielded in the order of ``items`` as they are ready.

        An exception of ``fn`` is raised at its item. Closing the iterator early (an error, Ctrl-C)
        starts no more items and lets the running ones end.
        """
        ...


class ThreadRunner:
    """Up to ``jobs`` items at a time on a thread pool of this process (default: one per core)."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = max(jobs or os.cpu_count() or 1, 1)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        """See :meth:`BatchRunner.map`."""
        pool = ThreadPoolExecutor(max_workers=self.jobs)
        try:
            yield from pool.map(fn, items)
        except BaseException:  # a failed item, or the caller closed us: start no more, let the running ones end
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()


class ProcessRunner:
    """Up to ``jobs`` items at a time, each in a worker process of its own (forked where the system
    can, so nothing is imported again; else spawned), one item at a time per process.

    For in-process encoding (:mod:`pipeline.render.inproc`): each worker has its own heap (made to
    give zeroed memory) and its own interpreter, so the batches neither wait for one another's
    Python loop nor slow the parent's allocations. ``prepare`` runs first in each worker process
    (not where the items run on threads: in a daemonic process, which may be long-lived).
    """

    def __init__(
        self,
        jobs: int | None = None,
        started: Callable[[], None] | None = None,
        prepare: Callable[[], object] | None = None,
    ) -> None:
        self.jobs = max(jobs or os.cpu_count() or 1, 1)
        self.started = started
        """Called once the workers run (forked: a thread started after it is not copied into them)."""
        self.prepare = prepare

    def telling(self, then: Callable[[], None]) -> ProcessRunner:
        """This runner, that also calls ``then`` once its workers run (after its own ``started``)."""
        first = self.started

        def both() -> None:
            if first:
                first()
            then()

        told = copy.copy(self)  # of its own class, whatever it adds
        told.started = both
        return told

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Generator[R, None, None]:
        """See :meth:`BatchRunner.map` (a daemonic process, which may not start any, uses threads)."""
        if multiprocessing.current_process().daemon:
            if self.started:
                self.started()
            yield from ThreadRunner(self.jobs).map(fn, items)
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        workers = min(self.jobs, max(len(items), 1))
        context = multiprocessing.get_context(method)
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start, initargs=(self.prepare,)
        )
        gc.freeze()  # a forked worker's collector then leaves the parent's objects (and their pages) alone
        try:
            results = pool.map(fn, items)  # every item submitted: every worker forked
            if self.started:
                self.started()
            yield from results
        except BrokenProcessPool:
            _stop(pool)
            raise WorkerDiedError("a worker process died (killed, or out of memory) while encoding chunks") from None
        except BaseException:  # Ctrl-C or an item's error: the workers stop now, nothing waits for them
            _stop(pool)
            raise
        finally:
            gc.unfreeze()
        pool.shutdown()


class WorkerDiedError(PipelineError):
    """A worker process of a :class:`ProcessRunner` ended without a result (a signal, the OOM killer)."""


def _worker_start(prepare: Callable[[], object] | None) -> None:
    """Workers leave Ctrl-C and SIGTERM to their parent, which stops them (no traceback each); then
    ``prepare``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if prepare:
        prepare()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers at once (a running batch is abandoned)."""
    processes = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.terminate()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)


@dataclass(frozen=True)
class ChunkWork:
    """Where a burn's chunks are encoded (``runner``; None: threads here) and stored (``cache``; None:
    the default cache, ``SUBPIPE_CACHE``)."""

    runner: BatchRunner | None = None
    cache: ChunkCache | None = None


HERE = ChunkWork()
"""Chunks encoded on this process's threads, stored in the default cache."""
