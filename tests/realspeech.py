"""Real recorded speech for the tests (tests/data/speech/real: MFA's, MIT): the clip, its published
segments as cues, and the clip with a hiss fading in before each phrase or a music bed under it."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.core.cues import Cue, Track
from pipeline.core.timecode import frame_to_ms
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.vad import SAMPLE_RATE, decode_audio

REAL = Path(__file__).resolve().parent / "data" / "speech" / "real"
CLIP = REAL / "michael.opus"
SEGMENTS: list[dict[str, Any]] = json.loads((REAL / "michael.json").read_text(encoding="utf-8"))["segments"]
FPS = Fraction(25)
Samples = npt.NDArray[np.float64]


def start_of(i: int) -> int:
    """Where segment ``i``'s voice starts, in ms."""
    return int(SEGMENTS[i]["start_ms"])


def end_of(i: int) -> int:
    """Where segment ``i``'s voice ends, in ms."""
    return int(SEGMENTS[i]["end_ms"])


def true_track(shift_ms: int = 0) -> Track:
    """The published segments as cues: in on the voice's frame, out 300 ms after it (before the next)."""
    cues = []
    for i, seg in enumerate(SEGMENTS):
        start = frame_to_ms(start_of(i) * 25 // 1000, FPS)
        nxt = start_of(i + 1) - 80 if i + 1 < len(SEGMENTS) else 10**9
        cues.append(Cue(start + shift_ms, min(end_of(i) + 300, nxt) + shift_ms, (str(seg["text"])[:40],)))
    return Track("en", tuple(cues), FPS)


def clean() -> Samples:
    """The clip's samples (16 kHz mono)."""
    return decode_audio(CLIP).astype(np.float64)


def _voice_rms(samples: Samples) -> float:
    rate = SAMPLE_RATE // 1000
    voice = np.concatenate([samples[start_of(i) * rate : end_of(i) * rate] for i in range(len(SEGMENTS))])
    return float(np.sqrt(np.mean(voice**2)))


def with_hiss(samples: Samples, db: float = -24.0) -> Samples:
    """A hiss ``-db`` dB under the voice, fading in over 0.8 s from 1 s before each phrase, out after it."""
    rate = SAMPLE_RATE // 1000
    noise = np.random.default_rng(5).standard_normal(samples.size)
    gain = np.zeros(samples.size)
    for i in range(len(SEGMENTS)):
        a, b = (start_of(i) - 1000) * rate, (end_of(i) + 300) * rate
        gain[a:b] = np.maximum(gain[a:b], np.minimum(np.arange(b - a) / (0.8 * SAMPLE_RATE), 1))
    out: Samples = samples + noise * gain * _voice_rms(samples) * 10 ** (db / 20)
    return out


def with_music(samples: Samples) -> Samples:
    """A chord changing every 2 s with a hi-hat, 15 dB under the voice."""
    graph = (
        "aevalsrc='sin(2*PI*(220-20*mod(floor(t/2),2))*t)+0.8*sin(2*PI*277*t)+0.7*sin(2*PI*330*t)"
        "+0.6*sin(2*PI*110*t)+2*random(0)*exp(-40*mod(t,0.5))':s=16000"
    )
    cmd = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", graph, "-t", str(samples.size / 16000)]
    raw = subprocess.run([*cmd, "-f", "s16le", "-ac", "1", "-"], check=True, capture_output=True).stdout
    bed = np.frombuffer(raw, dtype=np.int16).astype(np.float64)[: samples.size]
    bed = np.pad(bed, (0, samples.size - bed.size))
    out: Samples = samples + bed / np.sqrt(np.mean(bed**2)) * _voice_rms(samples) * 10 ** (-15 / 20)
    return out


def as_pcm(samples: Samples) -> npt.NDArray[np.int16]:
    """Back to 16-bit samples."""
    return np.clip(samples, -32768, 32767).astype(np.int16)
