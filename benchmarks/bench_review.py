"""The review page's cost against the burn it reviews, on the whole sample, in one run.

    .venv/bin/python benchmarks/bench_review.py [--langs en,ko]

Runs the job's burn for the given languages (one process, one decode, as `subpipe run` does), then
the review step, and prints the ratio review / burn measured in CPU seconds of the children (ffmpeg)
and in wall time. Ratios, not seconds, are the figures to compare: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.review import write_video_review  # noqa: E402
from pipeline.batch.steps import build_tracks, burn_tracks  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.probe import probe  # noqa: E402
from pipeline.render.burn import Encoder  # noqa: E402
from pipeline.render.manifest import entry_for  # noqa: E402


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--langs", default="en,ko")
    langs = parser.parse_args().langs.split(",")
    video = ROOT / "assets" / "promo" / "promo.mp4"
    media = probe(video)
    transcript = load_transcript(ROOT / "subtitles" / "promo" / "transcript.json")
    built = build_tracks(transcript, langs, {}, media.fps)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        items = [(item, root / lang / f"promo.{lang}.mp4") for lang, item in built.items()]
        cpu, wall = _child_cpu(), time.perf_counter()
        cuts = burn_tracks(video, media, items, {}, Encoder())
        burn_cpu, burn_wall = _child_cpu() - cpu, time.perf_counter() - wall
        entries = [entry_for(p, root, "burned", lang) for p, lang in zip(cuts, built, strict=True)]
        cpu, wall = _child_cpu(), time.perf_counter()
        write_video_review("promo", video, media, built, entries, {}, {}, root, {}, langs[0])
        review_cpu, review_wall = _child_cpu() - cpu, time.perf_counter() - wall
        stills = len(list((root / "review").rglob("*.jpg")))
    print(f"languages {','.join(langs)}; {stills} stills")
    print(f"burn   {burn_wall:7.1f} s wall {burn_cpu:7.1f} s cpu")
    print(f"review {review_wall:7.1f} s wall {review_cpu:7.1f} s cpu")
    print(f"review/burn: wall {review_wall / burn_wall:.3f}, cpu {review_cpu / burn_cpu:.3f}")


if __name__ == "__main__":
    main()
