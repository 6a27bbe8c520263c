"""Expected wall time of a job on 1..N machines, from the figures ``benchmarks/bench_dask.py`` measures.

    .venv/bin/python benchmarks/scale_model.py [--figures figures.json] [--videos 50] [--langs 10]
        [--seconds 263] [--cores 8] [--source-mbit 4] [--cut-mbit 3] [--storage-mb-s 110]

The model (README, "Running on several machines"):

- A video costs ``D * (c0 + L * c1)`` core-seconds (D its seconds, L its languages): c0 the per-video
  work (probe, shot changes, speech, frame times, muxing, review), c1 each language's (its share of
  the grouped burn, verification, thumbnails), both measured here at 720p.
- Tasks are whole videos (this step of issue 12). Each worker gets as many cores as the calibration
  machine (``cores``), where one video ran at the measured efficiency; a machine of C cores runs C/cores
  workers. Wall = rounds * one video's wall, rounds = ceil(videos / workers): videos are the grain.
- Shared storage: every byte a video's task reads and writes crosses it. Reads of the source: shot
  changes, frame times, one per burn group, one per soft container; writes + re-reads of each container;
  each cut written, verified, and read once more for the review's thumbnails. The job cannot finish
  faster than total bytes / the storage's bandwidth, however many machines run it.
- The scheduler handles tasks one after another: tasks * its round trip per task.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

# Measured with benchmarks/bench_dask.py on the project's 2-core machine (see README); --figures overrides.
CHUNK_S = 4.0  # issue 11's chunks are 2-4 s
MEASURED = {"c0": 0.0497, "c1": 0.1476, "efficiency": 0.71, "cores": 2, "per_task_ms": 1.99, "startup_s": 0.88}


@dataclass(frozen=True)
class Calibration:
    """Core-seconds per second of video: ``c0`` per video, ``c1`` per language; CPU use of one video at a time."""

    c0: float
    c1: float
    efficiency: float
    cores: int

    @classmethod
    def from_runs(cls, seconds: float, one: tuple[float, float], three: tuple[float, float], cores: int) -> Calibration:
        """From (wall, CPU) seconds of one video of ``seconds`` run with 1 and with 3 languages."""
        c1 = (three[1] - one[1]) / (2 * seconds)
        c0 = one[1] / seconds - c1
        efficiency = (one[1] + three[1]) / ((one[0] + three[0]) * cores)
        return cls(c0, c1, min(1.0, efficiency), cores)

    def as_dict(self) -> dict[str, float]:
        """Plain data (JSON)."""
        return asdict(self)


def video_core_s(cal: Calibration, seconds: float, langs: int) -> float:
    """Core-seconds of one video."""
    return seconds * (cal.c0 + langs * cal.c1)


def predict_local(cal: Calibration, videos: int, seconds: float, langs: int) -> float:
    """Wall seconds of a job run here, one video after another (the local executor)."""
    return videos * video_core_s(cal, seconds, langs) / (cal.cores * cal.efficiency)


def storage_bytes(seconds: float, langs: int, source_mbit: float, cut_mbit: float, group: int = 5) -> float:
    """Bytes one video's task moves over shared storage (see the module's docstring)."""
    source, cut = seconds * source_mbit * 1e6 / 8, seconds * cut_mbit * 1e6 / 8
    source_reads = 2 + math.ceil(langs / group) + 2
    return source * (source_reads + 2 * 2) + cut * langs * 3


@dataclass(frozen=True)
class Prediction:
    """One cluster size's expected wall time and what bounds it."""

    machines: int
    workers: int
    compute_s: float
    storage_s: float
    scheduler_s: float
    wall_s: float
    bound: str


def predict_cluster(
    cal: Calibration, machines: int, cores: int, job: argparse.Namespace, figures: dict[str, float]
) -> Prediction:
    """Expected wall time of ``job`` on ``machines`` of ``cores`` cores each."""
    workers = machines * max(1, cores // cal.cores)
    one_video = video_core_s(cal, job.seconds, job.langs) / (cal.cores * cal.efficiency)
    compute = math.ceil(job.videos / workers) * one_video
    moved = job.videos * storage_bytes(job.seconds, job.langs, job.source_mbit, job.cut_mbit)
    storage = moved / (job.storage_mb_s * 1e6)
    scheduler = job.videos * figures["per_task_ms"] / 1000
    wall = max(compute, storage) + scheduler + figures["startup_s"]
    bound = "compute (videos are the grain)" if compute >= storage else "shared storage"
    if workers > job.videos and compute >= storage:
        bound = "one video's time (more workers than videos)"
    return Prediction(machines, workers, compute, storage, scheduler, wall, bound)


def _figures(path: Path | None) -> dict[str, float]:
    if path is None:
        return dict(MEASURED)
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {
        **doc["calibration"],
        "per_task_ms": doc["executors"]["per_task_ms"],
        "startup_s": doc["executors"]["startup_s"],
    }


def main() -> None:
    """Print the expected wall time on 1, 4 and 16 machines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--figures", type=Path, help="bench_dask.py --json output (default: the README's figures)")
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--langs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=263.0, help="each video's length (the sample's: 263)")
    parser.add_argument("--cores", type=int, default=8, help="cores per machine")
    parser.add_argument("--source-mbit", type=float, default=4.0)
    parser.add_argument("--cut-mbit", type=float, default=3.0)
    parser.add_argument("--storage-mb-s", type=float, default=110.0, help="shared storage bandwidth (1 GbE NFS: ~110)")
    parser.add_argument("--machines", default="1,4,16")
    parser.add_argument("--cost-scale", type=float, default=1.0, help="encode cost of your footage / the sample's")
    job = parser.parse_args()
    figures = _figures(job.figures)
    scale = job.cost_scale
    cal = Calibration(figures["c0"] * scale, figures["c1"] * scale, figures["efficiency"], int(figures["cores"]))
    print(f"{job.videos} videos x {job.langs} languages x {job.seconds:.0f} s, machines of {job.cores} cores, "
          f"storage {job.storage_mb_s:.0f} MB/s")  # fmt: skip
    print(f"{'machines':>8} {'workers':>7} {'compute':>9} {'storage':>9} {'sched':>6} {'wall':>9}  bound")
    for machines in (int(m) for m in job.machines.split(",")):
        p = predict_cluster(cal, machines, job.cores, job, figures)
        print(f"{p.machines:>8} {p.workers:>7} {p.compute_s / 60:>7.1f} m {p.storage_s / 60:>7.1f} m "
              f"{p.scheduler_s:>5.2f}s {p.wall_s / 60:>7.1f} m  {p.bound}")  # fmt: skip
    chunks = job.videos * math.ceil(job.seconds / CHUNK_S) * math.ceil(job.langs / 5)
    print(f"at chunk grain ({CHUNK_S:.0f} s chunks x burn groups of 5): {chunks} tasks, "
          f"{chunks * figures['per_task_ms'] / 1000:.0f} s of scheduler time")  # fmt: skip


if __name__ == "__main__":
    main()
