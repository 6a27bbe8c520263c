"""Burn strategies on a 20 s clip of the sample: one decode for N languages vs one process each.

    .venv/bin/python benchmarks/bench_burn.py [--pairs 2] [--langs en,ko,ar,ru]

Runs the two strategies alternately (A B A B ...) in this process and prints the paired wall-time
ratio (one-process / separate), plus CPU time and the largest child's peak memory. Ratios, not
seconds, are the figures to compare: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.steps import build_tracks, style_for  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.probe import probe  # noqa: E402
from pipeline.render.burn import BurnRequest, Encoder, burn  # noqa: E402
from pipeline.tracks.formats import compose_ass  # noqa: E402


def _clip(folder: Path) -> Path:
    out = folder / "clip20.mp4"
    src = ROOT / "assets" / "promo" / "promo.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), "-t", "20", "-c", "copy", str(out)], check=True
    )
    return out


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--langs", default="en,ko,ar,ru")
    args = parser.parse_args()
    langs = args.langs.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clip = _clip(folder)
        media = probe(clip)
        built = build_tracks(load_transcript(ROOT / "subtitles/promo/transcript.json"), langs, {}, Fraction(media.fps))
        requests = [
            BurnRequest(
                lang,
                compose_ass(item.track, style_for(item.profile, {}, media.height), media.width, media.height),
                item.profile.font,
                folder / f"out.{lang}.mp4",
            )
            for lang, item in built.items()
        ]
        enc = Encoder()
        walls: dict[str, list[float]] = {"one": [], "separate": []}
        cpus: dict[str, list[float]] = {"one": [], "separate": []}
        for _ in range(args.pairs):
            for name in ("one", "separate"):
                cpu0, t0 = _children_cpu(), time.perf_counter()
                if name == "one":
                    burn(clip, media, requests, enc)
                else:
                    for req in requests:
                        burn(clip, media, [req], enc)
                walls[name].append(time.perf_counter() - t0)
                cpus[name].append(_children_cpu() - cpu0)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ratios = [a / b for a, b in zip(walls["one"], walls["separate"], strict=True)]
    print(
        f"burn of a 20 s 1280x720 clip into {len(langs)} languages ({','.join(langs)}), veryfast crf 23, "
        f"{args.pairs} alternated pairs"
    )
    print(f"{'strategy':<34} {'wall s median':>14} {'cpu s median':>13}")
    print(
        f"{'one process (split=' + str(len(langs)) + ')':<34} {statistics.median(walls['one']):>14.2f} "
        f"{statistics.median(cpus['one']):>13.2f}"
    )
    print(
        f"{'one process per language':<34} {statistics.median(walls['separate']):>14.2f} "
        f"{statistics.median(cpus['separate']):>13.2f}"
    )
    print(
        f"paired wall ratio one/separate: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f})"
    )
    print(f"largest ffmpeg child peak RSS: {peak_mib:.0f} MiB (the one-process run)")


if __name__ == "__main__":
    main()
