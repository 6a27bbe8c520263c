"""The review's cost in a run: what a run spends because of the review, over the burn alone, in one run.

    .venv/bin/python benchmarks/bench_review.py [--langs en,ko] [--seconds 0]

On the sample (``--seconds``: its first N seconds; 0: all of it), side by side, each on a fresh
chunk cache (shot changes detected once before the timings, as ``subpipe run`` does for tracks):

1. the burn without the review (chunked, as ``subpipe run`` burns an MP4 cut);
2. the burn that taps the review's stills in its chunk encodes, then the review page, which takes
   its stills from the chunks (:mod:`pipeline.render.chunkstills`);
3. for comparison, the review as a monolithic cut gets it: one decoding pass over each cut.

The review's cost is (2 - 1) / 1: the extra time the run spends because of the review. Printed in
wall time and in CPU seconds (ffmpeg children and this process). Ratios, not seconds, are the
figures to compare: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.burnstep import BurnOptions, burn_tracks_each  # noqa: E402
from pipeline.batch.review import write_video_review  # noqa: E402
from pipeline.batch.steps import build_tracks  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.probe import probe  # noqa: E402
from pipeline.media.scenes import detect_shot_changes  # noqa: E402
from pipeline.render.burn import Encoder  # noqa: E402
from pipeline.render.chunkpath import CutRecord  # noqa: E402
from pipeline.render.manifest import entry_for  # noqa: E402
from pipeline.render.review import review_frames  # noqa: E402


def _cpu() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_CHILDREN, resource.RUSAGE_SELF)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    cpu, wall = _cpu(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall, _cpu() - cpu, result


def _video(folder: Path, seconds: int) -> Path:
    src = ROOT / "assets" / "promo" / "promo.mp4"
    if seconds <= 0:
        return src
    out = folder / f"clip{seconds}.mp4"
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-i", str(src), "-t", str(seconds), "-c", "copy", str(out)]
    subprocess.run(argv, check=True)
    return out


def main() -> None:
    """Run the three steps and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--langs", default="en,ko")
    parser.add_argument("--seconds", type=int, default=0)
    args = parser.parse_args()
    langs = args.langs.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ["SUBPIPE_CACHE"] = str(root / "cache")
        video = _video(root, args.seconds)
        media = probe(video)
        built = build_tracks(load_transcript(ROOT / "subtitles/promo/transcript.json"), langs, {}, Fraction(media.fps))
        detect_shot_changes(video, media)
        stills = review_frames({lang: item.track for lang, item in built.items()}, langs[0], media)

        def burn(out: Path, tapped: bool, records: dict[str, CutRecord]) -> list[Any]:
            shutil.rmtree(root / "cache" / "chunks", ignore_errors=True)  # a first render
            items = [(item, out / lang / f"promo.{lang}.mp4") for lang, item in built.items()]
            opts = BurnOptions(records=records, stills=stills if tapped else {})
            return burn_tracks_each(video, media, items, {}, Encoder(), opts)

        def page(out: Path, cuts: list[Any], records: dict[str, CutRecord] | None) -> Path:
            entries = [entry_for(p, out, "burned", lang) for p, lang in zip(cuts, built, strict=True)]
            burns = {lang: r.as_json() for lang, r in records.items()} if records is not None else None
            return write_video_review("promo", video, media, built, entries, {}, {}, out, {}, langs[0], burns)

        plain: dict[str, CutRecord] = {}
        b_wall, b_cpu, cuts = _timed(lambda: burn(root / "plain", False, plain))
        old_wall, old_cpu, _ = _timed(lambda: page(root / "plain", cuts, None))
        tapped: dict[str, CutRecord] = {}
        t_wall, t_cpu, tcuts = _timed(lambda: burn(root / "tapped", True, tapped))
        p_wall, p_cpu, _ = _timed(lambda: page(root / "tapped", tcuts, tapped))
        count = len(list((root / "tapped" / "review").rglob("*.jpg")))
    engines = {r.engine for r in tapped.values()}
    print(f"languages {','.join(langs)}; {media.duration_ms / 1000:.0f} s; {count} stills; engine {engines}")
    print(f"burn without review       {b_wall:7.1f} s wall {b_cpu:7.1f} s cpu")
    print(f"burn tapping the stills   {t_wall:7.1f} s wall {t_cpu:7.1f} s cpu")
    print(f"review page (chunk stills){p_wall:7.1f} s wall {p_cpu:7.1f} s cpu")
    print(f"review page (decode cuts) {old_wall:7.1f} s wall {old_cpu:7.1f} s cpu")
    extra_wall, extra_cpu = t_wall + p_wall - b_wall, t_cpu + p_cpu - b_cpu
    print(f"review's cost / burn, chunk path: wall {extra_wall / b_wall:.3f}, cpu {extra_cpu / b_cpu:.3f}")
    print(f"review's cost / burn, decoding the cuts: wall {old_wall / b_wall:.3f}, cpu {old_cpu / b_cpu:.3f}")


if __name__ == "__main__":
    main()
