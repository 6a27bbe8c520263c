"""The render process: runs the batch on one video at a time, away from the server's interpreter.

The server stays responsive while a video renders (the batch's Python work would otherwise hold
the server's GIL for seconds). Requests and reports go through two queues: ``("render", video)``
in; ``("progress", video, label, fraction)`` and ``("done", video, failures, error)`` out.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.batch.run import run_video
from pipeline.core.errors import PipelineError
from pipeline.ingest.job import load_job
from pipeline.media.ffmpeg import ProgressFn

NICE = 10
LOCK_NAME = ".studio-render.lock"


def _progress(out: Any, video: str) -> Any:
    last = [0.0]

    def factory(label: str) -> ProgressFn:
        def report(fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or fraction >= 1.0:
                last[0] = now
                out.put(("progress", video, label, round(fraction, 3)))

        return report

    return factory


@contextlib.contextmanager
def _render_lock(job_path: Path) -> Iterator[None]:
    """One render of a job at a time, across processes (a killed server's render process may still be
    unwinding when the next server's starts): an exclusive lock on a file beside the edit store."""
    job = load_job(job_path)
    job.output_dir.mkdir(parents=True, exist_ok=True)
    with (job.output_dir / LOCK_NAME).open("a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def render_one(job_path: Path, video: str, out: Any) -> None:
    """Render ``video`` of the job at ``job_path`` (read anew: it may have changed) and report to ``out``."""
    try:
        with _render_lock(job_path):
            _render(job_path, video, out)
    except PipelineError as exc:
        out.put(("done", video, {}, str(exc)))


def _render(job_path: Path, video: str, out: Any) -> None:
    job = load_job(job_path)
    vj = next((v for v in job.videos if v.name == video), None)
    if vj is None:
        out.put(("done", video, {}, f"the job no longer has video {video!r}"))
        return
    result = run_video(job, vj, _progress(out, video))
    out.put(("done", video, dict(result.failures), None))


def _stop(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean stop
    raise KeyboardInterrupt


def _watch_parent(parent: int) -> None:
    """The server died (kill -9): stop as on SIGTERM (the render unwinds, its partials go), not as an orphan."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)


def worker_main(job_path: Path, inbox: Any, out: Any, server: int) -> None:
    """The process's loop: render each requested video until told to stop (None, or SIGTERM).

    Ctrl-C in a terminal reaches the whole process group: the render process ignores it, and the
    server stops it with SIGTERM, which unwinds the render as an interrupt does (its partial outputs
    removed, its ffmpeg ended).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(OSError):
        os.nice(NICE)  # renders (and their ffmpeg) yield the cores to the server's answers
    # the server's pid, given at the start: a server killed while this process was still starting has
    # already left it to init, and then it renders nothing
    try:  # the watch may stop this process at once (its server is gone): inside the try, so quietly
        threading.Thread(target=_watch_parent, args=(server,), name="parent-watch", daemon=True).start()
        while os.getppid() == server:
            try:
                request = inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            if request is None:
                return
            render_one(job_path, request[1], out)
    except KeyboardInterrupt:
        return


def start_worker(job_path: Path) -> tuple[mp.process.BaseProcess, Any, Any]:
    """A new render process with its request and report queues."""
    ctx = mp.get_context("spawn")
    inbox, out = ctx.Queue(), ctx.Queue()
    process = ctx.Process(
        target=worker_main, args=(job_path, inbox, out, os.getpid()), name="subpipe-studio-render", daemon=True
    )
    process.start()
    return process, inbox, out
