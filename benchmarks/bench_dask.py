"""The Dask executor against the local one, the scheduler's cost per task, and the per-video cost that
``benchmarks/scale_model.py`` extrapolates from.

    .venv/bin/python benchmarks/bench_dask.py [--json figures.json]

1. Four short clips (320x180, 3.5 s) x en+ko: the local executor and a LocalCluster of 2 processes
   (its start-up timed apart), alternated 3 times; the median ratio. On 2 cores expect about 1.0:
   the local run already keeps both cores busy with x264's threads.
2. 200 no-op tasks through ``DaskExecutor.map``: the scheduler's round trip per task; and 200 no-op chunk
   tasks submitted from a worker the way a video task submits its chunk batches (``ClusterRunner``).
3. Calibration: two 12 s excerpts of the 720p sample with 1 and with 3 languages, run here: CPU seconds
   (this process and its ffmpeg children) and wall time, so cost = D * (c0 + L * c1) core-seconds; and
   the chunk encodes alone (``render_chunked`` of one language, one batch at a time): core-seconds per
   second of chunk output, the part of c1 that spreads over a cluster.
4. Validation: four other 12 s excerpts x 2 languages, run here (local executor) and on a LocalCluster
   of 2 (chunk tasks); the model's predictions beside them.
Each run gets a fresh SUBPIPE_CACHE (no shot-change cache hits). The machine is shared: ratios, not seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from distributed_util import job_text, make_inputs  # noqa: E402
from scale_model import Calibration, predict_cluster, predict_local, video_core_s  # noqa: E402

from pipeline.batch.burnstep import burn_requests  # noqa: E402
from pipeline.batch.distributed import ClusterRunner, DaskExecutor  # noqa: E402
from pipeline.batch.executor import Executor  # noqa: E402
from pipeline.batch.run import run_job  # noqa: E402
from pipeline.batch.steps import build_tracks  # noqa: E402
from pipeline.ingest.job import parse_job  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.probe import probe  # noqa: E402
from pipeline.media.scenes import detect_shot_changes  # noqa: E402
from pipeline.render.batchrun import ThreadRunner  # noqa: E402
from pipeline.render.burn import Encoder  # noqa: E402
from pipeline.render.chunkburn import render_chunked  # noqa: E402
from pipeline.render.chunkcache import ChunkCache  # noqa: E402
from pipeline.render.chunkpath import settings_for  # noqa: E402

SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
EXCERPT_S = 12
PAIRS = 3


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _run(text: str, folder: Path, executor: Executor | None = None) -> tuple[float, float]:
    """Wall and CPU seconds of one job (fresh cache); raises if anything failed."""
    os.environ["SUBPIPE_CACHE"] = tempfile.mkdtemp(dir=folder)
    start, cpu = time.perf_counter(), _cpu()
    result = run_job(parse_job(text, folder / "job.toml"), executor=executor)
    wall, used = time.perf_counter() - start, _cpu() - cpu
    assert result.ok, [v.failures for v in result.videos]
    return wall, used


def _excerpt(folder: Path, start_s: int) -> tuple[Path, Path]:
    """``EXCERPT_S`` seconds of the sample from ``start_s`` (re-encoded: exact start, a keyframe first) and
    the segments wholly inside it, re-based."""
    clip = folder / f"x{start_s}.mp4"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-ss", str(start_s), "-i", str(SAMPLE)]
    codecs = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-c:a", "aac"]
    subprocess.run([*argv, "-t", str(EXCERPT_S), *codecs, str(clip)], check=True)
    doc = json.loads(TRANSCRIPT.read_text(encoding="utf-8"))
    lo, hi = start_s * 1000, (start_s + EXCERPT_S) * 1000 - 300
    doc["segments"] = [
        {**s, "start_ms": s["start_ms"] - lo, "end_ms": s["end_ms"] - lo}
        for s in doc["segments"]
        if s["start_ms"] >= lo and s["end_ms"] <= hi
    ]
    transcript = folder / f"x{start_s}.json"
    transcript.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return clip, transcript


def _job_720(out: Path, pairs: list[tuple[Path, Path]], langs: list[str]) -> str:
    """Job defaults (crf 23, veryfast, both soft containers), ``langs`` for every video."""
    lines = [f'output_dir = "{out}"']
    for clip, transcript in pairs:
        lines += ["[[videos]]", f'video = "{clip}"', f'transcript = "{transcript}"', f"languages = {langs!r}"]
    return "\n".join(lines).replace("'", '"') + "\n"


def _noop(x: int) -> int:
    return x


def _chunk_noops(token: str, n: int) -> float:
    """On a worker: ``n`` no-op chunk tasks through :class:`ClusterRunner`; seconds per task."""
    start = time.perf_counter()
    list(ClusterRunner(token).map(_noop, list(range(n))))
    return (time.perf_counter() - start) / n


def bench_executors(folder: Path) -> dict[str, float]:
    """Figures 1 and 2."""
    inputs = make_inputs(folder / "short", 4)
    start = time.perf_counter()
    with DaskExecutor.local(2) as executor:
        startup_s = time.perf_counter() - start
        pairs = [  # alternated, local first: the machine is shared, a pair sees the same load
            (
                _run(job_text(folder / f"l{i}", inputs), folder)[0],
                _run(job_text(folder / f"d{i}", inputs), folder, executor)[0],
            )
            for i in range(PAIRS)
        ]
        executor.map(_noop, list(range(20)), [f"warm{i}" for i in range(20)], [[]] * 20)
        start = time.perf_counter()
        executor.map(_noop, list(range(200)), [f"noop{i}" for i in range(200)], [[]] * 200)
        per_task_s = (time.perf_counter() - start) / 200
        executor.client.submit(_chunk_noops, executor.token, 20, pure=False).result()  # warm-up
        per_chunk_task_s = executor.client.submit(_chunk_noops, executor.token, 200, pure=False).result()
    local_s, dask_s = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    ratio = statistics.median(d / loc for loc, d in pairs)
    return {"local_s": local_s, "dask_s": dask_s, "ratio": ratio, "startup_s": startup_s,
            "per_task_ms": per_task_s * 1000, "per_chunk_task_ms": per_chunk_task_s * 1000}  # fmt: skip


def bench_chunk_encode(folder: Path, clip: Path, transcript: Path) -> dict[str, float]:
    """Core-seconds per second of chunk output (one language's chunks and the bare ones, one batch at a time)."""
    os.environ["SUBPIPE_CACHE"] = tempfile.mkdtemp(dir=folder)
    media = probe(clip)
    shots = detect_shot_changes(clip, media)
    built = build_tracks(load_transcript(transcript), ["en"], {}, media.fps, media=media)
    requests, _ = burn_requests(media, [(built["en"], folder / "chunkcost.en.mp4")], {})
    cpu = _cpu()
    done = render_chunked(
        clip, media, requests, Encoder(), ChunkCache(), shot_changes_ms=shots,
        settings=settings_for(media, Encoder()), runner=ThreadRunner(1),
    )  # fmt: skip
    used = _cpu() - cpu
    for partial in done.partials:
        partial.unlink()
    chunk_s = EXCERPT_S / len(done.spans_ms)
    return {"chunk_core_s": used / done.encoded, "chunk_s": chunk_s, "cc": used / (done.encoded * chunk_s),
            "encoded": done.encoded}  # fmt: skip


def bench_model(folder: Path, executors: dict[str, float]) -> dict[str, Any]:
    """Figures 3 and 4: the calibration, then the prediction beside the measured run."""
    two = [_excerpt(folder, s) for s in (0, 194)]  # two kinds of picture; the validation's are others
    runs = {n: _run(_job_720(folder / f"cal{n}", two, ["en", "ko", "ar"][:n]), folder) for n in (1, 3)}
    cal = Calibration.from_runs(2 * EXCERPT_S, runs[1], runs[3], cores=os.cpu_count() or 1)
    chunk = bench_chunk_encode(folder, *two[0])
    pairs = [_excerpt(folder, s) for s in (24, 59, 113, 137)]
    measured, cpu = _run(_job_720(folder / "val", pairs, ["en", "ko"]), folder)
    predicted = predict_local(cal, videos=4, seconds=EXCERPT_S, langs=2)
    predicted_cpu = 4 * video_core_s(cal, EXCERPT_S, 2)
    with DaskExecutor.local(2) as executor:
        on_cluster = _run(_job_720(folder / "valc", pairs, ["en", "ko"]), folder, executor)[0]
    job = argparse.Namespace(videos=4, seconds=EXCERPT_S, langs=2, source_mbit=4.0, cut_mbit=3.0, storage_mb_s=1e9)
    figures = {"cc": chunk["cc"], "per_chunk_task_ms": executors["per_chunk_task_ms"], "startup_s": 0.0}
    cluster = predict_cluster(cal, 1, cal.cores, job, figures)
    validation = {"predicted_s": predicted, "measured_s": measured, "predicted_cpu_s": predicted_cpu, "cpu_s": cpu,
                  "cluster_predicted_s": cluster.wall_s, "cluster_measured_s": on_cluster}  # fmt: skip
    return {"calibration": cal.as_dict(), "chunk": chunk, "validation": validation}


def main() -> None:
    """Run the benchmarks and print the figures (and write them as JSON with --json)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        executors = bench_executors(Path(tmp))
        figures = {"executors": executors, **bench_model(Path(tmp), executors)}
    ex = figures["executors"]
    print(f"4 short videos x 2 languages, median of {PAIRS} pairs: local {ex['local_s']:.2f} s, "
          f"LocalCluster(2) {ex['dask_s']:.2f} s (ratio {ex['ratio']:.2f}; "
          f"start-up {ex['startup_s']:.2f} s apart)")  # fmt: skip
    print(f"scheduler round trip: {ex['per_task_ms']:.2f} ms per no-op task (200 tasks); "
          f"{ex['per_chunk_task_ms']:.2f} ms per no-op chunk task submitted from a worker")  # fmt: skip
    ch = figures["chunk"]
    print(f"chunk encode: {ch['chunk_core_s']:.2f} core-seconds per chunk output ({ch['chunk_s']:.1f} s of 720p, "
          f"{ch['encoded']} encoded): {ch['cc']:.3f} core-seconds per second of output")  # fmt: skip
    cal = figures["calibration"]
    print(f"per video: {cal['c0']:.3f} + L x {cal['c1']:.3f} core-seconds per second of 720p video; "
          f"efficiency {cal['efficiency']:.2f} on {cal['cores']} cores")  # fmt: skip
    val = figures["validation"]
    print(f"validation, 4 x {EXCERPT_S} s x 2 languages here: predicted {val['predicted_s']:.1f} s, "
          f"measured {val['measured_s']:.1f} s (CPU: predicted {val['predicted_cpu_s']:.1f} s, "
          f"used {val['cpu_s']:.1f} s); on a LocalCluster of 2 (chunk tasks): predicted "
          f"{val['cluster_predicted_s']:.1f} s, measured {val['cluster_measured_s']:.1f} s")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
