"""The studio's waveform peaks: the loudest sample of every 10 ms, computed once per source and cached."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pipeline.core.filecache import cache_root, file_fingerprint
from pipeline.media.peaks import PEAKS_PER_SECOND, audio_peaks, compute_peaks


def test_each_peak_is_the_loudest_sample_of_its_10_ms() -> None:
    step = 16_000 // PEAKS_PER_SECOND
    samples = np.zeros(step * 3 + 5, dtype=np.int16)
    samples[step + 7] = -32768  # the loudest sample of the second window, negative
    samples[2 * step] = 16384
    samples[-1] = 3277  # a last, partial window counts too
    assert compute_peaks(samples) == [0.0, 1.0, 0.5, 0.1]


def test_the_peaks_of_a_source_are_computed_once(clip15: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path))
    first = audio_peaks(clip15)
    assert 1490 <= len(first) <= 1510 and max(first) > 0.1 and min(first) >= 0.0
    (entry,) = cache_root().glob("peaks-*.json")
    assert file_fingerprint(clip15, "peaks:1") in entry.name
    entry.write_text('{"media": "x", "peaks": [0.5, 0.25]}', encoding="utf-8")  # what a second call reads
    assert audio_peaks(clip15) == [0.5, 0.25]
    entry.write_text("{damaged", encoding="utf-8")
    assert audio_peaks(clip15) == first  # a damaged entry is computed again
