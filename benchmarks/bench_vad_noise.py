"""False alarms of ``check --video`` on correctly timed cues over speech with background noise.

The speech is tests/data/speech/speech.opus (espeak-ng, 8 languages, 16 sentences, truth in
speech.json); each condition mixes a generated background under it. The cues are the true
speech spans (in-time on the frame at or before the onset, out-time 300 ms after the speech), so
every in-time finding is a false alarm. Prints a Markdown table: findings per rule, per condition.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# BENCH_CODE=/path/to/another/checkout measures that checkout's detector on the same audio.
sys.path.insert(0, os.environ.get("BENCH_CODE", str(ROOT)))

from pipeline.core.cues import Cue, Track  # noqa: E402
from pipeline.core.timecode import frame_to_ms, ms_to_frame  # noqa: E402
from pipeline.media.ffmpeg import ffmpeg_exe  # noqa: E402
from pipeline.media.vad import detect_speech  # noqa: E402
from pipeline.qc.audiocheck import audio_findings, estimate_offset, offset_findings  # noqa: E402

SPEECH = ROOT / "tests" / "data" / "speech" / "speech.opus"
TRUTH = ROOT / "tests" / "data" / "speech" / "speech.json"
FPS = Fraction(25)
# name -> a lavfi source mixed under the speech (amplitudes chosen so speech stays clearly audible)
CONDITIONS = {
    "clean": "",
    "hiss": "anoisesrc=color=white:amplitude=0.06:seed=2",
    "pink noise fading in before a sentence": "anoisesrc=color=pink:amplitude=0.15:seed=1,afade=t=in:st=7.1:d=1.5",
    "brown noise fading in before a sentence": "anoisesrc=color=brown:amplitude=0.5:seed=3,afade=t=in:st=20.8:d=1.4",
    "50 Hz hum with harmonics": "aevalsrc='0.1*sin(2*PI*50*t)+0.05*sin(2*PI*100*t)+0.04*sin(2*PI*150*t)"
    "+0.03*sin(2*PI*250*t)+0.02*sin(2*PI*350*t)'",
    "room tone swelling": "anoisesrc=color=brown:amplitude=0.6:seed=4,lowpass=f=500,highpass=f=60,"
    "volume='0.55+0.45*sin(2*PI*t/6.3)':eval=frame",
    "quiet music bed": "aevalsrc='0.04*sin(2*PI*220*t)*(1+0.5*sin(2*PI*1.3*t))+0.03*sin(2*PI*277*t)"
    "+0.03*sin(2*PI*330*t)'",
}


def mix(condition: str, out: Path) -> Path:
    """The speech with ``condition``'s background under it, as 16 kHz mono WAV."""
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(SPEECH)]
    source = CONDITIONS[condition]
    if source:
        src = f"{source},aformat=sample_rates=16000:channel_layouts=mono"
        graph = "[0:a]aformat=sample_rates=16000:channel_layouts=mono[s];"
        graph += "[s][1:a]amix=inputs=2:duration=first:normalize=0[o]"
        cmd += ["-f", "lavfi", "-i", src, "-filter_complex", graph, "-map", "[o]"]
    subprocess.run([*cmd, "-ac", "1", "-ar", "16000", str(out)], check=True)
    return out


def true_track() -> Track:
    """Cues on the true speech: in-time on the frame at or before the onset, out 300 ms after."""
    spans = json.loads(TRUTH.read_text(encoding="utf-8"))["spans"]
    cues = []
    for i, s in enumerate(spans):
        start = frame_to_ms(s["start_ms"] * FPS.numerator // (1000 * FPS.denominator), FPS)
        end = frame_to_ms(ms_to_frame(s["end_ms"] + 300, FPS), FPS)
        cues.append(Cue(start, end, (s["text"],), str(i)))
    return Track("en", tuple(cues), FPS)


def findings_of(condition: str, work: Path) -> Counter[str]:
    """Each (severity, rule) counted for the true cues over ``condition``."""
    speech = detect_speech(mix(condition, work / f"{len(condition)}-{abs(hash(condition))}.wav"))
    track = true_track()
    found = offset_findings(estimate_offset(track, speech), FPS) + audio_findings(track, speech, FPS)
    return Counter(f"{f.severity} {f.rule}" for f in found)


def main() -> None:
    """Print the table."""
    print(f"{len(true_track().cues)} correctly timed cues per condition\n")
    print("| condition | errors | warnings | findings |\n| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as work:
        for name in CONDITIONS:
            c = findings_of(name, Path(work))
            errors = sum(n for k, n in c.items() if k.startswith("error"))
            warnings = sum(n for k, n in c.items() if k.startswith("warning"))
            detail = ", ".join(f"{k} x{n}" for k, n in sorted(c.items())) or "none"
            print(f"| {name} | {errors} | {warnings} | {detail} |")


if __name__ == "__main__":
    main()
