"""``subpipe run --workers N | --scheduler ADDR``: the job's videos on a Dask cluster (imported only then).

stderr: the dashboard's address, a line per finished video, and chunk encodes done/total over the
whole cluster with an ETA (a line at most every 2 s).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from typing import TextIO

from pipeline.batch.distributed import DaskExecutor
from pipeline.batch.executor import TaskProgress
from pipeline.batch.preflight import check_inputs
from pipeline.batch.results import JobResult
from pipeline.batch.run import run_job
from pipeline.core.errors import UsageError
from pipeline.ingest.job import Job

CHUNK_LINE_EVERY_S = 2.0


class ClusterProgress:
    """One stderr line per finished task: videos done/total, elapsed time and an ETA."""

    def __init__(self, stream: TextIO, what: str = "videos", every_s: float = 0.0) -> None:
        self.stream, self.what, self.every_s = stream, what, every_s
        self.last = -math.inf

    def __call__(self, state: TaskProgress) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s and state.done < state.total:
            return  # at most one line every ``every_s`` seconds, and the last one
        self.last = now
        eta = f", ETA {state.eta_s:.0f}s" if state.eta_s is not None and state.done < state.total else ""
        self.stream.write(f"{self.what} {state.done}/{state.total} done, {state.elapsed_s:.1f}s{eta}\n")
        self.stream.flush()


def _executor(workers: int | None, scheduler: str | None, quiet: bool) -> DaskExecutor:
    videos = None if quiet else ClusterProgress(sys.stderr)
    chunks = None if quiet else ClusterProgress(sys.stderr, "chunks", CHUNK_LINE_EVERY_S)
    if scheduler is not None:
        return DaskExecutor.connect(scheduler, videos, on_chunks=chunks)
    assert workers is not None
    if workers < 1:
        raise UsageError(f"--workers {workers}: give at least 1")
    return DaskExecutor.local(workers, videos, chunks)


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
        InputProblemsError: when an input file of the job is missing (before the cluster starts).
        UsageError: on a worker count below 1.
        ClusterError: when the cluster cannot start or be reached, or a worker cannot see a path.
        StorageError: when an input object, the output bucket or an s3:// chunk cache cannot be used
            (before the cluster starts; docs/object-storage.md).
    """
    check_inputs(job)  # before a cluster starts (run_job checks again, cheaply)
    if not verbose:  # Dask logs every worker and connection at INFO; our summary says what matters
        logging.getLogger("distributed").setLevel(logging.WARNING)
    with _executor(workers, scheduler, quiet) as executor:
        if executor.dashboard and not quiet:
            print(f"dashboard: {executor.dashboard}", file=sys.stderr)
        return run_job(job, executor=executor, force=force)
