"""Re-rendering in the background: a saved edit queues its video; a thread hands it to the render process.

The render is :func:`pipeline.batch.run.run_video`, the same as ``subpipe run``: it applies the
stored edits, keeps every output the last manifest proves unchanged and re-burns only the chunks
an edit touched, then verifies and writes the manifest. Edits saved while a video renders queue it
again. Progress and results are published as ``render`` events.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

from pipeline.render.staging import recover, sweep
from pipeline.studio.events import Events
from pipeline.studio.state import Studio
from pipeline.studio.worker import start_worker

logger = logging.getLogger(__name__)


@dataclass
class RenderState:
    """Where the render of one video stands."""

    state: str = "idle"
    message: str = ""
    seq: int = 0
    fraction: float | None = None
    failures: dict[str, str] | None = None

    def as_json(self) -> dict[str, object]:
        """The state as the pages show it."""
        return {"state": self.state, "message": self.message, "seq": self.seq, "fraction": self.fraction}


class Renderer:
    """One background thread that renders the queued videos, one at a time."""

    def __init__(self, studio: Studio, events: Events) -> None:
        self.studio = studio
        self.events = events
        self.states: dict[str, RenderState] = {vj.name: RenderState() for vj in studio.job.videos}
        self._queued: list[str] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="subpipe-studio-render", daemon=True)
        self._process: Any = None
        self._current: str | None = None
        self._inbox: Any = None
        self._out: Any = None

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking work, end the render process and its ffmpeg, and wait up to ``timeout`` s for the thread."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self.kill()
        self._thread.join(timeout)

    def request(self, video: str) -> None:
        """Queue ``video`` for a render (once, however many edits ask for it)."""
        with self._wake:
            if video not in self._queued:
                self._queued.append(video)
            self._set(video, "queued", "waiting to render")
            self._wake.notify_all()

    def state_of(self, video: str) -> RenderState:
        """Where the render of ``video`` stands (idle for a video the job gained since the studio started)."""
        with self._wake:
            return self.states.setdefault(video, RenderState())

    def idle(self) -> bool:
        """Whether nothing is queued or rendering."""
        with self._wake:
            return not self._queued and all(s.state not in ("queued", "running") for s in self.states.values())

    def _set(self, video: str, state: str, message: str, fraction: float | None = None) -> None:
        current = self.states.setdefault(video, RenderState())
        current.state, current.message, current.fraction = state, message, fraction
        if state in ("done", "failed"):
            current.seq += 1
        self.events.publish("render", {"video": video, "lang": None, **current.as_json()})

    def _next(self) -> str | None:
        with self._wake:
            while not self._queued and not self._stopping:
                self._wake.wait()
            return None if self._stopping else self._queued.pop(0)

    def _loop(self) -> None:
        while (video := self._next()) is not None:
            self._render(video)

    def _render(self, video: str) -> None:
        self._set(video, "running", "rendering")
        started = time.monotonic()
        if self._process is None or not self._process.is_alive():
            self._process, self._inbox, self._out = start_worker(self.studio.job_path)
        self._inbox.put(("render", video))
        self._current = video
        while True:
            try:
                report = self._out.get(timeout=0.5)
            except queue.Empty:
                if self._stopping or not self._process.is_alive():
                    self._set(video, "failed", "the render process ended")
                    return
                continue
            if report[0] == "progress":
                self._set(video, "running", report[2], report[3])
                continue
            break
        self._current = None
        _, _, failures, error = report
        self._finish(video, failures, error, time.monotonic() - started)

    def _finish(self, video: str, failures: dict[str, str], error: str | None, seconds: float) -> None:
        self.states[video].failures = failures
        if error:
            self._set(video, "failed", error)
        elif failures:
            first = next(iter(failures.items()))
            self._set(video, "failed", f"{len(failures)} failed, first {first[0]}: {first[1]}")
        else:
            self._set(video, "done", f"rendered and verified in {seconds:.1f} s")
        logger.info("studio: %s rendered in %.1f s (%d failures)", video, seconds, len(failures))

    def kill(self, grace: float = 5.0) -> None:
        """End the render process (SIGTERM: it unwinds its render; SIGKILL after ``grace`` s) and every ffmpeg
        it started, then remove what a render cut short left (partial files)."""
        process = self._process
        if process is None or process.pid is None:
            return
        try:
            tree = psutil.Process(process.pid)
            victims = [*tree.children(recursive=True), tree]
        except psutil.NoSuchProcess:
            victims = []
        process.terminate()
        process.join(grace)
        for victim in victims:
            with contextlib.suppress(psutil.NoSuchProcess):
                victim.kill()
        psutil.wait_procs(victims, timeout=5)
        if self._current is not None:  # the render it cut short: finish its commit or remove its partials
            recover(self.studio.job.output_dir / self._current)
            sweep(self.studio.job.output_dir / self._current)
