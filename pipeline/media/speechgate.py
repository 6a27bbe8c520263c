"""The gates that speech detection puts on WebRTC VAD: spectral occupancy over a local noise floor,
the level of the speech around a window, and soft onsets (see :mod:`pipeline.media.vad`)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
STEP_MS = 10
FRAME_SAMPLES = SAMPLE_RATE * STEP_MS // 1000
OCCUPIED = 0.15
STRONG = 0.3  # so many bins above the floor are speech even where WebRTC VAD hears none (a hoarse voice)
OCCUPIED_LOW = 0.08  # a soft onset before the speech
FFT_SIZE = 512  # samples per frame (32 ms), one frame every 10 ms window
SPEECH_BAND_HZ = (300, 3400)  # the occupancy gate's band; the alignment's voicing test reads it too
_BLOCK = 30_000  # 5 minutes of windows: memory stays bounded
_CHUNK = 20  # the local floor's minima: over 200 ms ...
_REACH = 8  # ... then over 1.6 s on each side
_LOW = 25  # the percentile of a chunk that stands for its floor
_ABOVE_DB = 6.0
_WIDEN = 30  # windows: a soft onset is at most 300 ms long
BELOW_PEAK_DB = 25.0
_PEAK_REACH = 150  # windows: 1.5 s on each side
LOUD_DB = 3.0  # a band this far over its level floor is a voice candidate though WebRTC VAD hears none
GROW_DB = 1.5  # ... and a candidate run grows through windows this far over it (make eval: loud hiss) ...
NOISY_DB = 20.0  # ... where the voice's peak is less than this over it (22: a split found in the MFA clip)
RISE_DB = 3.5  # a voice raises the band level by more over a bed or a hiss (make eval); a hi-hat by 1.5-2.5 dB

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]


def spectra(padded: npt.NDArray[np.float32], first: int, n: int) -> npt.NDArray[np.complex128]:
    """The spectra of windows ``first .. first+n`` of ``padded`` (its samples, then ``FFT_SIZE`` zeros):
    a Hann-weighted frame of ``FFT_SIZE`` samples from each window's start."""
    frames = np.lib.stride_tricks.sliding_window_view(padded, FFT_SIZE)[::FRAME_SAMPLES][first : first + n]
    out: npt.NDArray[np.complex128] = np.fft.rfft(frames * np.hanning(FFT_SIZE).astype(np.float32), axis=1)
    return out


def _power(padded: npt.NDArray[np.float32], first: int, n: int) -> npt.NDArray[np.float32]:
    """The speech band's power of windows ``first .. first+n``, smoothed over 3 windows and 3 bins.

    One periodogram bin of noise swings by 10 dB from window to window; averaged over nine
    neighbours it holds within a few dB, so steady noise no longer pokes above its floor.
    """
    lo, hi = (hz * FFT_SIZE // SAMPLE_RATE for hz in SPEECH_BAND_HZ)
    power = (np.abs(spectra(padded, first, n)[:, lo - 1 : hi + 1]) ** 2).astype(np.float32)
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


def occupancy(samples: npt.NDArray[np.int16], count: int) -> tuple[FloatArray, FloatArray]:
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
    padded = np.concatenate((samples.astype(np.float32), np.zeros(FFT_SIZE, dtype=np.float32)))
    margin = _CHUNK * (_REACH + 1)
    for first in range(0, count, _BLOCK):
        a, b = max(first - margin, 0), min(first + _BLOCK + margin, count)
        power = _power(padded, a, b - a)
        above = power > _local_floor(power) * np.float32(10 ** (_ABOVE_DB / 10))
        n = min(_BLOCK, count - first)
        share[first : first + n] = above.mean(axis=1)[first - a : first - a + n]
        level[first : first + n] = (10 * np.log10(power.sum(axis=1)))[first - a : first - a + n]
    return share, level


def speech_peak(level: FloatArray, candidate: BoolArray) -> FloatArray:
    """Per window, the level of the loudest candidate speech within ``_PEAK_REACH`` (-120 dB: none).

    A window more than ``BELOW_PEAK_DB`` under it is no speech: real recordings breathe, and an
    in-breath or a lip noise before a phrase, 25-35 dB under the voice that follows, rises above the
    room's floor as a voice does (WebRTC VAD takes it for one).
    """
    peak = np.where(candidate, level, np.float32(-120.0))
    pad = np.full(_PEAK_REACH, -120.0, dtype=np.float32)
    windows = np.lib.stride_tricks.sliding_window_view(np.concatenate((pad, peak, pad)), 2 * _PEAK_REACH + 1)
    out: FloatArray = windows.max(axis=1)
    return out


def widen(flags: BoolArray, lenient: BoolArray) -> BoolArray:
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


def level_floor(level: FloatArray) -> FloatArray:
    """Each window's floor of the band level (dB): as :func:`_local_floor`, over the whole band."""
    out: FloatArray = _local_floor(level[:, None].astype(np.float32))[:, 0]
    return out


def rising(flags: BoolArray, level: FloatArray, floor: FloatArray) -> BoolArray:
    """``flags`` without the runs whose loudest window is less than ``RISE_DB`` over the level floor.

    A voice over a music bed or a hiss raises the band's level; a hi-hat or a chord change of the bed
    fills many bins of the band at once (so the occupancy gate takes it) but barely adds to its level.
    """
    out = flags.copy()
    padded = np.concatenate(([False], flags, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if float(np.max(level[a:b] - floor[a:b])) < RISE_DB:
            out[a:b] = False
    return out


def grow(seeds: BoolArray, lenient: BoolArray) -> BoolArray:
    """The runs of ``seeds | lenient`` that hold at least one seed window (hysteresis: a voice under a
    loud hiss fills few bins and barely rises over it between its loudest syllables)."""
    both = seeds | lenient
    run = np.cumsum(np.concatenate(([True], both[1:] != both[:-1])))  # a label per run
    seeded = np.zeros(int(run[-1]) + 1 if run.size else 1, dtype=np.bool_)
    seeded[run[seeds]] = True
    out: BoolArray = both & seeded[run]
    return out


def kept_pauses(flags: BoolArray, strict: BoolArray, min_windows: int) -> BoolArray:
    """``flags`` with each inner pause of ``strict`` at least ``min_windows`` long made a pause again
    where ``flags`` fills it whole: the candidates over the level floor and the growth through the
    quieter windows (a voice in a loud hiss) must not join two phrases across a pause that WebRTC VAD
    and the occupancy gate both keep (make eval: English, a 320 ms pause under a microphone rumble)."""
    out = flags.copy()
    edges = np.flatnonzero(np.diff(np.concatenate(([1], strict.astype(np.int8), [1]))))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if b - a >= min_windows and a > 0 and b < strict.size and flags[a:b].all():
            out[a:b] = False
    return out
