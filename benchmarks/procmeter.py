"""Whole commands measured as a benchmark sees them: wall, CPU of every descendant, peak memory.

Memory is sampled with psutil every 50 ms over the command's process tree: the largest RSS sum
(a page shared by forked workers counted in each), the largest PSS sum (each shared page split
among its sharers: what the tree occupies in RAM; sampled every 0.5 s, as reading it walks the
process's pages) and the largest single process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

SAMPLE_S, MIB = 0.05, 1024 * 1024
PSS_EVERY = 10  # PSS every 0.5 s: the kernel walks each process's pages for it, under its memory map's lock


@dataclasses.dataclass(frozen=True)
class Measure:
    """One command (or several one after the other): wall and CPU seconds, peak memory in MiB."""

    wall: float
    cpu: float
    tree_mib: float  # the largest RSS sum of the process tree seen
    proc_mib: float  # the largest RSS of a single process seen
    pss_mib: float = 0.0  # the largest PSS sum of the process tree seen

    def then(self, other: Measure) -> Measure:
        """This command followed by ``other``: times add up, the peaks are the larger."""
        return Measure(
            self.wall + other.wall,
            self.cpu + other.cpu,
            max(self.tree_mib, other.tree_mib),
            max(self.proc_mib, other.proc_mib),
            max(self.pss_mib, other.pss_mib),
        )


class _Peak:
    """Samples a process tree's memory every 50 ms in a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.tree = self.single = self.pss = self._count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(pid,), daemon=True)
        self._thread.start()

    def _watch(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while True:
            self._sample(root)
            if self._stop.wait(SAMPLE_S):
                return

    def _sample(self, root: Any) -> None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        sizes, shares = [], []
        self._count += 1
        for proc in procs:
            with contextlib.suppress(psutil.Error, OSError, ValueError):
                sizes.append(int(proc.memory_info().rss))
                if self._count % PSS_EVERY == 0:
                    shares.append(_pss(proc.pid))
        self.tree = max(self.tree, sum(sizes))
        self.pss = max(self.pss, sum(shares))
        self.single = max(self.single, max(sizes, default=0))

    def stop(self) -> tuple[float, float, float]:
        """Stop sampling; the peaks (tree RSS sum, single process RSS, tree PSS sum) in MiB."""
        self._stop.set()
        self._thread.join()
        return self.tree / MIB, self.single / MIB, self.pss / MIB


def _pss(pid: int) -> int:
    """A process's PSS in bytes from ``/proc/PID/smaps_rollup`` (the kernel's sum: cheap to read, unlike
    the full ``smaps`` that psutil's ``memory_full_info`` parses, which took a core away from the
    processes being measured when sampled every 50 ms)."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(argv: Sequence[str | Path], root: Path, cwd: Path | None = None, cache: Path | None = None) -> Measure:
    """Run one command (``root`` on its PYTHONPATH) to its end and measure it; exit 1 with its
    output's tail when it fails."""
    env = dict(os.environ, PYTHONPATH=str(root))
    if cache is not None:
        env["SUBPIPE_CACHE"] = str(cache)
    args = [str(a) for a in argv]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    peak = _Peak(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    tree, single, pss = peak.stop()
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        tail = (err or out).decode("utf-8", "replace").splitlines()[-30:]
        print(f"FAILED (exit {proc.returncode}): {' '.join(args)}", *tail, sep="\n", file=sys.stderr)
        raise SystemExit(1)
    return Measure(wall, cpu, tree, single, pss)
