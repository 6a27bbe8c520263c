"""MFCCs of 16 kHz mono samples, one vector every 10 ms (the speech detector's windows).

25 ms Hann windows, 512-point FFT, 40 mel bands from 100 to 7000 Hz, log, DCT-II; coefficients 1-12
(the 0th, the level, is left out: a recording and a synthetic voice differ most in level), with their
mean over the whole input taken away (the channel).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt

RATE = 16_000
HOP = 160
_WINDOW = 400
_FFT = 512
_BANDS = 40
_COEFFS = 12
_BLOCK = 20_000  # frames per FFT batch: memory stays bounded on long inputs

Features = npt.NDArray[np.float32]


def _mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 2595 * np.log10(1 + hz / 700)


@cache
def _filters() -> npt.NDArray[np.float32]:
    """The triangular mel filter bank, bands x FFT bins."""
    edges_mel = np.linspace(_mel(np.array(100.0)), _mel(np.array(7000.0)), _BANDS + 2)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    bins = np.fft.rfftfreq(_FFT, 1 / RATE)
    bank = np.zeros((_BANDS, bins.size), dtype=np.float32)
    for b in range(_BANDS):
        lo, mid, hi = edges[b : b + 3]
        rise = (bins - lo) / (mid - lo)
        fall = (hi - bins) / (hi - mid)
        bank[b] = np.clip(np.minimum(rise, fall), 0, None)
    return bank


@cache
def _dct() -> npt.NDArray[np.float32]:
    n = np.arange(_BANDS)
    k = np.arange(1, _COEFFS + 1)[:, None]
    return np.cos(np.pi * k * (2 * n + 1) / (2 * _BANDS)).astype(np.float32)


def mfcc(samples: npt.NDArray[np.floating] | npt.NDArray[np.int16]) -> Features:
    """One 12-coefficient vector per 10 ms of ``samples`` (frames x 12), mean-normalised."""
    x: npt.NDArray[np.float32] = np.asarray(samples, dtype=np.float32)
    if np.abs(x).max(initial=0) > 2:  # 16-bit samples
        x = x / np.float32(32768)
    count = x.size // HOP
    if count == 0:
        return np.zeros((0, _COEFFS), dtype=np.float32)
    padded = np.concatenate((np.zeros(_WINDOW // 2, np.float32), x, np.zeros(_WINDOW, np.float32)))
    window = np.hanning(_WINDOW).astype(np.float32)
    out = np.empty((count, _COEFFS), dtype=np.float32)
    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        index = (first + np.arange(n))[:, None] * HOP + np.arange(_WINDOW)[None, :]
        power = np.abs(np.fft.rfft(padded[index] * window, _FFT, axis=1)) ** 2
        energies = np.log(power.astype(np.float32) @ _filters().T + 1e-8)
        out[first : first + n] = energies @ _dct().T
    out -= out.mean(axis=0)
    return out
