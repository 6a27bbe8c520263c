"""What the studio's browser tests share: a ``subpipe studio`` process on a job, Debian's Chromium driven by
Playwright (nothing downloaded), and polling a page (``wait_for_function`` evaluates a string, which the CSP
forbids)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# wavesurfer writes a <style> into its shadow root, which the CSP refuses; timeline.js re-adopts it as a sheet.
KNOWN_CSP_MESSAGE = "Applying inline style violates"


def _address(stdout: Path, proc: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = stdout.read_text(encoding="utf-8").splitlines()
        if lines:
            assert lines[0].startswith("studio: http://127.0.0.1:"), lines[0]
            return lines[0].removeprefix("studio: ").strip()
        assert proc.poll() is None, f"the studio exited with {proc.returncode}"
        time.sleep(0.1)
    raise AssertionError("the studio printed no address")


@contextmanager
def served_studio(folder: Path, job: Path, *options: str, timeout: float = 60) -> Iterator[str]:
    """``subpipe studio JOB --port 0 OPTIONS`` until the block ends (then Ctrl-C, or a kill after 15 s);
    yields the address it printed. Its output goes to ``folder/studio.out`` and ``studio.err``."""
    argv = [sys.executable, "-m", "pipeline", "studio", str(job), "--port", "0", *options]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stdout = folder / "studio.out"
    with stdout.open("wb") as out, (folder / "studio.err").open("wb") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=err)
    try:
        yield _address(stdout, proc, timeout)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for(page: Page, js: str, what: str, timeout: float = 60) -> Any:
    """Poll the function source ``js`` until truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(js)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
