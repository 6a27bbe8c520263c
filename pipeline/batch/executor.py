"""Executors: where a job's tasks run.

The orchestrator (:mod:`pipeline.batch.run`) turns a job into tasks, plain functions over plain
data (a frozen :class:`~pipeline.ingest.job.Job`, one video's :class:`~pipeline.ingest.job.VideoJob`),
and hands them to an executor. :class:`LocalExecutor` runs them here, one after another, as subpipe
always has; :class:`pipeline.batch.distributed.DaskExecutor` runs them on a Dask cluster. Nothing
in this module imports Dask: a local run never does.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, TypeVar

from pipeline.batch.steps import ProgressFactory, no_progress
from pipeline.ingest.job import Job, VideoJob
from pipeline.render.outputs import ensure_dir

T = TypeVar("T")
R = TypeVar("R")


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
    ensure_dir(output_dir)
    return dataclasses.replace(job, videos=videos, output_dir=output_dir)


def video_needs(job: Job, vj: VideoJob) -> list[Path]:
    """The paths one video's task must see: its inputs and the job's output folder."""
    return [p for p in (vj.video, vj.transcript, job.output_dir) if p is not None]


VideoTask = Callable[[Job, VideoJob, ProgressFactory], R]


def map_videos(executor: Executor, task: VideoTask[R], job: Job, progress: ProgressFactory) -> list[R]:
    """``task(job, video, progress)`` for every video of ``job`` on ``executor``, results in the job's order.

    For workers in other processes the job's paths are made absolute (and its output folder created) and
    ``progress`` is dropped: callbacks cannot follow a task there (the executor reports tasks done instead).

    Raises:
        PipelineError: when the executor cannot run a task (a task's own failures are in its result).
    """
    if not executor.in_process:
        job, progress = shareable_job(job), no_progress
    keys = [f"video-{vj.name}-{i}" for i, vj in enumerate(job.videos)]  # unique even if two names are
    needs = [video_needs(job, vj) for vj in job.videos]
    return executor.map(partial(_video_task, task, job, progress), job.videos, keys, needs)


def _video_task(task: VideoTask[R], job: Job, progress: ProgressFactory, vj: VideoJob) -> R:
    return task(job, vj, progress)
