"""Whether a sound after a line's end is more of its voice: the level of a few frequency bands per
10 ms window (the speech detector's).

A phrase's last syllable may come back after a short dip (a devoiced vowel, a stop's release: make
eval, Spanish "por escrito" 90 ms after its "to") or after a hiss that the speech detector does
not take for speech (French "quarante six": [s], [i], [s] over 450 ms after "quarante"); what
follows a phrase that is not its voice is a breath (noise: as strong over 3.4 kHz as between
300 Hz and 1 kHz) or a thump of the microphone (under 150 Hz: hardly anything in the voice's band).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pipeline.media.mfcc import HOP, RATE

_FFT = 512
_BLOCK = 20_000  # windows per FFT batch: memory stays bounded on long inputs
TILT_DB = 10.0  # a voiced sound: 300 Hz-1 kHz at least this far over 3.4 kHz and up
BELOW_PEAK_DB = 30.0  # ... and its 300-3400 Hz band no farther under the line's own peaks (90th percentile)
LOW, HIGH, BAND = 0, 1, 2  # the columns of band_levels

Levels = npt.NDArray[np.float32]


def band_levels(samples: npt.NDArray[np.int16]) -> Levels:
    """Per 10 ms window (windows x 3, dB): 300 Hz-1 kHz, 3.4 kHz and up, 300-3400 Hz."""
    freqs = np.fft.rfftfreq(_FFT, 1 / RATE)
    masks = [(freqs >= 300) & (freqs < 1000), freqs >= 3400, (freqs >= 300) & (freqs < 3400)]
    count = samples.size // HOP
    lead = np.zeros(_FFT // 2 - HOP // 2, dtype=np.float32)  # each frame centred on its window
    x = np.concatenate((lead, samples.astype(np.float32), np.zeros(_FFT, dtype=np.float32)))
    window = np.hanning(_FFT).astype(np.float32)
    out = np.zeros((count, len(masks)), dtype=np.float32)
    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        index = (first + np.arange(n))[:, None] * HOP + np.arange(_FFT)[None, :]
        power = np.abs(np.fft.rfft(x[index] * window, axis=1)) ** 2
        out[first : first + n] = 10 * np.log10(np.stack([power[:, m].sum(axis=1) for m in masks], axis=1) + 1.0)
    return out


def voiced(levels: Levels, line: tuple[int, int], first: int, last: int) -> npt.NDArray[np.bool_]:
    """For each window ``first .. last - 1``: whether it sounds like the voice of the line over
    windows ``line`` (first, last + 1)."""
    out = np.zeros(max(last - first, 0), dtype=np.bool_)
    a, b = line[0], min(line[1], levels.shape[0])
    if b <= a or first >= levels.shape[0]:
        return out
    peak = float(np.percentile(levels[a:b, BAND], 90))
    here = levels[first : min(last, levels.shape[0])]
    out[: here.shape[0]] = (here[:, LOW] >= here[:, HIGH] + TILT_DB) & (here[:, BAND] >= peak - BELOW_PEAK_DB)
    return out


def hissy(levels: Levels, first: int, last: int) -> npt.NDArray[np.bool_]:
    """For each window ``first .. last - 1``: whether it has more over 3.4 kHz than between 300 Hz and
    1 kHz (a fricative or a breath; silence or room tone under a voice's band, as often, has not)."""
    out = np.zeros(max(last - first, 0), dtype=np.bool_)
    here = levels[first : min(last, levels.shape[0])]
    out[: here.shape[0]] = here[:, HIGH] > here[:, LOW]
    return out
