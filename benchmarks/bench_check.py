"""Speed of `subpipe check` on a 100,000-cue SRT (rules only: no video).

    .venv/bin/python benchmarks/bench_check.py [--cues 100000] [--runs 3]

The file is generated: two-line English cues of 1.7-3.3 s (72 hours in all) on the 30000/1001 grid, with about 1 % of
them broken (overlaps, short gaps, too fast, too long lines, off the grid), so findings are written
too. Timed: the whole CLI process (`python -m pipeline check --format json -o`), and in-process the
read (`read_subtitles`) and the rules (`check_rules`) apart.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.core.profiles import get_profile  # noqa: E402
from pipeline.core.timecode import frame_to_ms  # noqa: E402
from pipeline.ingest.subparse import read_subtitles  # noqa: E402
from pipeline.qc.rules import RuleContext, check_rules  # noqa: E402
from pipeline.tracks.formats import compose_srt  # noqa: E402

FPS = Fraction(30000, 1001)
WORDS = [
    "the", "world", "continues", "to", "change", "by", "the", "minute",
    "and", "governance", "must", "keep", "pace", "with", "it",
]  # fmt: skip


def _cues(count: int, rng: random.Random) -> list[Cue]:
    cues = []
    frame = 24
    for _ in range(count):
        length = rng.randint(50, 100)
        top = " ".join(rng.choices(WORDS, k=rng.randint(2, 4)))
        bottom = " ".join(rng.choices(WORDS, k=rng.randint(2, 4)))
        start, end = frame_to_ms(frame, FPS), frame_to_ms(frame + length, FPS)
        broken = rng.random()
        if broken < 0.002:
            start -= 200  # overlap
        elif broken < 0.004:
            end += 7  # off the grid
        elif broken < 0.006:
            top = top * 3  # too long a line, too fast
        cues.append(Cue(start, end, (top, bottom)))
        frame += length + rng.choice((2, 2, 2, 4, 8, 16))
    return cues


def main() -> None:
    """Generate the file, time the check, print the numbers."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--cues", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        srt = Path(tmp) / "big.en.srt"
        srt.write_text(compose_srt(Track("en", tuple(_cues(args.cues, random.Random(7))))), encoding="utf-8")
        argv = [sys.executable, "-m", "pipeline", "check", str(srt), "--fps", "30000/1001", "--format", "json"]
        argv += ["-o", str(Path(tmp) / "report.json")]
        cli, read, rules = [], [], []
        found = 0
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=False, cwd=ROOT)
            cli.append(time.perf_counter() - started)
            started = time.perf_counter()
            track = read_subtitles(srt, "en")
            read.append(time.perf_counter() - started)
            started = time.perf_counter()
            found = len(check_rules(track, RuleContext(get_profile("en"), FPS)))
            rules.append(time.perf_counter() - started)
        size = srt.stat().st_size / 1e6
        print(f"check of a {args.cues:,}-cue SRT ({size:.1f} MB, {found:,} findings), best / median of {args.runs}:")
        for label, times in (("whole CLI process, JSON report", cli), ("read_subtitles", read), ("check_rules", rules)):
            print(f"  {label:<32} {min(times):6.2f} s / {statistics.median(times):6.2f} s")


if __name__ == "__main__":
    main()
