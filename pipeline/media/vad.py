"""Speech activity of a video's audio: decoded once with ffmpeg, labelled every 10 ms by WebRTC VAD.

Measured on the 263 s sample (2 cores): decoding to 16 kHz mono s16le with the ffmpeg binary took
0.49 s, PyAV's decoder and resampler 0.66 s; WebRTC VAD over the 26,300 10 ms frames took 0.12 s.
So the audio is decoded by ffmpeg into a temporary raw file, then read with numpy. WebRTC VAD takes
tones and noise for speech, so a spectral-occupancy gate (:func:`_occupancy`) must agree.
"""

from __future__ import annotations

import itertools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import webrtcvad

from pipeline.core.errors import InputError
from pipeline.media.ffmpeg import base_args, run_ffmpeg, safe_path

SAMPLE_RATE = 16_000
STEP_MS = 10
_FRAME_SAMPLES = SAMPLE_RATE * STEP_MS // 1000
DEFAULT_AGGRESSIVENESS = 2
MIN_SPEECH_MS = 60
MIN_PAUSE_MS = 150
_FFT = 512
_BLOCK = 30_000  # 5 minutes of windows: the floor adapts, memory stays bounded
_ABOVE_DB = 10.0
_OCCUPIED = 0.15

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Speech:
    """Speech activity: one flag per ``STEP_MS`` window, and the merged spans in ms."""

    flags: BoolArray
    spans: tuple[tuple[int, int], ...]

    @property
    def duration_ms(self) -> int:
        """The length of the analysed audio."""
        return int(self.flags.size) * STEP_MS


def decode_args(media: Path, target: Path) -> list[str]:
    """Decode the first audio stream of ``media`` to 16 kHz mono signed 16-bit raw PCM."""
    return [
        *base_args(),
        "-i",
        safe_path(media),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-ac",
        "1",
        "-ar",
        str(SAMPLE_RATE),
        "-f",
        "s16le",
        safe_path(target),
    ]


def decode_audio(media: Path) -> npt.NDArray[np.int16]:
    """The audio of ``media`` as 16 kHz mono int16 samples.

    Raises:
        InputError: when the file is missing.
        FfmpegError: when ffmpeg cannot decode it (no audio stream, not media).
    """
    if not media.is_file():
        raise InputError(media, "no such file")
    with tempfile.TemporaryDirectory(prefix="subpipe-vad-") as work:
        raw = Path(work) / "audio.raw"
        run_ffmpeg(decode_args(media.resolve(), raw))
        return np.fromfile(raw, dtype=np.int16)


def _close_gaps(flags: BoolArray, value: bool, max_len: int) -> BoolArray:
    """Flip runs of ``value`` no longer than ``max_len`` windows (inner runs only)."""
    out = flags.copy()
    change = np.flatnonzero(np.diff(out.astype(np.int8))) + 1
    bounds = np.concatenate(([0], change, [out.size]))
    for start, end in itertools.pairwise(bounds):
        if out[start] == value and end - start <= max_len and start > 0 and end < out.size:
            out[start:end] = not value
    return out


def spans_of(flags: BoolArray) -> tuple[tuple[int, int], ...]:
    """The (start_ms, end_ms) of each run of True windows.

    >>> spans_of(np.array([False, True, True, False, True]))
    ((10, 30), (40, 50))
    """
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return tuple((int(a) * STEP_MS, int(b) * STEP_MS) for a, b in zip(edges[0::2], edges[1::2], strict=True))


def _occupancy(samples: npt.NDArray[np.int16], count: int) -> BoolArray:
    """Windows whose speech band (300-3400 Hz) rises well above its own floor across many bins.

    Per block of ``_BLOCK`` windows, each FFT bin's floor is its 10th percentile over the block; a
    window counts when over ``_OCCUPIED`` of the bins are ``_ABOVE_DB`` above their floor. Steady
    tones (music) fill a few bins, noise rarely rises 10 dB above its floor, speech fills many.
    Measured on the sample with a modulated chord mixed under it: WebRTC VAD alone called 100 % of
    it speech (precision 0.81); with this gate, recall 0.998 and precision 0.995.
    """
    out = np.zeros(count, dtype=np.bool_)
    padded = np.concatenate((samples.astype(np.float32), np.zeros(_FFT, dtype=np.float32)))
    window = np.hanning(_FFT).astype(np.float32)
    lo, hi = 300 * _FFT // SAMPLE_RATE, 3400 * _FFT // SAMPLE_RATE
    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        index = (first + np.arange(n))[:, None] * _FRAME_SAMPLES + np.arange(_FFT)[None, :]
        power = np.abs(np.fft.rfft(padded[index] * window, axis=1)[:, lo:hi]) ** 2 + 1e-3
        floor = np.percentile(power, 10, axis=0)[None, :]
        out[first : first + n] = (power > floor * 10 ** (_ABOVE_DB / 10)).mean(axis=1) > _OCCUPIED
    return out


def speech_flags(samples: npt.NDArray[np.int16], aggressiveness: int = DEFAULT_AGGRESSIVENESS) -> Speech:
    """Label each 10 ms window of ``samples`` as speech or not; drop blips, bridge short pauses.

    A window is speech when WebRTC VAD says so and the spectral-occupancy gate agrees.
    """
    vad = webrtcvad.Vad(aggressiveness)
    count = samples.size // _FRAME_SAMPLES
    data = samples[: count * _FRAME_SAMPLES].tobytes()
    size = _FRAME_SAMPLES * 2
    raw = np.fromiter(
        (vad.is_speech(data[i * size : (i + 1) * size], SAMPLE_RATE) for i in range(count)), dtype=np.bool_, count=count
    )
    raw &= _occupancy(samples, count)
    flags = _close_gaps(raw, True, MIN_SPEECH_MS // STEP_MS)
    flags = _close_gaps(flags, False, MIN_PAUSE_MS // STEP_MS)
    return Speech(flags, spans_of(flags))


def detect_speech(media: Path, aggressiveness: int = DEFAULT_AGGRESSIVENESS) -> Speech:
    """Decode ``media``'s audio and detect its speech.

    Raises:
        InputError: when the file is missing.
        FfmpegError: when its audio cannot be decoded.
    """
    return speech_flags(decode_audio(media), aggressiveness)


def speech_pauses(speech: Speech, min_pause_ms: int = MIN_PAUSE_MS) -> list[int]:
    """Where speech resumes after every pause at least ``min_pause_ms`` long, in ms.

    The track builder cuts a long segment's time at the pause nearest to its character share, so
    the next cue starts with the speech (a pause's middle would show it a few frames early).
    """
    return [
        b_start for (_a, a_end), (b_start, _b) in itertools.pairwise(speech.spans) if b_start - a_end >= min_pause_ms
    ]
