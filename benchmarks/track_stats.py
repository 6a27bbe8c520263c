"""Per-language statistics of the sample's tracks, as built by the track rules.

    .venv/bin/python benchmarks/track_stats.py [--write-golden]

Prints, per language: cues, max and median reading speed, share of cues within the profile's
limit, lines over the line limit, shot-change moves, findings. Shot changes come from the sample's
ground truth (assets/promo/timing.json, equal to what `subpipe` detects). ``--write-golden``
rewrites tests/data/promo.<lang>_ref.srt (review them by eye before committing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.core.profiles import get_profile  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.tracks.build import build_track_report  # noqa: E402
from pipeline.tracks.formats import compose_srt  # noqa: E402
from pipeline.tracks.wrap import count_chars  # noqa: E402

LANGS = ("en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id")
NTSC = Fraction(30000, 1001)


def main() -> None:
    """Print the table (and write golden files when asked)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--write-golden", action="store_true")
    args = parser.parse_args()
    transcript = load_transcript(ROOT / "subtitles/promo/transcript.json")
    shots = json.loads((ROOT / "assets/promo/timing.json").read_text(encoding="utf-8"))["shot_changes_ms"]
    print("| lang | cues | max CPS | median CPS | limit | within limit | lines over limit | shot moves | findings |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for lang in LANGS:
        profile = get_profile(lang)
        report = build_track_report(transcript.segments, lang, profile, NTSC, shots)
        cues = report.track.cues
        cps = [sum(count_chars(line, profile) for line in c.lines) / (c.duration_ms / 1000) for c in cues]
        within = sum(1 for v in cps if v <= profile.max_cps + 1e-9) / len(cps)
        over = sum(1 for c in cues for line in c.lines if count_chars(line, profile) > profile.max_line_chars)
        kinds: dict[str, int] = {}
        for f in report.findings:
            kinds[f.rule] = kinds.get(f.rule, 0) + 1
        print(
            f"| {lang} | {len(cues)} | {max(cps):.1f} | {statistics.median(cps):.1f} | {profile.max_cps:g} | "
            f"{within:.0%} | {over} | {report.shot_moves} | {kinds or '-'} |"
        )
        if args.write_golden:
            out = ROOT / "tests" / "data" / f"promo.{lang}_ref.srt"
            out.write_text(compose_srt(report.track), encoding="utf-8")


if __name__ == "__main__":
    main()
