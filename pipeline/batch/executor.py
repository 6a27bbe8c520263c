"""Executors: where a job's tasks run.

The orchestrator (:mod:`pipeline.batch.run`) turns a job into tasks, plain functions over plain
data (a frozen :class:`~pipeline.ingest.job.Job`, one video's :class:`~pipeline.ingest.job.VideoJob`),
and hands them to an executor. :class:`LocalExecutor` runs them here, one after another, as subpipe
always has; :class:`pipeline.batch.distributed.DaskExecutor` runs them on a Dask cluster. Nothing
in this module imports Dask: a local run never does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from pipeline.batch.steps import ProgressFactory
from pipeline.core.storage import is_url, join
from pipeline.ingest.job import Job, VideoJob
from pipeline.render.batchrun import HERE, ChunkWork
from pipeline.render.chunkcache import ChunkCache, pid_alive
from pipeline.render.objectcache import open_cache
from pipeline.render.outputs import ensure_dir

T = TypeVar("T")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class TaskProgress:
    """How far a job's tasks are: ``done`` of ``total`` finished after ``elapsed_s`` seconds."""

    done: int
    total: int
    elapsed_s: float

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the mean pace of the tasks done so far (None before the first one)."""
        if self.done == 0:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


TaskProgressFn = Callable[[TaskProgress], None]


class Executor(Protocol):
    """Runs a batch of independent tasks and returns their results in the order of ``items``."""

    @property
    def in_process(self) -> bool:
        """Whether tasks run in this process (so callbacks such as progress bars can follow them)."""
        ...

    def video_setup(self, job: Job, progress: ProgressFactory) -> tuple[ProgressFactory, ChunkWork]:
        """What a video's task gets on this executor: its progress factory (``progress`` when tasks run
        here) and where its chunks are encoded and cached.

        Raises:
            PipelineError: when the chunk cache cannot be set up.
        """
        ...

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str], needs: Sequence[Sequence[Path]]
    ) -> list[R]:
        """``[fn(item) for item in items]``; ``keys`` name the tasks, ``needs[i]`` the paths task i reads.

        Raises:
            PipelineError: when the executor cannot run a task (never for a task's recorded failures).
        """
        ...


class LocalExecutor:
    """Runs every task here, one after another (what ``subpipe run`` does without a cluster)."""

    def __init__(self, on_progress: TaskProgressFn | None = None) -> None:
        self.on_progress = on_progress

    @property
    def in_process(self) -> bool:
        """Always: the tasks run in the caller's process."""
        return True

    def video_setup(self, job: Job, progress: ProgressFactory) -> tuple[ProgressFactory, ChunkWork]:
        """``progress`` itself; chunks on this process's threads, in the default cache."""
        return progress, local_work()

    def map(
        self, fn: Callable[[T], R], items: Sequence[T], keys: Sequence[str], needs: Sequence[Sequence[Path]]
    ) -> list[R]:
        """Run ``fn`` on each item in order, reporting each finished task."""
        started = time.monotonic()
        results: list[R] = []
        for item in items:
            results.append(fn(item))
            if self.on_progress is not None:
                self.on_progress(TaskProgress(len(results), len(items), time.monotonic() - started))
        return results


def local_work() -> ChunkWork:
    """Chunks on this process's threads, in the default cache (``SUBPIPE_CACHE``: an object store when a URL)."""
    chosen = os.environ.get("SUBPIPE_CACHE", "")
    return ChunkWork(cache=open_cache(chosen)) if is_url(chosen) else HERE


def shareable_job(job: Job) -> Job:
    """``job`` with absolute paths and its output folder created, ready for workers in other processes
    or on other machines (whose working folder is not the client's).

    Raises:
        OutputError: when the output folder cannot be created.
    """
    videos = tuple(
        dataclasses.replace(vj, video=vj.video.resolve() if vj.video else None, transcript=vj.transcript.resolve())
        for vj in job.videos
    )
    output_dir = job.output_dir.resolve()
    if job.output_url is None:  # a URL's folder is each worker's scratch
        ensure_dir(output_dir)
    return dataclasses.replace(job, videos=videos, output_dir=output_dir)


CLUSTER_CACHE = ".subpipe-cache"


def cluster_cache_root(job: Job) -> Path | str:
    """The chunk cache of a cluster run: ``SUBPIPE_CACHE`` when set (shared storage, or an object store URL),
    else ``<output folder>/.subpipe-cache``, which every worker sees because it sees the output folder (for
    an output URL: the objects under ``<output URL>/.subpipe-cache``)."""
    chosen = os.environ.get("SUBPIPE_CACHE")
    if chosen:
        return chosen if is_url(chosen) else Path(chosen).resolve()
    return join(job.output_url, CLUSTER_CACHE) if job.output_url else job.output_dir / CLUSTER_CACHE


class SharedChunkCache(ChunkCache):
    """A chunk cache that processes on several machines share.

    Work folders are named ``<pid>@<host id>-...``: a render cleans only the stale folders of its own
    machine (a pid says nothing about another machine's processes; the plain cache would remove a
    running render's folder there).
    """

    def work_prefix(self) -> str:
        """``<pid>@<host id>-``: the process and the machine."""
        return f"{os.getpid()}@{_host_id()}-"

    def owner_gone(self, name: str) -> bool:
        """Whether the work folder ``name`` is this machine's and its process is gone."""
        pid, _, host = name.split("-", 1)[0].partition("@")
        return host == _host_id() and pid.isdigit() and not pid_alive(int(pid))


def _host_id() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:12]


def video_needs(job: Job, vj: VideoJob, work: ChunkWork = HERE) -> list[Path]:
    """The paths one video's task must see: its inputs, the job's output folder, and the chunk cache
    its chunks go to (when the executor chose one); none of those that are objects (URLs)."""
    cache = work.cache.shared_root() if work.cache is not None else None
    output = job.output_dir if job.output_url is None else None
    inputs = [p for key, p in (("video", vj.video), ("transcript", vj.transcript)) if key not in vj.urls]
    return [p for p in (*inputs, output, cache) if p is not None]


class VideoTask(Protocol[R_co]):
    """What runs one video: ``run_video``'s shape."""

    def __call__(self, job: Job, vj: VideoJob, progress: ProgressFactory, *, work: ChunkWork) -> R_co:
        """Run ``vj`` of ``job``, its chunks as ``work`` says."""
        ...


def map_videos(executor: Executor, task: VideoTask[R], job: Job, progress: ProgressFactory) -> list[R]:
    """``task(job, video, progress, work=...)`` for every video of ``job`` on ``executor``, results in the
    job's order.

    For workers in other processes the job's paths are made absolute (and its output folder created), and
    ``progress`` is replaced by the executor's (callbacks cannot follow a task there); the executor also
    says where the videos' chunks are encoded and cached (:meth:`Executor.video_setup`).

    Raises:
        PipelineError: when the executor cannot run a task (a task's own failures are in its result).
    """
    if not executor.in_process:
        job = shareable_job(job)
    progress, work = executor.video_setup(job, progress)
    keys = [f"video-{vj.name}-{i}" for i, vj in enumerate(job.videos)]  # unique even if two names are
    needs = [video_needs(job, vj, work) for vj in job.videos]
    return executor.map(partial(_video_task, task, job, progress, work), job.videos, keys, needs)


def _video_task(task: VideoTask[R], job: Job, progress: ProgressFactory, work: ChunkWork, vj: VideoJob) -> R:
    return task(job, vj, progress, work=work)
