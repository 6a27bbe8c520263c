"""Expected wall time of a job on 1..N machines, from the figures ``benchmarks/bench_dask.py`` measures.

    .venv/bin/python benchmarks/scale_model.py [--figures figures.json] [--videos 50] [--langs 10]
        [--seconds 263] [--cores 8] [--source-mbit 4] [--cut-mbit 3] [--storage-mb-s 110]
        [--storage shared|object] [--nic-mb-s 110] [--store-mb-s 0]

The model (README, "Running on several machines"):

- A video costs ``D * (c0 + L * c1)`` core-seconds (D its seconds, L its languages): c0 the per-video
  work (probe, shot changes, speech, frame times, muxing, review), c1 each language's (its share of
  the grouped burn, verification, thumbnails), both measured here at 720p.
- Tasks: one per video (analysis, tracks, assembly, verification, mux, review, manifest) and one per
  chunk batch (a keyframe span's chunks for up to 4 outputs), which the video task submits to the
  cluster. Of c1, ``cc`` (measured alone) is the chunk encodes, which spread over every worker; the
  rest, c0 + L * (c1 - cc), stays in its video's task. Each worker has ``cores`` cores (the calibration
  machine's) and runs at the measured efficiency; a machine of C cores runs C/cores workers.
- Compute = max(all core-seconds / (all cores * efficiency), the critical path: one video's serial part
  on one worker + one chunk batch). With chunk tasks the grain is a batch (seconds), not a video: it
  stops scaling only when a video's serial part is the longest thing left.
- Shared storage: every byte a video's tasks read and write crosses it. Reads of the source: shot
  changes, frame times, one per chunk batch of a keyframe span (batches of 4 outputs: languages and the
  bare picture), one per soft container; writes + re-reads of each container; each language's chunks
  written to the cache and read to assemble the cut; each cut written, verified, and read once more for
  the review's thumbnails. The job cannot finish
  faster than total bytes / the storage's bandwidth, however many machines run it.
- Object storage instead (``--storage object``, issue 25: workers share no disk): a worker fetches each
  source it touches once into its scratch and reads it there, so the store carries the source once per
  worker that runs a task of the video (its video task and the chunk batches' workers, at most
  ``workers``); each language's chunks are uploaded by the worker that encodes them and downloaded once
  by the video task's worker (2x); each cut and container is uploaded once. Everything else stays on
  the worker's disk. The bytes flow through each machine's own link (``--nic-mb-s``), so the bound grows
  with the machines, up to the store's own bandwidth when it has one (``--store-mb-s``; S3: 0, unbounded;
  one MinIO/SeaweedFS server: its link). The chunks' share is what the store adds for spreading the chunk
  encodes (``chunk_traffic``).
- The scheduler handles tasks one after another: tasks * its cost per chunk task (measured with tasks
  submitted from a worker, as video tasks submit them).
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

# Measured with benchmarks/bench_dask.py on the project's 2-core machine (see README); --figures overrides.
CHUNK_S = 4.0  # issue 11's chunks are 2-6 s, about 4
GROUP = 4  # outputs per chunk batch (pipeline.render.chunkburn.DEFAULT_GROUP)
MEASURED = {"c0": 0.0993, "c1": 0.1390, "efficiency": 0.75, "cores": 2, "per_task_ms": 1.73, "startup_s": 0.75,
            "cc": 0.1185, "per_chunk_task_ms": 2.04}  # fmt: skip


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


def storage_bytes(seconds: float, langs: int, source_mbit: float, cut_mbit: float, group: int = GROUP) -> float:
    """Bytes one video's tasks move over shared storage (see the module's docstring)."""
    source, cut = seconds * source_mbit * 1e6 / 8, seconds * cut_mbit * 1e6 / 8
    source_reads = 2 + math.ceil((langs + 1) / group) + 2
    return source * (source_reads + 2 * 2) + cut * langs * 5


def object_bytes(seconds: float, langs: int, source_mbit: float, cut_mbit: float, fetchers: int) -> float:
    """Bytes one video moves through an object store: the source once per worker that fetches it
    (``fetchers``), each language's chunks up and down, each cut and the two soft containers up."""
    source, cut = seconds * source_mbit * 1e6 / 8, seconds * cut_mbit * 1e6 / 8
    return source * (fetchers + 2) + cut * langs * (2 + 1)


def chunk_traffic(seconds: float, langs: int, cut_mbit: float) -> float:
    """The part of :func:`object_bytes` that chunks add (their upload and download)."""
    return seconds * cut_mbit * 1e6 / 8 * langs * 2


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


def chunk_tasks(videos: int, seconds: float, langs: int) -> int:
    """Chunk batch tasks of a job: each chunk's outputs (its languages and the bare picture) in batches."""
    return videos * math.ceil(seconds / CHUNK_S) * math.ceil((langs + 1) / GROUP)


def predict_cluster(
    cal: Calibration, machines: int, cores: int, job: argparse.Namespace, figures: dict[str, float]
) -> Prediction:
    """Expected wall time of ``job`` on ``machines`` of ``cores`` cores each, chunk batches as tasks."""
    workers = machines * max(1, cores // cal.cores)
    speed = cal.cores * cal.efficiency  # one worker's core-seconds per second
    total = job.videos * video_core_s(cal, job.seconds, job.langs)
    serial = job.seconds * (cal.c0 + job.langs * max(cal.c1 - figures["cc"], 0.0)) / speed
    batch = CHUNK_S * GROUP * figures["cc"] / cal.efficiency  # one batch: one ffmpeg, x264s of one thread
    compute = max(total / (workers * speed), serial + batch)
    if getattr(job, "storage", "shared") == "object":
        fetchers = min(workers, 1 + math.ceil(job.seconds / CHUNK_S) * math.ceil((job.langs + 1) / GROUP))
        moved = job.videos * object_bytes(job.seconds, job.langs, job.source_mbit, job.cut_mbit, fetchers)
        bandwidth = machines * job.nic_mb_s  # each machine's own link to the store
        if job.store_mb_s > 0:
            bandwidth = min(bandwidth, job.store_mb_s)
        storage = moved / (bandwidth * 1e6)
    else:
        moved = job.videos * storage_bytes(job.seconds, job.langs, job.source_mbit, job.cut_mbit)
        storage = moved / (job.storage_mb_s * 1e6)
    tasks = chunk_tasks(job.videos, job.seconds, job.langs) + job.videos
    scheduler = tasks * figures["per_chunk_task_ms"] / 1000
    wall = max(compute, storage) + scheduler + figures["startup_s"]
    bound = "compute (spread over every core)" if compute >= storage else f"{getattr(job, 'storage', 'shared')} storage"
    if compute >= storage and serial + batch >= total / (workers * speed):
        bound = "one video's serial part (its analysis, assembly, verification)"
    return Prediction(machines, workers, compute, storage, scheduler, wall, bound)


def _figures(path: Path | None) -> dict[str, float]:
    if path is None:
        return dict(MEASURED)
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {
        **doc["calibration"],
        "per_task_ms": doc["executors"]["per_task_ms"],
        "per_chunk_task_ms": doc["executors"]["per_chunk_task_ms"],
        "startup_s": doc["executors"]["startup_s"],
        "cc": doc["chunk"]["cc"],
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
    parser.add_argument("--storage", choices=["shared", "object"], default="shared", help="what the workers share")
    parser.add_argument("--nic-mb-s", type=float, default=110.0, help="object storage: each machine's link (1 GbE)")
    parser.add_argument("--store-mb-s", type=float, default=0.0, help="object storage: the store's bandwidth (0: S3)")
    parser.add_argument("--machines", default="1,4,16")
    parser.add_argument("--cost-scale", type=float, default=1.0, help="encode cost of your footage / the sample's")
    job = parser.parse_args()
    figures = _figures(job.figures)
    scale = job.cost_scale
    cal = Calibration(figures["c0"] * scale, figures["c1"] * scale, figures["efficiency"], int(figures["cores"]))
    figures["cc"] *= scale
    if job.storage == "object":
        store = f"{job.store_mb_s:.0f} MB/s" if job.store_mb_s > 0 else "unbounded (S3)"
        where = f"object storage: {job.nic_mb_s:.0f} MB/s per machine, store {store}"
    else:
        where = f"shared storage {job.storage_mb_s:.0f} MB/s"
    print(f"{job.videos} videos x {job.langs} languages x {job.seconds:.0f} s, machines of {job.cores} cores, {where}")
    print(f"{'machines':>8} {'workers':>7} {'compute':>9} {'storage':>9} {'sched':>6} {'wall':>9}  bound")
    for machines in (int(m) for m in job.machines.split(",")):
        p = predict_cluster(cal, machines, job.cores, job, figures)
        print(f"{p.machines:>8} {p.workers:>7} {p.compute_s / 60:>7.1f} m {p.storage_s / 60:>7.1f} m "
              f"{p.scheduler_s:>5.2f}s {p.wall_s / 60:>7.1f} m  {p.bound}")  # fmt: skip
    if job.storage == "object":
        one = object_bytes(job.seconds, job.langs, job.source_mbit, job.cut_mbit, 1)
        chunks = chunk_traffic(job.seconds, job.langs, job.cut_mbit)
        print(
            f"per video through the store: {one / 1e6:.0f} MB with one fetch of the source, of which chunks "
            f"{chunks / 1e6:.0f} MB (+{chunks / (one - chunks):.0%} over the same job with chunks kept local)"
        )
    tasks = chunk_tasks(job.videos, job.seconds, job.langs)
    print(f"{tasks} chunk tasks ({CHUNK_S:.0f} s chunks x batches of {GROUP} outputs) + {job.videos} video tasks; "
          f"the scheduler spends {figures['per_chunk_task_ms']:.1f} ms on each")  # fmt: skip


if __name__ == "__main__":
    main()
