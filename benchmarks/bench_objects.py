"""Object storage against a local SeaweedFS (``weed mini``, as the tests start it): what the closing note of
issue 25 reports.

    .venv/bin/python benchmarks/bench_objects.py inputs       # scratch copy vs streaming, for reading a source
    .venv/bin/python benchmarks/bench_objects.py throughput CUT...  # upload/download MB/s of the sample's cuts
    .venv/bin/python benchmarks/bench_objects.py cluster [--pairs 2] [--seconds 60] [--json out.json]

- ``inputs``: the sample (4.2 MiB) read the way a run reads it (every packet's timestamps for the frame
  table, then a decode from 12 keyframes, as 12 chunk batches do), from a scratch copy (fetch whole, then
  local) and streamed through s3fs (a file object over ranged GETs); median of 3.
- ``throughput``: the cuts uploaded one after another (a PUT each, as a run does), then downloaded; 3 rounds.
- ``cluster``: the 10-language sample (subpipe.toml's languages; formats and burn, no mux or review) on a
  LocalCluster of 2 workers, with object storage (inputs, outputs and the chunk cache in the store, each
  worker its own scratch) and with a shared folder (local paths, the chunk cache in a folder); A/B
  alternated ``--pairs`` times, a fresh cache each run; the wall-time ratio. ``--seconds``: the sample's
  first seconds only (stream copy), for a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from s3server import BUCKET, seaweed  # noqa: E402

from pipeline.core import storage, transfer  # noqa: E402

SAMPLE = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
LANGS = '["en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id"]'


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _read_like_a_run(source: Any) -> None:
    """Every packet's timestamps, then one frame decoded from each of 12 keyframes spread over the video."""
    import av

    with av.open(source) as container:
        stream = container.streams.video[0]
        keys = [p.pts for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
        for pts in keys[:: max(1, len(keys) // 12)][:12]:
            container.seek(pts, stream=stream)
            next(container.decode(stream))


def bench_inputs(folder: Path) -> dict[str, float]:
    """Seconds to read the sample from a scratch copy (fetch included) and streamed."""
    url = f"s3://{BUCKET}/bench/in/promo.mp4"
    transfer.upload(SAMPLE, url)
    fs = storage.filesystem(url)
    fetches, checks = [], []
    for i in range(5):  # the fetch alone, and a later use of the copy (a HEAD)
        fetches.append(_timed(lambda i=i: transfer.fetch(url, folder / f"fetch{i}")))
        checks.append(_timed(lambda i=i: transfer.fetch(url, folder / f"fetch{i}")))
    copies, rereads, streams, small = [], [], [], []
    for i in range(3):
        copies.append(_timed(lambda i=i: _read_like_a_run(str(transfer.fetch(url, folder / f"copy{i}")))))
        rereads.append(_timed(lambda i=i: _read_like_a_run(str(transfer.fetch(url, folder / f"copy{i}")))))

        def stream(block: int | None = None) -> None:
            with fs.open(url, "rb", **({"block_size": block} if block else {})) as fh:
                _read_like_a_run(fh)

        streams.append(_timed(stream))
        small.append(_timed(lambda: stream(1 << 20)))  # a source much larger than s3fs's 50 MiB block behaves so
    return {
        "fetch_s": statistics.median(fetches),
        "fetch_again_s": statistics.median(checks),
        "scratch_copy_s": statistics.median(copies),  # fetch whole + read
        "scratch_reread_s": statistics.median(rereads),  # every later read of the copy (a HEAD to check it)
        "streamed_s": statistics.median(streams),  # s3fs's default 50 MiB block: the whole sample in one GET
        "streamed_1mib_blocks_s": statistics.median(small),  # ranged GETs, as for a multi-GB source
    }


def bench_throughput(cuts: list[Path], folder: Path) -> dict[str, float]:
    """MB/s up and down for ``cuts``, each a PUT/GET of its own, one after another (median of 3 rounds)."""
    total = sum(c.stat().st_size for c in cuts)
    ups, downs = [], []
    for r in range(3):
        urls = [f"s3://{BUCKET}/bench/cuts{r}/{c.parent.name}-{c.name}" for c in cuts]
        pairs = list(zip(cuts, urls, strict=True))
        ups.append(total / 1e6 / _timed(lambda pairs=pairs: [transfer.upload(c, u) for c, u in pairs]))
        back = folder / f"d{r}.mp4"
        downs.append(total / 1e6 / _timed(lambda urls=urls, back=back: [transfer.download(u, back) for u in urls]))
    up, down = statistics.median(ups), statistics.median(downs)
    return {"bytes": total, "files": len(cuts), "upload_mb_s": up, "download_mb_s": down}


def _job(folder: Path, video: str, transcript: str, out: str) -> Path:
    job = folder / "job.toml"
    text = (
        f'output_dir = "{out}"\n[[videos]]\nname = "promo"\nvideo = "{video}"\ntranscript = "{transcript}"\n'
        f'languages = {LANGS}\ndefault_language = "en"\n[outputs]\nformats = ["srt", "vtt", "ass"]\nburn = true\n'
        'mux = []\nreview = false\n[render]\ncrf = 23\npreset = "veryfast"\nburn_group = 5\n'
    )
    job.write_text(text, encoding="utf-8")
    return job


def _cluster_run(job: Path, cache: str) -> float:
    from pipeline.batch.distributed import DaskExecutor
    from pipeline.batch.run import run_job
    from pipeline.ingest.job import load_job

    os.environ["SUBPIPE_CACHE"] = cache
    started = time.perf_counter()
    with DaskExecutor.local(2) as executor:
        result = run_job(load_job(job), executor=executor)
    wall = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"the run failed: {[v.failures for v in result.videos]}")
    return wall


def _excerpt(folder: Path, seconds: float) -> tuple[Path, Path]:
    """The sample's first ``seconds`` (stream copy) and the transcript's segments that end before."""
    import subprocess

    from pipeline.media.ffmpeg import ffmpeg_exe

    if seconds <= 0:
        return SAMPLE, TRANSCRIPT
    video, transcript = folder / "excerpt.mp4", folder / "excerpt.json"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(SAMPLE), "-t", str(seconds)]
    subprocess.run([*argv, "-c", "copy", str(video)], check=True)
    doc = json.loads(TRANSCRIPT.read_text(encoding="utf-8"))
    doc["segments"] = [seg for seg in doc["segments"] if seg["end_ms"] <= seconds * 1000 - 500]
    transcript.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return video, transcript


def bench_cluster(folder: Path, pairs: int, seconds: float, shared_first: bool = False) -> dict[str, Any]:
    """Wall seconds of the sample (or its first ``seconds``) on a LocalCluster of 2, object storage against a
    shared folder, alternated."""
    source, text = _excerpt(folder, seconds)
    video, transcript = f"s3://{BUCKET}/bench/in/promo.mp4", f"s3://{BUCKET}/bench/in/transcript.json"
    transfer.upload(source, video)
    transfer.upload(text, transcript)
    runs: dict[str, list[float]] = {"object": [], "shared": []}
    for i in range(pairs):
        order = ["object", "shared"] if (i + shared_first) % 2 == 0 else ["shared", "object"]
        for mode in order:
            here = folder / f"{mode}{i}"
            here.mkdir()
            if mode == "object":
                job = _job(here, video, transcript, f"s3://{BUCKET}/bench/out{i}")
                wall = _cluster_run(job, f"s3://{BUCKET}/bench/cache{i}")
            else:
                job = _job(here, str(source), str(text), str(here / "out"))
                wall = _cluster_run(job, str(here / "cache"))
            runs[mode].append(wall)
            print(f"{mode}: {wall:.1f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    ratios = [o / s for o, s in zip(runs["object"], runs["shared"], strict=True)]
    return {**runs, "ratios": ratios, "median_ratio": statistics.median(ratios)}


def main() -> None:
    """Start a SeaweedFS, run the asked benchmark, print (and save) its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["inputs", "throughput", "cluster"])
    parser.add_argument("cuts", nargs="*", type=Path, help="throughput: the cut files")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=0, help="cluster: the sample's first SECONDS (0: all)")
    parser.add_argument("--shared-first", action="store_true", help="cluster: the shared run first")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-objects-") as tmp, seaweed(Path(tmp)) as server:
        os.environ.update(server.env())
        os.environ["SUBPIPE_SCRATCH"] = str(Path(tmp) / "scratch")
        figures: dict[str, Any] = {"server_start_s": server.started_s, "load": os.getloadavg()[0]}
        if args.what == "inputs":
            figures.update(bench_inputs(Path(tmp)))
        elif args.what == "throughput":
            figures.update(bench_throughput(args.cuts, Path(tmp)))
        else:
            figures.update(bench_cluster(Path(tmp), args.pairs, args.seconds, args.shared_first))
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
