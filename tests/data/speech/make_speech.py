"""Make ``speech.opus`` and ``speech.json``: 8 languages of espeak-ng speech with pauses, and its truth.

Run once by hand (needs espeak-ng; `apt-get install -y espeak-ng`); the tests only read the outputs.
Each language says two sentences; pauses of 0.7-1.6 s separate sentences. The truth is the span
of each sentence, measured on the clean 16 kHz PCM (espeak-ng writes digital silence between them).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from pipeline.media.ffmpeg import ffmpeg_exe

HERE = Path(__file__).resolve().parent
RATE = 16_000
SENTENCES = [
    ("en-us", "The committee met on Tuesday to review the budget."),
    ("en-us", "Nobody expected the results to arrive so quickly."),
    ("de", "Der Zug nach Berlin hat heute leider Verspätung."),
    ("de", "Wir treffen uns morgen früh am Bahnhof."),
    ("fr-fr", "Les citoyens peuvent consulter les documents en ligne."),
    ("fr-fr", "Merci beaucoup pour votre attention."),
    ("es", "La ciudad abrió un nuevo centro de servicios públicos."),
    ("es", "¿Dónde está la estación de autobuses?"),
    ("ru", "Правительство объявило о новой программе."),
    ("ru", "Спасибо, что пришли сегодня."),
    ("ko", "세상은 시시각각 변하고 있습니다."),
    ("ko", "정부는 새로운 정책을 발표했습니다."),
    ("vi", "Chính phủ đã công bố một chương trình mới."),
    ("vi", "Cảm ơn các bạn đã lắng nghe."),
    ("id", "Pemerintah meluncurkan layanan baru untuk warga."),
    ("id", "Terima kasih atas perhatian Anda."),
]
PAUSES_MS = [700, 1600, 900, 1200, 1000, 1500, 800, 1300]


def _say(voice: str, text: str, speed: int, out: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True)
    raw = out.with_suffix(".raw")
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(out), "-ac", "1", "-ar", str(RATE),
         "-f", "s16le", str(raw)],
        check=True,
    )  # fmt: skip
    samples = np.fromfile(raw, dtype=np.int16)
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0] : loud[-1] + 1]


def main() -> None:
    """Write speech.opus and speech.json beside this script."""
    parts: list[np.ndarray] = [np.zeros(RATE * 6 // 10, dtype=np.int16)]
    spans = []
    with tempfile.TemporaryDirectory() as work:
        for i, (voice, text) in enumerate(SENTENCES):
            said = _say(voice, text, 150 + 10 * (i % 4), Path(work) / f"{i}.wav")
            start = sum(p.size for p in parts) * 1000 // RATE
            parts.append(said)
            spans.append({"lang": voice, "text": text, "start_ms": start, "end_ms": start + said.size * 1000 // RATE})
            parts.append(np.zeros(RATE * PAUSES_MS[i % len(PAUSES_MS)] // 1000, dtype=np.int16))
        pcm = Path(work) / "all.raw"
        np.concatenate(parts).tofile(pcm)
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "s16le", "-ar", str(RATE), "-ac", "1",
             "-i", str(pcm), "-c:a", "libopus", "-b:a", "24k", str(HERE / "speech.opus")],
            check=True,
        )  # fmt: skip
    (HERE / "speech.json").write_text(json.dumps({"spans": spans}, ensure_ascii=False, indent=1) + "\n", "utf-8")


if __name__ == "__main__":
    main()
