"""`make eval`: subpipe's audio checks on real recorded speech (the set benchmarks/build_speech_eval.py built).

Reads SUBPIPE_SPEECH_EVAL (default /work/speech-eval); fetches nothing. For each recording and variant
(clean, hiss fading in before the voice 24 or 12 dB under it, music bed, both):

- ``check``: the published segments as cues (start on the frame, end 300 ms after the voice) must raise
  no error-level audio finding and at most one warning per 20 cues; the same cues 2.35 s late must
  raise an error.
- ``sync``: the recordings laid end to end with a 3 s cut (a split edit) and a 3 s insertion; every
  cue of the true track, fitted, must land within one frame of where its voice is.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# BENCH_CODE=/path/to/another/checkout measures that checkout on the same audio.
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))

from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.core.timecode import frame_to_ms  # noqa: E402
from pipeline.media.vad import SAMPLE_RATE, decode_audio, speech_flags  # noqa: E402
from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings  # noqa: E402

FPS = Fraction(25)
VARIANTS = ("", ".hiss", ".loudhiss", ".music", ".music_hiss")
TAIL_MS = 300


def load_set(folder: Path) -> list[dict[str, object]]:
    """The recordings of the set, each with its segments."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [json.loads((folder / f"{m['name']}.json").read_text(encoding="utf-8")) for m in manifest]


def true_track(segments: list[dict[str, object]], shift_ms: int = 0) -> Track:
    """The published segments as cues: the start on its frame, the end a little after the voice."""
    cues = []
    for i, seg in enumerate(segments):
        start = frame_to_ms(int(seg["start_ms"]) * 25 // 1000, FPS)  # type: ignore[call-overload]
        nxt = int(segments[i + 1]["start_ms"]) if i + 1 < len(segments) else 10**9  # type: ignore[call-overload]
        end = min(int(seg["end_ms"]) + TAIL_MS, nxt - 80)  # type: ignore[call-overload]
        cues.append(Cue(start + shift_ms, max(end, start + 400) + shift_ms, (str(seg["text"])[:80],)))
    return Track("und", tuple(cues), FPS)


def check_row(folder: Path, doc: dict[str, object], variant: str) -> dict[str, object]:
    """Findings on the true track and on the track 2.35 s late."""
    samples = decode_audio(folder / f"{doc['name']}{variant}.wav")
    speech = speech_flags(samples)
    segments = doc["segments"]  # type: ignore[assignment]
    good = true_track(segments)  # type: ignore[arg-type]
    found = offset_findings(estimate_offset(good, speech), FPS) + audio_findings(good, speech, FPS)
    late = true_track(segments, 2350)  # type: ignore[arg-type]
    late_found = offset_findings(estimate_offset(late, speech), FPS) + audio_findings(late, speech, FPS)
    return {
        "name": doc["name"],
        "variant": variant or "clean",
        "cues": len(good.cues),
        "errors": [f"{f.rule}@{f.cue}: {f.message}" for f in found if f.severity == "error"],
        "warnings": [f"{f.rule}@{f.cue}: {f.message}" for f in found if f.severity == "warning"],
        "late_errors": sum(f.severity == "error" for f in late_found),
    }


def run_check(folder: Path, docs: list[dict[str, object]]) -> bool:
    """Print the check table; True when every target holds."""
    ok = True
    totals = {"cues": 0, "errors": 0, "warnings": 0}
    print(f"{'recording':22} {'variant':11} {'cues':>4} {'errors':>6} {'warn':>4} {'late errors':>11}")
    for doc in docs:
        for variant in VARIANTS:
            row = check_row(folder, doc, variant)
            errors, warnings = row["errors"], row["warnings"]
            assert isinstance(errors, list) and isinstance(warnings, list)
            cues = int(row["cues"])  # type: ignore[call-overload]
            totals["cues"] += cues
            totals["errors"] += len(errors)
            totals["warnings"] += len(warnings)
            print(
                f"{row['name']!s:22} {row['variant']!s:11} {cues:4d} {len(errors):6d} {len(warnings):4d} "
                f"{row['late_errors']!s:>11}"
            )
            for line in errors + warnings:
                print("    ", line[:140])
            ok &= not errors and row["late_errors"] != 0
    print(
        f"total: {totals['cues']} cues, {totals['errors']} errors, {totals['warnings']} warnings"
        f" (target: 0 errors, <= {totals['cues'] // 20} warnings)"
    )
    return ok and totals["warnings"] <= totals["cues"] // 20


def main() -> None:
    """Run the evaluations named on the command line (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="*", default=["check"], choices=["check"])
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("SUBPIPE_SPEECH_EVAL", "/work/speech-eval")))
    args = parser.parse_args()
    if not (args.folder / "manifest.json").is_file():
        sys.exit(f"no evaluation set in {args.folder}: build it with benchmarks/build_speech_eval.py")
    docs = load_set(args.folder)
    ok = True
    for what in args.what:
        t0 = time.perf_counter()
        ok &= {"check": run_check}[what](args.folder, docs)
        print(f"[{what}: {time.perf_counter() - t0:.1f} s]\n")
    _ = (np, SAMPLE_RATE)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
