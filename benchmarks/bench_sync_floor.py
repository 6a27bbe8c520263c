"""The confidence of `sync` on right and wrong subtitles: where its floors (qc/syncproof.py) must sit.

    .venv/bin/python benchmarks/bench_sync_floor.py [--lengths 20,30,45,60] [--step 30] [--dump pairs.json]

Clips are windows of real speech, cut as a user cuts a clip (``-ss T -t L``): the sample's audio
(assets/promo, English narration, 263 s) clean and with pink noise or a modulated chord under it,
and the espeak-ng sentences of tests/data/speech (8 languages, 58 s). A clip's right subtitles are
the cues of the English track built from the sample's transcript (or the sentences' spans) that
fall in its window, moved to the clip's time; they are synced as they are, shifted (+2 s, -0.8 s,
+5 s), drifted (PAL, NTSC plus 1.2 s), and against the clip's audio with 3 s cut out or 3 s of
silence inserted in its middle (split edits). A right pair whose cues do not all land within 3
frames of the truth is a "misfit" (the fit failed: refusing it is right). Its wrong subtitles are
the right ones of every other clip of the same length and source that shares none of its audio
(the same language). For each pair: the confidence, the margin over the best decoy (the track's
cues shuffled, fitted the same way) and the number of stretches of speech in the clip. Prints, per
clip length, the lowest of the right pairs and the highest of the wrong ones, then how many pairs
each combination of the three floors accepts or refuses.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.steps import build_tracks  # noqa: E402
from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.vad import SAMPLE_RATE, Speech, speech_flags  # noqa: E402
from pipeline.qc.sync import SyncResult, synchronize  # noqa: E402
from pipeline.qc.syncproof import decoy_confidence, speech_stretches  # noqa: E402

Samples = npt.NDArray[np.int16]
VIDEO = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
SPEECH = ROOT / "tests" / "data" / "speech"
FPS = Fraction(30000, 1001)
MIXES = {
    "clean": None,
    "noise": "anoisesrc=color=pink:amplitude=0.08:sample_rate=16000",
    "music": "aevalsrc='0.06*sin(2*PI*220*t)*(1+0.6*sin(2*PI*1.5*t))+0.05*sin(2*PI*277*t)"
    "+0.05*sin(2*PI*330*t)*(1+0.6*sin(2*PI*0.7*t))':s=16000",
}
PAL = float(Fraction(25) / Fraction(24000, 1001))
# name: (scale, shift ms, edit of the clip's audio in its middle: "" none, "cut" 3 s out, "insert" 3 s silence)
RIGHT: dict[str, tuple[float, int, str]] = {
    "exact": (1.0, 0, ""),
    "shift+2s": (1.0, 2000, ""),
    "shift-0.8s": (1.0, -800, ""),
    "shift+5s": (1.0, 5000, ""),
    "pal-drift": (PAL, 0, ""),
    "ntsc+1.2s": (24 / 25, 1200, ""),
    "cut3s": (1.0, 0, "cut"),
    "insert3s": (1.0, 0, "insert"),
}
EDIT_MS = 3000
TOLERANCE_MS = 100  # 3 frames: a right pair synced within it is a success
MIN_CUE_MS = 500  # a cue the cut leaves shorter than this is not in the clip's file


@dataclass(frozen=True)
class Source:
    """A long recording and the cue spans (ms) that are right for it."""

    name: str
    audio: dict[str, Samples]
    spans: list[tuple[int, int]]


def _decode(args: list[str]) -> Samples:
    argv = [ffmpeg_exe(), "-nostdin", "-v", "error", *args, "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"]
    return np.frombuffer(subprocess.run(argv, capture_output=True, check=True).stdout, dtype=np.int16)


def _mixed(path: Path, mix: str) -> Samples:
    if MIXES[mix] is None:
        return _decode(["-i", str(path)])
    graph = "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[o]"
    return _decode(["-i", str(path), "-f", "lavfi", "-i", str(MIXES[mix]), "-filter_complex", graph, "-map", "[o]"])


def _sources() -> list[Source]:
    track = build_tracks(load_transcript(TRANSCRIPT), ["en"], {}, FPS)["en"].track
    promo = Source("promo", {m: _mixed(VIDEO, m) for m in MIXES}, [(c.start_ms, c.end_ms) for c in track.cues])
    truth = json.loads((SPEECH / "speech.json").read_text(encoding="utf-8"))["spans"]
    # Subtitles stay up a little after the speech, as a built track's cues do.
    sentences = [(s["start_ms"], s["end_ms"] + 400) for s in truth]
    espeak = Source("espeak", {"clean": _decode(["-i", str(SPEECH / "speech.opus")])}, sentences)
    return [promo, espeak]


def _clip_track(spans: list[tuple[int, int]], start: int, length: int) -> Track:
    """The cues of ``spans`` inside [start, start + length), in the clip's time, cut at its edges."""
    cues = []
    for a, b in spans:
        a, b = max(a - start, 0), min(b - start, length)
        if b - a >= MIN_CUE_MS:
            cues.append(Cue(a, b, (f"cue {len(cues) + 1}",)))
    return Track("en", tuple(cues))


def _damaged(track: Track, scale: float, shift: int) -> Track:
    cues = (Cue(round(c.start_ms * scale) + shift, round(c.end_ms * scale) + shift, c.lines) for c in track.cues)
    return Track("en", tuple(c for c in cues if c.start_ms >= 0))


def _expected(track: Track, edit: str, length: int) -> dict[tuple[str, ...], int]:
    """Where each cue (by its text) must start after the sync; cues whose speech the cut removed are left out."""
    mid, out = length // 2, {}
    for cue in track.cues:
        if edit == "insert":
            if not cue.start_ms < mid < cue.end_ms:  # the silence splits that cue's speech: either side is right
                out[cue.lines] = cue.start_ms + (EDIT_MS if cue.start_ms >= mid else 0)
        elif edit != "cut" or cue.end_ms <= mid:
            out[cue.lines] = cue.start_ms
        elif cue.start_ms >= mid + EDIT_MS:
            out[cue.lines] = cue.start_ms - EDIT_MS
    return out


def _fit(track: Track, speech: Speech) -> tuple[float, float, SyncResult]:
    """The confidence of ``track``'s fit, its margin over its decoys, and the fit."""
    result = synchronize(track, speech)
    decoy = decoy_confidence(track, speech)
    return result.confidence, result.confidence - (result.confidence if decoy is None else decoy), result


def _right(damaged: Track, speech: Speech, expected: dict[tuple[str, ...], int]) -> tuple[str, float, float]:
    """("right" when every cue lands within ``TOLERANCE_MS`` of its truth, else "misfit"), confidence, margin."""
    conf, margin, result = _fit(damaged, speech)
    errors = [abs(result.map_ms(c.start_ms) - expected[c.lines]) for c in damaged.cues if c.lines in expected]
    return ("right" if errors and max(errors) <= TOLERANCE_MS else "misfit"), conf, margin


def _edited(samples: Samples, edit: str) -> Samples:
    mid, n = samples.size // 2, EDIT_MS * SAMPLE_RATE // 1000
    if edit == "cut":
        return np.concatenate((samples[:mid], samples[mid + n :]))
    if edit == "insert":
        return np.concatenate((samples[:mid], np.zeros(n, dtype=np.int16), samples[mid:]))
    return samples


def _starts(total_ms: int, length_ms: int, step_ms: int) -> list[int]:
    return list(range(0, total_ms - length_ms + 1, step_ms))


def _pairs(source: Source, length: int, step: int) -> Iterator[tuple[str, str, float, float]]:
    """(kind "right"/"misfit"/"wrong", description, confidence, margin) for every case of ``source``."""
    total = min(a.size for a in source.audio.values()) * 1000 // SAMPLE_RATE
    starts = _starts(total, length, step)
    tracks = {s: _clip_track(source.spans, s, length) for s in starts}
    for mix, audio in source.audio.items():
        clips = {s: audio[s * SAMPLE_RATE // 1000 : (s + length) * SAMPLE_RATE // 1000] for s in starts}
        speech = {s: speech_flags(c) for s, c in clips.items()}
        for s in starts:
            if len(tracks[s].cues) < 1:
                continue
            for name, (scale, shift, edit) in RIGHT.items():
                damaged = _damaged(tracks[s], scale, shift)
                if not damaged.cues:
                    continue
                heard = speech_flags(_edited(clips[s], edit)) if edit else speech[s]
                kind, conf, margin = _right(damaged, heard, _expected(tracks[s], edit, length))
                yield kind, f"{source.name}/{mix} @{s / 1000:g}s {name} ({speech_stretches(heard)} spans)", conf, margin
            for other in starts:
                if abs(other - s) >= length and tracks[other].cues:
                    conf, margin, _ = _fit(tracks[other], speech[s])
                    spans = speech_stretches(speech[s])
                    what = f"{source.name}/{mix} @{s / 1000:g}s <- subs @{other / 1000:g}s ({spans} spans)"
                    yield "wrong", what, conf, margin


Seen = dict[str, list[tuple[float, float, str]]]
_SPANS = re.compile(r"\((\d+) spans\)")


def _spans(what: str) -> int:
    found = _SPANS.search(what)
    return int(found.group(1)) if found else 0


def _row(seconds: str, seen: Seen) -> str:
    cells = []
    for kind in ("right", "misfit", "wrong"):
        values = seen[kind]
        pick = min if kind == "right" else max
        cells.append(f"{len(values)}")
        cells += [f"{pick(v[i] for v in values):.3f}" if values else "-" for i in (0, 1)]
    return f"| {seconds} | " + " | ".join(cells) + " |"


def _floors(seen: Seen) -> None:
    print("\n| confidence floor | speech spans | margin floor | right accepted | misfits refused | wrong refused |")
    print("|---|---|---|---|---|---|")
    for floor in (0.5, 0.6, 0.7):
        for spans in (0, 4, 6, 8):
            for margin in (0.0, 0.1, 0.2):
                counts = [
                    sum((c >= floor and _spans(w) >= spans and m >= margin) == (k == "right") for c, m, w in seen[k])
                    for k in seen
                ]
                cells = " | ".join(f"{n}/{len(seen[k])}" for n, k in zip(counts, seen, strict=True))
                print(f"| {floor} | {spans} | {margin} | {cells} |")


def main() -> None:
    """Print the distributions per clip length, then over all lengths."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", default="10,20,30,45,90", help="clip lengths in seconds")
    parser.add_argument("--step", type=int, default=15, help="seconds between clip starts")
    parser.add_argument("--dump", help="also write every pair as JSON here")
    args = parser.parse_args()
    sources = _sources()
    overall: Seen = {"right": [], "misfit": [], "wrong": []}
    print("| clip | right, synced | min conf | min margin | right, misfit | max conf | max margin | wrong | max conf "
          "| max margin |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for seconds in (int(x) for x in args.lengths.split(",")):
        seen: Seen = {"right": [], "misfit": [], "wrong": []}
        for source in sources:
            for kind, what, conf, margin in _pairs(source, seconds * 1000, args.step * 1000):
                seen[kind].append((conf, margin, f"{seconds}s {what}"))
        print(_row(f"{seconds} s", seen), flush=True)
        for kind, values in seen.items():
            overall[kind] += values
    print(_row("all", overall))
    if args.dump:
        Path(args.dump).write_text(json.dumps(overall, indent=0), encoding="utf-8")
    for kind in ("right", "wrong"):
        values = sorted(overall[kind], key=lambda v: min(v[0], v[1] + 0.4))
        shown = values[:6] if kind == "right" else values[-6:]
        print(f"\n{kind}, the closest to the other side:", *(f"  {c:.3f} {m:+.3f} {w}" for c, m, w in shown), sep="\n")
    _floors(overall)


if __name__ == "__main__":
    main()
