"""`make eval`: subpipe's audio checks on real recorded speech (the set benchmarks/build_speech_eval.py built).

Reads SUBPIPE_SPEECH_EVAL (default /work/speech-eval); fetches nothing. For each recording and variant
(clean, hiss fading in before the voice 24 or 12 dB under it, music bed, both):

- ``check``: the published segments as cues (start on the frame, end 300 ms after the voice) must raise
  no error-level audio finding and at most one warning per 20 cues; the same cues 2.35 s late must
  raise an error.
- ``unsaid``: a line the recording does not say added to each script (clean: after every line but the
  last; the variants: a quarter, half and three quarters of the way in) must be flagged as not spoken,
  and no spoken line may be (nor on the full scripts, in every variant): a spoken line flagged tells
  the user to delete a real one.
- ``sync``: each program with a cut of about 3 s (a split edit: whole phrases go, with their cues)
  or 3 s of silence inserted, before a phrase a third, half and two thirds of the way through; every
  cue of the true track, fitted, must land within one frame of where its voice is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[1]
# BENCH_CODE=/path/to/another/checkout measures that checkout on the same audio.
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))

from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.core.timecode import frame_to_ms  # noqa: E402
from pipeline.media.vad import SAMPLE_RATE, decode_audio, speech_flags  # noqa: E402
from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings  # noqa: E402
from pipeline.qc.sync import apply, synchronize  # noqa: E402

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


EDIT_MS = 3000
FRAME_MS = 40


def edited(samples: np.ndarray, segments: list[dict[str, object]], at: int, kind: str) -> tuple[np.ndarray, list[int]]:
    """The audio with 3 s of silence inserted 200 ms before segment ``at``, or with a cut (a split edit)
    that ends there and starts in the pause nearest 3 s earlier (whole phrases go, with their cues),
    and where each segment's voice now starts (-1: cut away)."""
    starts = [int(s["start_ms"]) for s in segments]  # type: ignore[call-overload]
    end, rate = starts[at] - 200, SAMPLE_RATE // 1000
    if kind == "insert":
        audio = np.concatenate((samples[: end * rate], np.zeros(EDIT_MS * rate, samples.dtype), samples[end * rate :]))
        return audio, [a + (EDIT_MS if i >= at else 0) for i, a in enumerate(starts)]
    begin, first = _cut_start(segments, at)
    audio = np.concatenate((samples[: begin * rate], samples[end * rate :]))
    return audio, [a - (end - begin) if i >= at else -1 if i >= first else a for i, a in enumerate(starts)]


def _cut_start(segments: list[dict[str, object]], at: int) -> tuple[int, int]:
    """Where a cut that ends 200 ms before segment ``at`` starts: the pause (its middle) nearest 3 s
    earlier, and the first segment it takes away."""
    starts = [int(s["start_ms"]) for s in segments]  # type: ignore[call-overload]
    ends = [int(s["end_ms"]) for s in segments]  # type: ignore[call-overload]
    pauses = [((ends[k - 1] + starts[k]) // 2, k) for k in range(1, at)]
    return min(pauses, key=lambda p: abs(starts[at] - 200 - p[0] - EDIT_MS))


def edit_points(segments: list[dict[str, object]], kind: str) -> list[int]:
    """Three segments to edit before, spread over the middle half of the program (a split must win 3 s of
    agreement: with two short cues after it, a cut near the end stays unfound); a cut only where it can
    be 2.5-3.5 s."""
    n = len(segments)
    if kind == "insert":
        return [n // 3, n // 2, 2 * n // 3]
    fits = []
    for at in range(max(n // 4, 2), 3 * n // 4 + 1):
        begin, _ = _cut_start(segments, at)
        if 2500 <= int(segments[at]["start_ms"]) - 200 - begin <= 3500:  # type: ignore[call-overload]
            fits.append(at)
    return [fits[round(i * (len(fits) - 1) / 2)] for i in range(3)] if len(fits) >= 3 else fits


def run_sync(folder: Path, docs: list[dict[str, object]]) -> bool:
    """Split edits (a cut of about 3 s, a 3 s insertion) in each program: every kept cue must land
    within one frame of its voice."""
    ok = True
    print(
        f"{'program':8} {'variant':11} {'edit':7} {'ms':>6} {'at cue':>6} {'cues':>4} {'off by > 1 frame':>16}  worst"
    )
    for doc in docs:
        segments = doc["segments"]  # type: ignore[assignment]
        for variant in ("", ".music_hiss"):
            samples = decode_audio(folder / f"{doc['name']}{variant}.wav")
            for kind in ("cut", "insert"):
                for at in edit_points(segments, kind):  # type: ignore[arg-type]
                    audio, truth = edited(samples, segments, at, kind)  # type: ignore[arg-type]
                    track = true_track(segments)  # type: ignore[arg-type]
                    # the subtitles are the uncut version's: the cues of the phrases cut away stay in
                    # the track (where they land is not scored), as in a real split edit
                    if os.environ.get("EVAL_DROP_CUT_CUES"):
                        track = Track(
                            track.lang, tuple(c for c, t in zip(track.cues, truth, strict=True) if t >= 0), FPS
                        )
                        truth = [t for t in truth if t >= 0]
                    result = synchronize(track, speech_flags(audio))
                    moved = apply(track, result, FPS)
                    kept = [i for i, t in enumerate(truth) if t >= 0]
                    errors = [moved.cues[i].start_ms - frame_to_ms(truth[i] * 25 // 1000, FPS) for i in kept]
                    bad = [e for e in errors if abs(e) > FRAME_MS]
                    worst = max(errors, key=abs)
                    ok &= not bad
                    cut = len(samples) - len(audio)
                    print(
                        f"{doc['name']!s:8} {variant or 'clean':11} {kind:7} {cut * 1000 // SAMPLE_RATE:+6d} {at:6d}"
                        f" {len(kept):4d} {len(bad):16d}  {worst:+d} ms"
                    )
    return ok


AENEAS_LANGS = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa", "it": "ita", "ja": "jpn", "zh": "cmn"}


def _errors(times: list[tuple[int, int]], segments: list[dict[str, object]]) -> npt.NDArray[np.int64]:
    """Absolute error of every start and end against the published times, in ms."""
    out = []
    for (start, end), seg in zip(times, segments, strict=True):
        out += [start - int(seg["start_ms"]), end - int(seg["end_ms"])]  # type: ignore[call-overload]
    return np.abs(np.array(out, dtype=np.int64))


AENEAS_TIGHT = "|task_adjust_boundary_nonspeech_min=0.300|task_adjust_boundary_nonspeech_string=REMOVE"


def _aeneas(python: str, audio: Path, texts: list[str], lang: str, extra: str = "") -> list[tuple[int, int]]:
    """aeneas-ng's times for ``texts`` (run in its own venv: AGPL, a reference only); ``extra``: more
    of its task options (``AENEAS_TIGHT``: pauses of 300 ms or more taken out of the lines)."""
    with tempfile.TemporaryDirectory() as work:
        script, out = Path(work) / "text.txt", Path(work) / "map.json"
        script.write_text("\n".join(texts) + "\n", encoding="utf-8")
        config = f"task_language={AENEAS_LANGS[lang]}|is_text_type=plain|os_task_file_format=json{extra}"
        cmd = [python, "-m", "aeneas.tools.execute_task", str(audio), str(script), config, str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        fragments = json.loads(out.read_text(encoding="utf-8"))["fragments"]
    return [(round(float(f["begin"]) * 1000), round(float(f["end"]) * 1000)) for f in fragments]


def run_align(folder: Path, docs: list[dict[str, object]], aeneas: str | None = None) -> bool:
    """Align each program's published lines to its audio: error of every start and end against the
    published time (median, 95th percentile, largest) and the time taken against the audio's length;
    with ``aeneas`` (a Python that has aeneas-ng), the same for aeneas-ng."""
    from pipeline.align.aligner import align_samples

    ok = True
    head = f"{'program':8} {'variant':11} {'lines':>5} {'aligner':9} {'median ms':>9} {'p95 ms':>6} {'max ms':>6}"
    print(head + f" {'x real time':>11}")
    for doc in docs:
        segments = doc["segments"]  # type: ignore[assignment]
        texts = [str(s["text"]) for s in segments]  # type: ignore[attr-defined]
        for variant in VARIANTS:
            audio = folder / f"{doc['name']}{variant}.wav"
            samples = decode_audio(audio)
            length = samples.size / SAMPLE_RATE
            t0 = time.perf_counter()
            result = align_samples(samples, texts, str(doc["lang"]))
            runs = [("subpipe", [(x.start_ms, x.end_ms) for x in result.lines], time.perf_counter() - t0)]
            for name, extra in (("aeneas", ""), ("aeneas-rm", AENEAS_TIGHT)) if aeneas else ():
                t0 = time.perf_counter()
                times = _aeneas(aeneas, audio, texts, str(doc["lang"]), extra)
                runs.append((name, times, time.perf_counter() - t0))
            for name, times, took in runs:
                err = _errors(times, segments)  # type: ignore[arg-type]
                median, p95 = float(np.median(err)), float(np.percentile(err, 95))
                if name == "subpipe":
                    ok &= median <= 30 and p95 <= 100
                print(
                    f"{doc['name']!s:8} {variant or 'clean':11} {len(texts):5d} {name:9} {median:9.0f} {p95:6.0f}"
                    f" {err.max():6d} {took / length:11.4f}"
                )
    return ok


UNSAID = {
    "en": "The quarterly report was filed with the regional office yesterday afternoon.",
    "de": "Der Quartalsbericht wurde gestern Nachmittag beim Regionalbüro eingereicht.",
    "es": "El informe trimestral se entregó ayer por la tarde en la oficina regional.",
    "fr": "Le rapport trimestriel a été déposé hier après-midi au bureau régional.",
    "zh": "季度报告昨天下午已经提交给地区办公室了。",
}


def _unsaid_row(samples: npt.NDArray[np.int16], texts: list[str], lang: str, spots: list[int]) -> tuple[str, int, int]:
    """Each of ``spots`` (``-1``: the full script) as ``at:found/spoken lines flagged``; how many of the
    three a quarter, half and three quarters in were found; spoken lines flagged in all."""
    from pipeline.align.aligner import align_samples

    cells, found, false = [], 0, 0
    for at in spots:
        lines = texts if at < 0 else [*texts[:at], UNSAID[lang], *texts[at:]]
        flags = [not x.spoken for x in align_samples(samples, lines, lang).lines]
        hit = at >= 0 and flags[at]
        found += hit and at in _quarters(len(texts))
        false += sum(flags) - hit
        cells.append(f"{'full' if at < 0 else at}:{int(hit)}/{sum(flags) - hit}")
    return " ".join(cells), found, false


def _quarters(count: int) -> list[int]:
    return [count // 4, count // 2, 3 * count // 4]


def run_unsaid(folder: Path, docs: list[dict[str, object]]) -> bool:
    """A line the audio does not say, added to each script: found (of those a quarter, half and three
    quarters in) and spoken lines flagged (target 0)."""
    print("program  variant     at:found/spoken lines flagged (full: the script as published)")
    found = false = tried = 0
    for doc in docs:
        texts = [str(s["text"]) for s in doc["segments"]]  # type: ignore[attr-defined]
        for variant in VARIANTS:
            samples = decode_audio(folder / f"{doc['name']}{variant}.wav")
            inner = range(1, len(texts)) if not variant else _quarters(len(texts))
            cells, hit, wrong = _unsaid_row(samples, texts, str(doc["lang"]), [-1, *inner])
            found, false, tried = found + hit, false + wrong, tried + 3
            print(f"{doc['name']!s:8} {variant or 'clean':11} {cells}")
    print(f"total: found {found} of {tried} (a quarter, half, three quarters in), spoken lines flagged {false}")
    return false == 0


def main() -> None:
    """Run the evaluations named on the command line (all by default)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "what", nargs="*", default=["check", "sync", "align"], choices=["check", "sync", "align", "unsaid"]
    )
    parser.add_argument("--aeneas", metavar="PYTHON", help="a Python with aeneas-ng: align with it too (align)")
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("SUBPIPE_SPEECH_EVAL", "/work/speech-eval")))
    args = parser.parse_args()
    if not (args.folder / "manifest.json").is_file():
        sys.exit(f"no evaluation set in {args.folder}: build it with benchmarks/build_speech_eval.py")
    docs = load_set(args.folder)
    ok = True
    for what in args.what:
        t0 = time.perf_counter()
        if what == "align":
            ok &= run_align(args.folder, docs, args.aeneas)
        else:
            ok &= {"check": run_check, "sync": run_sync, "unsaid": run_unsaid}[what](args.folder, docs)
        print(f"[{what}: {time.perf_counter() - t0:.1f} s]\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
