"""``subpipe run --workers N | --scheduler ADDR``: the job's videos on a Dask cluster (imported only then)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from pipeline.batch.distributed import DaskExecutor
from pipeline.batch.executor import TaskProgress
from pipeline.batch.results import JobResult
from pipeline.batch.run import run_job
from pipeline.core.errors import UsageError
from pipeline.ingest.job import Job


class ClusterProgress:
    """One stderr line per finished task: videos done/total, elapsed time and an ETA."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, state: TaskProgress) -> None:
        eta = f", ETA {state.eta_s:.0f}s" if state.eta_s is not None and state.done < state.total else ""
        self.stream.write(f"videos {state.done}/{state.total} done, {state.elapsed_s:.1f}s{eta}\n")
        self.stream.flush()


def _executor(workers: int | None, scheduler: str | None, progress: ClusterProgress | None) -> DaskExecutor:
    if scheduler is not None:
        return DaskExecutor.connect(scheduler, progress)
    assert workers is not None
    if workers < 1:
        raise UsageError(f"--workers {workers}: give at least 1")
    return DaskExecutor.local(workers, progress)


def run_on_cluster(
    job: Job,
    workers: int | None,
    scheduler: str | None,
    *,
    quiet: bool = False,
    verbose: bool = False,
    force: bool = False,
) -> JobResult:
    """Run ``job`` on a LocalCluster of ``workers`` processes, or on the cluster at ``scheduler``.

    Raises:
        UsageError: on a worker count below 1.
        ClusterError: when the cluster cannot start or be reached, or a worker cannot see a path.
    """
    if not verbose:  # Dask logs every worker and connection at INFO; our summary says what matters
        logging.getLogger("distributed").setLevel(logging.WARNING)
    progress = None if quiet else ClusterProgress(sys.stderr)
    with _executor(workers, scheduler, progress) as executor:
        if executor.dashboard and not quiet:
            print(f"dashboard: {executor.dashboard}", file=sys.stderr)
        return run_job(job, executor=executor, force=force)
