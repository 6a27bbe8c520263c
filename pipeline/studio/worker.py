"""The render process: runs the batch on one video at a time, away from the server's interpreter.

The server stays responsive while a video renders (the batch's Python work would otherwise hold
the server's GIL for seconds). Requests and reports go through two queues: ``("render", video)``
in; ``("progress", video, label, fraction)`` and ``("done", video, failures, error)`` out.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path
from typing import Any

from pipeline.batch.run import run_video
from pipeline.core.errors import PipelineError
from pipeline.ingest.job import load_job
from pipeline.media.ffmpeg import ProgressFn

NICE = 10


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


def render_one(job_path: Path, video: str, out: Any) -> None:
    """Render ``video`` of the job at ``job_path`` (read anew: it may have changed) and report to ``out``."""
    try:
        job = load_job(job_path)
        vj = next((v for v in job.videos if v.name == video), None)
        if vj is None:
            out.put(("done", video, {}, f"the job no longer has video {video!r}"))
            return
        result = run_video(job, vj, _progress(out, video))
        out.put(("done", video, dict(result.failures), None))
    except PipelineError as exc:
        out.put(("done", video, {}, str(exc)))


def _stop(_signum: int, _frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one clean stop
    raise KeyboardInterrupt


def worker_main(job_path: Path, inbox: Any, out: Any) -> None:
    """The process's loop: render each requested video until told to stop (None, or SIGTERM).

    Ctrl-C in a terminal reaches the whole process group: the render process ignores it, and the
    server stops it with SIGTERM, which unwinds the render as an interrupt does (its partial outputs
    removed, its ffmpeg ended).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    with contextlib.suppress(OSError):
        os.nice(NICE)  # renders (and their ffmpeg) yield the cores to the server's answers
    try:
        while (request := inbox.get()) is not None:
            render_one(job_path, request[1], out)
    except KeyboardInterrupt:
        return


def start_worker(job_path: Path) -> tuple[mp.process.BaseProcess, Any, Any]:
    """A new render process with its request and report queues."""
    ctx = mp.get_context("spawn")
    inbox, out = ctx.Queue(), ctx.Queue()
    process = ctx.Process(target=worker_main, args=(job_path, inbox, out), name="subpipe-studio-render", daemon=True)
    process.start()
    return process, inbox, out
