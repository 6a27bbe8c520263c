"""Speech activity of a video's audio: decoded once with ffmpeg, labelled every 10 ms by WebRTC VAD.

Measured on the 263 s sample (2 cores): decoding to 16 kHz mono s16le with the ffmpeg binary took
0.49 s, PyAV's decoder and resampler 0.66 s; WebRTC VAD over the 26,300 10 ms frames took 0.12 s.
So the audio is decoded by ffmpeg into a temporary raw file, then read with numpy. WebRTC VAD takes
tones and noise for speech, so a spectral-occupancy gate must agree, and a window must be within
25 dB of the speech around it (breaths and room noise before a phrase): :mod:`pipeline.media.speechgate`.
On real recordings with published timings (``make eval``: MFA's and SPPAS's, English and French),
the detected onsets are within -50..+80 ms of the published ones (5th-95th percentile), +140 ms at
the 95th under a hiss and a music bed.
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
from pipeline.media.speechgate import (
    BELOW_PEAK_DB,
    GROW_DB,
    LOUD_DB,
    NOISY_DB,
    OCCUPIED,
    OCCUPIED_LOW,
    STRONG,
    BoolArray,
    FloatArray,
    grow,
    kept_pauses,
    level_floor,
    occupancy,
    rising,
    speech_peak,
    widen,
)
from pipeline.media.speechgate import SAMPLE_RATE as SAMPLE_RATE  # this module's too
from pipeline.media.speechgate import STEP_MS as STEP_MS

_FRAME_SAMPLES = SAMPLE_RATE * STEP_MS // 1000
DEFAULT_AGGRESSIVENESS = 2
MIN_SPEECH_MS = 60
MIN_PAUSE_MS = 150
_CACHE_SCHEME = 5  # bump when the detection changes: cached results of the old one are not read


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


def speech_flags(
    samples: npt.NDArray[np.int16], aggressiveness: int = DEFAULT_AGGRESSIVENESS, keep_pause_ms: int = 0
) -> Speech:
    """Label each 10 ms window of ``samples`` as speech or not; drop blips, bridge short pauses.

    A window is speech when WebRTC VAD says so (or the band is ``LOUD_DB`` over its level floor:
    under a loud hiss WebRTC VAD hears no voice), the spectral-occupancy gate agrees and it is
    within reach of the level of the speech around it (:mod:`pipeline.media.speechgate`). Each such
    run grows, where the voice's peak is less than ``NOISY_DB`` over the floor, through the quieter
    windows around it that still fill some bins and stand ``GROW_DB`` over the floor (the weak
    syllables of a voice in a loud hiss); a run whose level never rises
    ``RISE_DB`` over the floor (a music bed's hi-hat) is dropped. With ``keep_pause_ms``, a pause
    that long or longer that WebRTC VAD and the occupancy gate keep stays a pause
    (:func:`pipeline.media.speechgate.kept_pauses`: alignment wants its pauses; the audio checks
    want the voice's whole extent, so they do not ask).
    """
    count = samples.size // _FRAME_SAMPLES
    if count == 0:  # under one window (10 ms): no speech, and nothing to measure
        return Speech(np.zeros(0, dtype=np.bool_), ())
    vad = webrtcvad.Vad(aggressiveness)
    data = samples[: count * _FRAME_SAMPLES].tobytes()
    size = _FRAME_SAMPLES * 2
    voiced = np.fromiter(
        (vad.is_speech(data[i * size : (i + 1) * size], SAMPLE_RATE) for i in range(count)), dtype=np.bool_, count=count
    )
    share, level = occupancy(samples, count)
    floor = level_floor(level)
    strict = (voiced | (share > STRONG)) & (share > OCCUPIED)
    peak = speech_peak(level, strict)
    raw = strict | ((level > floor + np.float32(LOUD_DB)) & (share > OCCUPIED))
    near = level >= peak - np.float32(BELOW_PEAK_DB)
    noisy = peak < floor + np.float32(NOISY_DB)
    quiet = near & noisy & (share > OCCUPIED_LOW) & (level > floor + np.float32(GROW_DB))
    soft = near & (share > OCCUPIED_LOW)
    flags = _tidy(grow(raw & near, quiet), soft, level, floor)
    if keep_pause_ms:
        flags = kept_pauses(flags, _tidy(strict & near, soft, level, floor), keep_pause_ms // STEP_MS)
    return Speech(flags, spans_of(flags))


def _tidy(flags: BoolArray, soft: BoolArray, level: FloatArray, floor: FloatArray) -> BoolArray:
    """Blips dropped, soft onsets taken in, runs that do not rise over the floor dropped, short pauses bridged."""
    flags = _close_gaps(flags, True, MIN_SPEECH_MS // STEP_MS)
    flags = rising(widen(flags, soft), level, floor)
    return _close_gaps(flags, False, MIN_PAUSE_MS // STEP_MS)


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
