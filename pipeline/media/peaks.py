"""The audio waveform of a source as peaks (the loudest sample of every 10 ms), computed once and cached.

The studio's timeline draws these, so the browser never downloads and decodes the whole audio
(what peaks.js and wavesurfer.js recommend for anything but short files). The cache key is the
file's fingerprint, as for shot changes and speech.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.core.filecache import cache_root, file_fingerprint, read_cached, write_cached
from pipeline.media.vad import SAMPLE_RATE, decode_audio

PEAKS_PER_SECOND = 100
_VERSION = 1


def compute_peaks(samples: np.ndarray[tuple[int], np.dtype[np.int16]]) -> list[float]:
    """The largest absolute sample of each 10 ms, from 0 to 1 with two decimals."""
    step = SAMPLE_RATE // PEAKS_PER_SECOND
    count = -(-len(samples) // step)
    padded = np.zeros(count * step, dtype=np.int32)
    padded[: len(samples)] = np.abs(samples.astype(np.int32))
    peaks = padded.reshape(count, step).max(axis=1) / 32768.0
    return [round(float(p), 2) for p in np.minimum(peaks, 1.0)]


def audio_peaks(media: Path, use_cache: bool = True) -> list[float]:
    """The peaks of the first audio stream of ``media`` (cached under the fingerprint of the file).

    Raises:
        InputError: when the file is missing.
        FfmpegError: when ffmpeg cannot decode its audio.
    """
    cache = cache_root() / f"peaks-{file_fingerprint(media, f'peaks:{_VERSION}')}.json"
    known = read_cached(cache, "peaks") if use_cache else None
    if isinstance(known, list) and all(isinstance(p, int | float) for p in known):
        return [float(p) for p in known]
    peaks = compute_peaks(decode_audio(media))
    if use_cache:
        write_cached(cache, {"media": str(media), "peaks": peaks})
    return peaks
