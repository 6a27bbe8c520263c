"""Sync accuracy and speed on generated cases of the sample, side by side with ffsubsync.

    .venv/bin/python benchmarks/bench_sync.py [--ffsubsync .venv/bench/bin/ffsubsync] [--cases shift+2s,cut3s]

The truth is the English track built from the sample's transcript (its segment times are the
measured speech onsets). Each case damages that track (shift, PAL / NTSC drift, drift plus shift)
or the audio (3 s cut out after the middle, or 3 s of silence inserted), on the clean audio and with
pink noise or "music" (a modulated chord) mixed under the speech. Both tools run as command-line
processes on the same 16 kHz WAV and SRT; the error is |corrected cue start - true start| over the
cues (those whose speech the cut removed are left out). ffsubsync gets ``--max-offset-seconds 10``.
Without ``--ffsubsync`` only subpipe runs. Last, the speed of ``subpipe sync`` on the 4-minute MP4
itself (audio decoding included).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.batch.steps import build_tracks  # noqa: E402
from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.ingest.segments import load_transcript  # noqa: E402
from pipeline.ingest.subparse import read_subtitles  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.tracks.formats import compose_srt  # noqa: E402

VIDEO = ROOT / "assets" / "promo" / "promo.mp4"
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
FPS = Fraction(30000, 1001)
FRAME_MS = 1000 / float(FPS)
CUT_AT, CUT_LEN = 140_000, 3_000
INSERT_AT = 137_000  # in the pause between segments s18 and s19
PAL = float(Fraction(25) / Fraction(24000, 1001))
NTSC = float(Fraction(24000, 1001) / 24)
MIXES = {
    "clean": None,
    "noise": "anoisesrc=color=pink:amplitude=0.08:sample_rate=16000",
    "music": "aevalsrc='0.06*sin(2*PI*220*t)*(1+0.6*sin(2*PI*1.5*t))+0.05*sin(2*PI*277*t)"
    "+0.05*sin(2*PI*330*t)*(1+0.6*sin(2*PI*0.7*t))':s=16000",
}
# name: (scale, shift ms, edit of the audio: "" none, "cut" 3 s out at 140 s, "insert" 3 s of silence at 137 s)
DAMAGE: dict[str, tuple[float, int, str]] = {
    "shift+0.5s": (1.0, 500, ""),
    "shift-0.5s": (1.0, -500, ""),
    "shift+2s": (1.0, 2000, ""),
    "shift-5s": (1.0, -5000, ""),
    "pal-drift": (PAL, 0, ""),
    "ntsc-drift": (NTSC, 0, ""),
    "pal-drift+1.5s": (PAL, 1500, ""),
    "cut3s": (1.0, 0, "cut"),
    "insert3s": (1.0, 0, "insert"),
}


@dataclass
class Outcome:
    """Errors (ms) of one tool on one case, and its wall time."""

    errors: list[float]
    seconds: float

    def cell(self) -> str:
        if not self.errors:
            return f"{'refused':>15} {self.seconds:6.2f}s"
        med = statistics.median(self.errors)
        p95 = sorted(self.errors)[max(round(0.95 * len(self.errors)) - 1, 0)]
        return f"{med:6.0f} /{p95:6.0f} ms {self.seconds:6.2f}s"


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True)


def _edit_graph(edit: str) -> str:
    if edit == "cut":
        a, b = CUT_AT / 1000, (CUT_AT + CUT_LEN) / 1000
        return (
            f"[0:a]atrim=0:{a},asetpts=PTS-STARTPTS[x];[0:a]atrim={b},asetpts=PTS-STARTPTS[y];"
            "[x][y]concat=n=2:v=0:a=1[o]"
        )
    a = INSERT_AT / 1000
    return (
        f"[0:a]atrim=0:{a},asetpts=PTS-STARTPTS[x];aevalsrc=0:d={CUT_LEN / 1000}:s=16000[z];"
        f"[0:a]atrim={a},asetpts=PTS-STARTPTS[y];[x][z][y]concat=n=3:v=0:a=1[o]"
    )


def _audio(folder: Path, mix: str, edit: str) -> Path:
    """The sample's audio at 16 kHz: edited (cut / insert), then the noise or music mixed under it."""
    out = folder / f"{mix}-{edit or 'none'}.wav"
    if out.exists():
        return out
    pcm = ["-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le"]
    clean = folder / "clean-none.wav"
    if not clean.exists():
        _ffmpeg("-i", str(VIDEO), "-vn", *pcm, str(clean))
    edited = folder / f"clean-{edit or 'none'}.wav"
    if not edited.exists():
        _ffmpeg("-i", str(clean), "-filter_complex", _edit_graph(edit), "-map", "[o]", *pcm, str(edited))
    if MIXES[mix] and not out.exists():
        graph = "[0:a][1:a]amix=inputs=2:duration=first:normalize=0[o]"
        _ffmpeg("-i", str(edited), "-f", "lavfi", "-i", str(MIXES[mix]), "-filter_complex", graph, "-map", "[o]",
                *pcm, str(out))  # fmt: skip
    return out


def _truth() -> Track:
    transcript = load_transcript(TRANSCRIPT)
    return build_tracks(transcript, ["en"], {}, FPS)["en"].track


def _damaged(truth: Track, scale: float, shift: int) -> Track:
    """``truth`` scaled and shifted; cues pushed before 0 are dropped (the file could not hold them)."""
    cues = tuple(Cue(round(c.start_ms * scale) + shift, round(c.end_ms * scale) + shift, c.lines) for c in truth.cues)
    return Track("en", tuple(c for c in cues if c.start_ms >= 0))


def _expected(truth: Track, edit: str) -> list[float | None]:
    out: list[float | None] = []
    for cue in truth.cues:
        if edit == "insert":
            out.append(cue.start_ms + (CUT_LEN if cue.start_ms >= INSERT_AT else 0))
        elif edit != "cut" or cue.end_ms <= CUT_AT:
            out.append(cue.start_ms)
        elif cue.start_ms >= CUT_AT + CUT_LEN:
            out.append(cue.start_ms - CUT_LEN)
        else:
            out.append(None)  # its speech was cut
    return out


def _run(argv: list[str], result: Path, expected: list[float | None]) -> Outcome:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or not result.exists():
        return Outcome([], seconds)
    fixed = read_subtitles(result, "en").cues
    if len(fixed) > len(expected):
        return Outcome([], seconds)
    # A tool may drop cues it moved before 0 (ffsubsync does): those count as infinitely wrong.
    dropped = len(expected) - len(fixed)
    errors = [math.inf] * dropped
    errors += [abs(c.start_ms - e) for c, e in zip(fixed, expected[dropped:], strict=True) if e is not None]
    return Outcome(errors, seconds)


def _ffmpeg_dir(folder: Path) -> Path:
    """ffsubsync looks for `ffmpeg` in a folder: link the project's binary there."""
    target = folder / "ffbin"
    target.mkdir(exist_ok=True)
    link = target / "ffmpeg"
    if not link.exists():
        os.symlink(ffmpeg_exe(), link)
    return target


def _case(folder: Path, name: str, mix: str, tools: dict[str, Callable[[Path, Path, Path], list[str]]]) -> str:
    scale, shift, edit = DAMAGE[name]
    truth = _truth()
    wrong = folder / f"{name}.{mix}.en.srt"
    wrong.write_text(compose_srt(_damaged(truth, scale, shift)), encoding="utf-8")
    audio = _audio(folder, mix, edit)
    expected = _expected(truth, edit)[len(truth.cues) - len(_damaged(truth, scale, shift).cues) :]
    cells = []
    for tool, argv in tools.items():
        out = folder / f"{name}.{mix}.{tool}.en.srt"
        out.unlink(missing_ok=True)
        cells.append(_run(argv(audio, wrong, out), out, expected).cell())
    return f"| {name:<15} | {mix:<6} | " + " | ".join(cells) + " |"


def main() -> None:
    """Run every case with every tool and print one table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ffsubsync", help="the ffsubsync executable (make bench installs one in .venv/bench)")
    parser.add_argument("--cases", help="comma-separated case names (default: all)")
    parser.add_argument("--mixes", default=",".join(MIXES))
    args = parser.parse_args()
    names = args.cases.split(",") if args.cases else list(DAMAGE)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        tools: dict[str, Callable[[Path, Path, Path], list[str]]] = {
            "subpipe": lambda a, s, o: [
                sys.executable,
                "-m",
                "pipeline",
                "sync",
                str(s),
                "--video",
                str(a),
                "-o",
                str(o),
            ]
        }
        if args.ffsubsync:
            ffdir = _ffmpeg_dir(folder)
            tools["ffsubsync"] = lambda a, s, o: [
                args.ffsubsync, str(a), "-i", str(s), "-o", str(o), "--max-offset-seconds", "10",
                "--ffmpeg-path", str(ffdir),
            ]  # fmt: skip
        header = " | ".join(f"{t} median / p95 err, time" for t in tools)
        print(f"| case            | audio  | {header} |")
        print("|" + "---|" * (2 + len(tools)))
        for name in names:
            for mix in args.mixes.split(","):
                print(_case(folder, name, mix, tools), flush=True)
        _speed(folder)


def _speed(folder: Path) -> None:
    wrong = folder / "speed.en.srt"
    wrong.write_text(compose_srt(_damaged(_truth(), 1.0, 1234)), encoding="utf-8")
    argv = [sys.executable, "-m", "pipeline", "sync", str(wrong), "--video", str(VIDEO), "-o", str(folder / "o.srt")]
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    print(f"\nsubpipe sync of the 263 s MP4 (decode + VAD + fit + write, whole CLI process): "
          f"best {min(times):.2f} s, median {statistics.median(times):.2f} s of 3")  # fmt: skip


if __name__ == "__main__":
    main()
