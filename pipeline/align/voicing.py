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
from pipeline.media.speechgate import FFT_SIZE, SPEECH_BAND_HZ, spectra

_BLOCK = 4_000  # windows per FFT batch: memory stays bounded on long inputs (~25 MB)
TILT_DB = 10.0  # a voiced sound: 300 Hz-1 kHz at least this far over 3.4 kHz and up
# ... and its speech band no farther under the line's own peaks (its 90th percentile). The speech
# detector's BELOW_PEAK_DB (25 dB, pipeline.media.speechgate) measures a window against the loudest
# speech within 1.5 s, and gaps.EXTEND_BELOW_PEAK_DB (32 dB) the full-band level a decay keeps
# against the line's: this one is the speech band's, for a sound after the line's end.
VOICED_BELOW_PEAK_DB = 30.0
LOW, HIGH, BAND = 0, 1, 2  # the columns of band_levels

Levels = npt.NDArray[np.float32]


def band_levels(samples: npt.NDArray[np.int16]) -> Levels:
    """Per 10 ms window (windows x 3, dB): 300 Hz-1 kHz, 3.4 kHz and up, the speech band (300-3400 Hz);
    each frame centred on its window (the speech detector's frames start at theirs)."""
    freqs = np.fft.rfftfreq(FFT_SIZE, 1 / RATE)
    lo, hi = SPEECH_BAND_HZ
    masks = [(freqs >= lo) & (freqs < 1000), freqs >= hi, (freqs >= lo) & (freqs < hi)]
    count = samples.size // HOP
    lead = np.zeros(FFT_SIZE // 2 - HOP // 2, dtype=np.float32)
    x = np.concatenate((lead, samples.astype(np.float32), np.zeros(FFT_SIZE, dtype=np.float32)))
    out = np.zeros((count, len(masks)), dtype=np.float32)
    for first in range(0, count, _BLOCK):
        n = min(_BLOCK, count - first)
        power = np.abs(spectra(x, first, n)) ** 2
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
    out[: here.shape[0]] = (here[:, LOW] >= here[:, HIGH] + TILT_DB) & (here[:, BAND] >= peak - VOICED_BELOW_PEAK_DB)
    return out


def hissy(levels: Levels, first: int, last: int) -> npt.NDArray[np.bool_]:
    """For each window ``first .. last - 1``: whether it has more over 3.4 kHz than between 300 Hz and
    1 kHz (a fricative or a breath; silence or room tone under a voice's band, as often, has not)."""
    out = np.zeros(max(last - first, 0), dtype=np.bool_)
    here = levels[first : min(last, levels.shape[0])]
    out[: here.shape[0]] = here[:, HIGH] > here[:, LOW]
    return out
