"""Speech activity of a video's audio: decoded once with ffmpeg, labelled every 10 ms by WebRTC VAD.

Measured on the 263 s sample (2 cores): decoding to 16 kHz mono s16le with the ffmpeg binary took
0.49 s, PyAV's decoder and resampler 0.66 s; WebRTC VAD over the 26,300 10 ms frames took 0.12 s.
So the audio is decoded by ffmpeg into a temporary raw file, then read with numpy. WebRTC VAD takes
tones and noise for speech, so a spectral-occupancy gate (:func:`_occupancy`) must agree, and a window
must be within 25 dB of the speech around it (:func:`_near_speech_level`: breaths and room noise
before a phrase). On real recordings with published timings (``make eval``: MFA's and SPPAS's, English
and French), the detected onsets are within -50..+80 ms of the published ones (5th-95th percentile),
+140 ms at the 95th under a hiss and a music bed.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import webrtcvad

from pipeline.core.errors import InputError
from pipeline.core.filecache import cache_root, file_fingerprint
from pipeline.media.ffmpeg import base_args, run_ffmpeg, safe_path

SAMPLE_RATE = 16_000
STEP_MS = 10
_FRAME_SAMPLES = SAMPLE_RATE * STEP_MS // 1000
DEFAULT_AGGRESSIVENESS = 2
MIN_SPEECH_MS = 60
MIN_PAUSE_MS = 150
_FFT = 512
_BLOCK = 30_000  # 5 minutes of windows: memory stays bounded
_CHUNK = 20  # the local floor's minima: over 200 ms ...
_REACH = 8  # ... then over 1.6 s on each side
_LOW = 25  # the percentile of a chunk that stands for its floor
_ABOVE_DB = 6.0
_OCCUPIED = 0.15
_STRONG = 0.3  # so many bins above the floor are speech even where WebRTC VAD hears none (a hoarse voice)
_OCCUPIED_LOW = 0.08  # a soft onset before the speech
_WIDEN = 30  # windows: a soft onset is at most 300 ms long
_BELOW_PEAK_DB = 25.0
_PEAK_REACH = 150  # windows: 1.5 s on each side
_CACHE_SCHEME = 2  # bump when the detection changes: cached results of the old one are not read

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]


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
        samples = np.fromfile(raw, dtype=np.int16)
    lead = audio_lead_ms(media) * SAMPLE_RATE // 1000
    if lead > 0:  # the audio starts after the first frame: silence until it does
        return np.concatenate((np.zeros(lead, dtype=np.int16), samples))
    return samples[-lead:]


def audio_lead_ms(media: Path) -> int:
    """How long after the video's first frame the first audio stream starts (negative: before it).

    Cue times count from the first frame; the decoded samples start with the first audio sample.
    0 without a video stream or start times (an audio file: its own start is the origin).
    """
    try:
        with av.open(str(media.resolve())) as container:
            pictures = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
            if not pictures or not container.streams.audio:
                return 0  # an audio file (cover art is no picture to count from)
            starts = [_start_s(container.streams.audio[0]), _start_s(pictures[0])]
    except av.error.FFmpegError:
        return 0
    audio, video = starts
    return 0 if audio is None or video is None else round((audio - video) * 1000)


def _start_s(stream: av.stream.Stream) -> Fraction | None:
    """The stream's first timestamp in seconds, when the container says."""
    if stream.start_time is None or stream.time_base is None:
        return None
    return Fraction(stream.start_time) * stream.time_base


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


def _power(padded: npt.NDArray[np.float32], first: int, n: int) -> npt.NDArray[np.float32]:
    """The speech band's power of windows ``first .. first+n``, smoothed over 3 windows and 3 bins.

    One periodogram bin of noise swings by 10 dB from window to window; averaged over nine
    neighbours it holds within a few dB, so steady noise no longer pokes above its floor.
    """
    window = np.hanning(_FFT).astype(np.float32)
    lo, hi = 300 * _FFT // SAMPLE_RATE, 3400 * _FFT // SAMPLE_RATE
    index = (first + np.arange(n))[:, None] * _FRAME_SAMPLES + np.arange(_FFT)[None, :]
    power = (np.abs(np.fft.rfft(padded[index] * window, axis=1)[:, lo - 1 : hi + 1]) ** 2).astype(np.float32)
    power = (power[:, :-2] + power[:, 1:-1] + power[:, 2:]) / np.float32(3)
    edge = np.concatenate((power[:1], power, power[-1:]))
    return (edge[:-2] + edge[1:-1] + edge[2:]) / np.float32(3) + np.float32(1e-3)


def _local_floor(power: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each window's noise floor per bin: the larger of the minima over the seconds before and after.

    The ``_LOW`` percentile of each ``_CHUNK`` windows, then the minimum over ``_REACH`` chunks on
    each side (own chunk excluded).
    Noise fading in sits below the minimum of what follows it, so its rise is not taken for
    speech; speech stays above both sides' minima, which its pauses and the gaps between its
    harmonics keep at the noise floor. A file edge uses the one side it has.
    """
    n, bins = power.shape
    m = -(-n // _CHUNK)
    padded = np.concatenate((power, np.repeat(power[-1:], m * _CHUNK - n, axis=0)))
    k = _CHUNK * _LOW // 100
    chunks = np.partition(padded.reshape(m, _CHUNK, bins), k, axis=1)[:, k]
    inf = np.full((_REACH, bins), np.inf, dtype=np.float32)
    ext = np.concatenate((inf, chunks, inf))
    past = np.min([ext[_REACH - k : _REACH - k + m] for k in range(1, _REACH + 1)], axis=0)
    future = np.min([ext[_REACH + k : _REACH + k + m] for k in range(1, _REACH + 1)], axis=0)
    floor = np.where(np.isinf(past), future, np.where(np.isinf(future), past, np.maximum(past, future)))
    floor = np.where(np.isinf(floor), chunks, floor)
    return np.repeat(floor, _CHUNK, axis=0)[:n]


def _occupancy(samples: npt.NDArray[np.int16], count: int) -> tuple[FloatArray, FloatArray]:
    """Per window: the share of speech-band bins (300-3400 Hz) well above their local noise floor, and
    the band's level in dB.

    A bin counts when it is ``_ABOVE_DB`` above its floor (:func:`_local_floor`). Steady tones (music,
    hum) fill a few bins; stationary noise (hiss, hum, room tone), even fading in or swelling, does not
    rise 10 dB above its own level; speech fills many.
    Measured on espeak-ng speech in 8 languages under hiss, pink and brown noise fading in, 50 Hz hum,
    swelling room tone and a music bed (``benchmarks/bench_vad_noise.py``, table in the README).
    Blocks of ``_BLOCK`` windows overlap by the floor's reach, so memory stays bounded.
    """
    share = np.zeros(count, dtype=np.float32)
    level = np.full(count, -120.0, dtype=np.float32)
    padded = np.concatenate((samples.astype(np.float32), np.zeros(_FFT, dtype=np.float32)))
    margin = _CHUNK * (_REACH + 1)
    for first in range(0, count, _BLOCK):
        a, b = max(first - margin, 0), min(first + _BLOCK + margin, count)
        power = _power(padded, a, b - a)
        above = power > _local_floor(power) * np.float32(10 ** (_ABOVE_DB / 10))
        n = min(_BLOCK, count - first)
        share[first : first + n] = above.mean(axis=1)[first - a : first - a + n]
        level[first : first + n] = (10 * np.log10(power.sum(axis=1)))[first - a : first - a + n]
    return share, level


def _near_speech_level(level: FloatArray, candidate: BoolArray) -> BoolArray:
    """Windows no more than ``_BELOW_PEAK_DB`` under the loudest candidate speech within ``_PEAK_REACH``.

    Real recordings breathe: an in-breath or a lip noise before a phrase is 25-35 dB under the voice
    that follows, but it rises above the room's floor as a voice does, and WebRTC VAD takes it for one.
    """
    peak = np.where(candidate, level, np.float32(-120.0))
    pad = np.full(_PEAK_REACH, -120.0, dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(np.concatenate((pad, peak, pad)), 2 * _PEAK_REACH + 1)
    out: BoolArray = level >= windows.max(axis=1) - np.float32(_BELOW_PEAK_DB)
    return out


def _widen(flags: BoolArray, lenient: BoolArray) -> BoolArray:
    """Each run of ``flags`` extended backwards through the ``lenient`` windows just before it (at most
    ``_WIDEN`` windows): a soft onset (/l/, /h/, /f/) fills few bins until the vowel, so the strict test
    starts the speech late."""
    out = flags.copy()
    starts = np.flatnonzero(np.diff(np.concatenate(([False], flags)).astype(np.int8)) == 1)
    for start in starts:
        i = int(start)
        while i > 0 and start - i < _WIDEN and lenient[i - 1] and not out[i - 1]:
            i -= 1
        out[i:start] = True
    return out


def speech_flags(samples: npt.NDArray[np.int16], aggressiveness: int = DEFAULT_AGGRESSIVENESS) -> Speech:
    """Label each 10 ms window of ``samples`` as speech or not; drop blips, bridge short pauses.

    A window is speech when WebRTC VAD says so, the spectral-occupancy gate agrees and it is
    within reach of the level of the speech around it (:func:`_near_speech_level`).
    """
    vad = webrtcvad.Vad(aggressiveness)
    count = samples.size // _FRAME_SAMPLES
    data = samples[: count * _FRAME_SAMPLES].tobytes()
    size = _FRAME_SAMPLES * 2
    voiced = np.fromiter(
        (vad.is_speech(data[i * size : (i + 1) * size], SAMPLE_RATE) for i in range(count)), dtype=np.bool_, count=count
    )
    share, level = _occupancy(samples, count)
    raw = (voiced | (share > _STRONG)) & (share > _OCCUPIED)
    near = _near_speech_level(level, raw)
    flags = _close_gaps(raw & near, True, MIN_SPEECH_MS // STEP_MS)
    flags = _widen(flags, near & (share > _OCCUPIED_LOW))
    flags = _close_gaps(flags, False, MIN_PAUSE_MS // STEP_MS)
    return Speech(flags, spans_of(flags))


def detect_speech(media: Path, aggressiveness: int = DEFAULT_AGGRESSIVENESS, use_cache: bool = True) -> Speech:
    """Decode ``media``'s audio and detect its speech (cached as shot changes are: a rerun costs a read).

    Raises:
        InputError: when the file is missing.
        FfmpegError: when its audio cannot be decoded.
    """
    cache = _cache_path(media, aggressiveness) if use_cache and media.is_file() else None
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        if cache is not None:
            doc = json.loads(cache.read_text(encoding="ascii"))
            flags = np.unpackbits(np.frombuffer(base64.b64decode(doc["flags"]), dtype=np.uint8), count=doc["n"])
            return Speech(flags.astype(np.bool_), tuple((int(a), int(b)) for a, b in doc["spans"]))
    speech = speech_flags(decode_audio(media), aggressiveness)
    with contextlib.suppress(OSError):
        if cache is not None:
            packed = base64.b64encode(np.packbits(speech.flags).tobytes()).decode("ascii")
            doc = {"n": int(speech.flags.size), "flags": packed, "spans": [list(s) for s in speech.spans]}
            cache.parent.mkdir(parents=True, exist_ok=True)
            staged = cache.with_name(f".{cache.name}.{os.getpid()}")
            staged.write_text(json.dumps(doc), encoding="ascii")
            os.replace(staged, cache)
    return speech


def _cache_path(media: Path, aggressiveness: int) -> Path:
    """Where ``media``'s speech is cached: keyed by its size, mtime, first and last MiB and the settings."""
    return cache_root() / f"speech-{file_fingerprint(media, f'speech:{_CACHE_SCHEME}:{aggressiveness}')}.json"


def speech_pauses(speech: Speech, min_pause_ms: int = MIN_PAUSE_MS) -> list[int]:
    """Where speech resumes after every pause at least ``min_pause_ms`` long, in ms.

    The track builder cuts a long segment's time at the pause nearest to its character share, so
    the next cue starts with the speech (a pause's middle would show it a few frames early).
    """
    return [
        b_start for (_a, a_end), (b_start, _b) in itertools.pairwise(speech.spans) if b_start - a_end >= min_pause_ms
    ]
