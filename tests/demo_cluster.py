"""``make demo-cluster``: the sample through a LocalCluster whose workers share no disk, only a local SeaweedFS.

Starts ``weed mini`` on loopback (tests/s3server.py: test credentials, telemetry and admin UI off), uploads
the sample and its transcript, runs ``subpipe run JOB --workers 2`` on a job whose video, transcript and
output folder are ``s3://`` URLs with the chunk cache in the store too (``SUBPIPE_CACHE``), lists the
objects it made, downloads them to ``output/demo-cluster/`` and stops the server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKERS = 2


def _inputs(folder: Path, seconds: float) -> tuple[Path, Path]:
    """The sample and its transcript, or their first ``seconds`` (a quick look: ``--seconds 20``)."""
    video, transcript = ROOT / "assets" / "promo" / "promo.mp4", ROOT / "subtitles" / "promo" / "transcript.json"
    if seconds <= 0:
        return video, transcript
    from pipeline.media.ffmpeg import ffmpeg_exe

    short, text = folder / "promo.mp4", folder / "transcript.json"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(video), "-t", str(seconds), "-c", "copy"]
    subprocess.run([*argv, str(short)], check=True)
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    doc["segments"] = [seg for seg in doc["segments"] if seg["end_ms"] <= seconds * 1000 - 500]
    text.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return short, text


def main() -> int:
    """Run the demo; return the run's exit code."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from s3server import BUCKET, seaweed

    from pipeline.core import storage, transfer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0, help="only the sample's first SECONDS (default: all)")
    args = parser.parse_args()

    job_text = (ROOT / "subpipe.toml").read_text(encoding="utf-8")
    video, transcript = f"s3://{BUCKET}/demo/in/promo.mp4", f"s3://{BUCKET}/demo/in/transcript.json"
    out = f"s3://{BUCKET}/demo/out"
    job_text = job_text.replace('"assets/promo/promo.mp4"', f'"{video}"')
    job_text = job_text.replace('"subtitles/promo/transcript.json"', f'"{transcript}"')
    job_text = job_text.replace('output_dir = "output"', f'output_dir = "{out}"')
    local = ROOT / "output" / "demo-cluster"
    with tempfile.TemporaryDirectory(prefix="subpipe-demo-cluster-") as tmp, seaweed(Path(tmp)) as server:
        print(f"SeaweedFS (weed mini) on {server.endpoint}, started in {server.started_s:.1f} s", flush=True)
        os.environ.update(server.env())
        os.environ["SUBPIPE_CACHE"] = f"s3://{BUCKET}/demo/cache"
        source, text = _inputs(Path(tmp), args.seconds)
        transfer.upload(source, video)
        transfer.upload(text, transcript)
        job = Path(tmp) / "subpipe.toml"
        job.write_text(job_text, encoding="utf-8")
        print(f"subpipe run {job} --workers {WORKERS}  (inputs, outputs and chunk cache: s3://{BUCKET}/demo/)")
        started = time.monotonic()
        argv = [sys.executable, "-m", "pipeline", "run", str(job), "--workers", str(WORKERS)]
        code = subprocess.run(argv, check=False).returncode
        print(f"run: exit {code} after {time.monotonic() - started:.0f} s")
        objects = storage.listing(out)
        for obj in objects:
            print(f"{obj.size:>12,}  {obj.url}")
            target = local / obj.url.removeprefix(out + "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            transfer.download(obj.url, target)
        chunks = storage.listing(f"s3://{BUCKET}/demo/cache/chunks")
        print(f"{len(objects)} output objects (downloaded to {local}); {len(chunks)} chunk-cache objects")
    return code


if __name__ == "__main__":
    sys.exit(main())
