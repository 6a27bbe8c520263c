"""The alignment's rules one by one, each on a synthetic case that fails when the rule is turned off:
the pause claims and their assignment, the voicing rules of the line ends, the kept pauses."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from pipeline.align.gaps import EXTEND_MAX_WINDOWS, EXTEND_WINDOWS, _assign, extend_ends, snap_to_pauses
from pipeline.align.voicing import band_levels
from pipeline.media.vad import Speech, spans_of, speech_flags

RATE = 16_000
_T = np.arange(RATE) / RATE
VOICE = np.sin(2 * np.pi * 150 * np.arange(1, 20)[:, None] * _T).T @ (1 / np.arange(1, 20))  # 150 Hz, harmonics
Floats = npt.NDArray[np.float64]


def _heard(n: int, *runs: tuple[int, int]) -> Speech:
    flags = np.zeros(n, dtype=bool)
    for a, b in runs:
        flags[a:b] = True
    return Speech(flags, spans_of(flags))


def _ends(tail: Floats, at: int = 32_000, *, room: float = 30) -> tuple[int, int]:
    """The end of a line at windows 100-200 (a steady voice over room tone) with ``tail`` added from
    sample ``at`` on (32 000: right at its end): without and with the voicing rules."""
    rng = np.random.default_rng(7)
    audio = rng.normal(0, room, 56_000)
    audio[16_000:32_000] += 6000 * VOICE
    audio[at : at + tail.size] += tail
    samples = audio.astype(np.int16)
    frames = samples[: samples.size // 160 * 160].astype(np.float32).reshape(-1, 160)
    levels = (10 * np.log10((frames**2).mean(axis=1) + 1)).astype(np.float32)
    plain = extend_ends([(100, 200)], levels)[0][1]
    return plain, extend_ends([(100, 200)], levels, bands=band_levels(samples))[0][1]


def _hiss(ms: int, seed: int = 1) -> Floats:
    return np.random.default_rng(seed).normal(0, 1500, ms * 16)


def _pink(ms: int, seed: int = 4) -> Floats:
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(0, 1, ms * 16))
    spectrum[1:] /= np.sqrt(np.fft.rfftfreq(ms * 16, 1 / RATE)[1:])
    spectrum[0] = 0
    out: Floats = np.fft.irfft(spectrum, ms * 16)
    out *= 1500 / float(out.std())
    return out


def _vowel(ms: int, amplitude: float = 1500) -> Floats:
    out: Floats = amplitude * VOICE[: ms * 16]
    return out


def test_a_long_pause_beyond_the_reach_pays_for_its_distance() -> None:
    # a 200 ms pause at the boundary (410), a 450 ms one 700 ms on (300 ms beyond the reach): 45 - 30 < 20
    heard = _heard(1200, (0, 400), (420, 480), (525, 1200))
    assert snap_to_pauses([(0, 400), (420, 1200)], heard) == [(0, 400), (420, 1200)]
    # 550 ms long, it claims more (55 - 30 > 20): the boundary goes there
    heard = _heard(1200, (0, 400), (420, 480), (535, 1200))
    assert snap_to_pauses([(0, 400), (420, 1200)], heard) == [(0, 480), (535, 1200)]


def test_of_two_boundaries_near_one_pause_the_nearer_takes_it() -> None:
    # the pause 300-380: the first boundary (290) is 100 ms from it, the second (415) 350 ms
    heard = _heard(800, (0, 300), (380, 800))
    assert snap_to_pauses([(0, 285), (295, 410), (420, 800)], heard) == [(0, 300), (380, 410), (420, 800)]
    # the second boundary (385) 50 ms from it, the first (265) 350 ms
    assert snap_to_pauses([(0, 260), (270, 380), (390, 800)], heard) == [(0, 260), (270, 300), (380, 800)]


def test_the_assignment_of_pauses_takes_n_log_n_time() -> None:
    rng = np.random.default_rng(1)
    claims = [[(2 * k + j, int(rng.integers(1, 80)), int(rng.integers(0, 100))) for j in range(3)] for k in range(5000)]
    start = time.perf_counter()
    picks = _assign(claims)
    assert time.perf_counter() - start < 1.0  # cubic: hours
    used = [p for p in picks if p is not None]
    assert used == sorted(set(used)) and len(used) > 2500


def test_a_weak_last_syllable_after_a_short_dip_is_taken_but_not_after_a_long_one() -> None:
    plain, voiced = _ends(_vowel(50, 600), at=33_500)  # 90 ms after the end
    assert plain < 205 and 210 <= voiced <= 215
    _, voiced = _ends(_vowel(50, 600), at=34_400)  # 150 ms: over EXTEND_DIP, a new phrase
    assert voiced < 205


def test_a_sound_that_goes_on_after_the_dip_is_not_the_line_s_decay() -> None:
    chord = 2000 * (np.sin(2 * np.pi * 220 * _T) + np.sin(2 * np.pi * 277 * _T) + np.sin(2 * np.pi * 330 * _T))
    for at in (32_500, 33_000, 33_600):  # 30-100 ms after the last line's end
        assert _ends(chord, at=at)[1] < 205
        assert _ends(_vowel(750), at=at)[1] < 205  # another voice


def test_a_thump_after_the_line_is_not_its_decay() -> None:
    # 60 Hz, and a trace in the voice's band (tilted as a vowel is, but 40 dB under it), in a quiet room
    boom = 2000 * np.sin(2 * np.pi * 60 * _T[:800]) + 20 * np.sin(2 * np.pi * 400 * _T[:800])
    assert _ends(boom * np.hanning(800), at=33_500, room=2)[1] < 205


def test_a_new_syllable_after_a_fricative_carries_the_end_but_not_beyond_the_cap() -> None:
    # French "quarante six": [s] 150 ms, [i] 50 ms, [s] 200 ms
    plain, voiced = _ends(np.concatenate((_hiss(150), _vowel(50), _hiss(200, 2))))
    assert plain <= 200 + EXTEND_WINDOWS and 238 <= voiced <= 242
    # two such syllables and a long hiss: no further than EXTEND_MAX_WINDOWS in all
    six = np.concatenate((_hiss(150), _vowel(50), _hiss(200, 2), _vowel(50), _hiss(500, 3)))
    assert _ends(six)[1] == 200 + EXTEND_MAX_WINDOWS
    # a syllable after a silent dip of 70 ms is taken (a short dip), but as no new syllable: the
    # voice that starts 40 ms after it and goes on 200 ms is not the line's (it ended at 213)
    ramp = np.concatenate((np.linspace(0, 1, 480), np.ones(480)))
    tail = np.concatenate((np.zeros(1120), ramp * _vowel(60), np.zeros(640), _vowel(200)))
    assert _ends(tail)[1] <= 215
    # nor after as loud a rumble with less over 3.4 kHz than under 1 kHz (pink noise): no fricative
    assert _ends(np.concatenate((_pink(150), _vowel(50), _pink(200, 5))))[1] <= 200 + EXTEND_WINDOWS
    # the same vowel after 150 ms of silence is no new syllable (nor a short dip)
    assert _ends(np.concatenate((np.zeros(2400), _vowel(50), _hiss(200, 2))))[1] < 205
    # nor after a fricative of 20 ms only
    assert _ends(np.concatenate((_hiss(20), np.zeros(1600), _vowel(50), _hiss(200, 2))))[1] <= 202


def test_a_kept_pause_stays_a_pause_for_the_aligner() -> None:
    from pipeline.align.aligner import KEEP_PAUSE_MS

    samples = _michael()[29 * RATE : 35 * RATE]
    # a 310 ms pause that the level and growth tests fill, WebRTC VAD and the occupancy gate keep
    assert not any(a == 2590 for a, _ in _gaps(speech_flags(samples)))
    assert (2590, 2900) in _gaps(speech_flags(samples, keep_pause_ms=KEEP_PAUSE_MS))


def test_a_pause_at_the_edge_of_the_audio_is_not_kept() -> None:
    from pipeline.media.speechgate import kept_pauses

    strict = np.zeros(100, dtype=bool)
    strict[40:60] = True  # pauses of 400 ms before and after the only strict run
    lenient = np.ones(100, dtype=bool)
    assert np.array_equal(kept_pauses(lenient, strict, 25), lenient)


def test_audio_under_one_window_has_no_speech() -> None:
    from pipeline.align.aligner import NoSpeechError, align_samples

    for size in (0, 70, 159):
        speech = speech_flags(np.zeros(size, dtype=np.int16))
        assert speech.flags.size == 0 and speech.spans == ()
    with pytest.raises(NoSpeechError, match="no speech found"):
        align_samples(np.ones(80, dtype=np.int16), ["Hello."], "en")


def _gaps(speech: Speech) -> list[tuple[int, int]]:
    return [(a[1], b[0]) for a, b in zip(speech.spans, speech.spans[1:], strict=False)]


def _michael() -> npt.NDArray[np.int16]:
    from pipeline.media.vad import decode_audio

    return decode_audio(Path(__file__).resolve().parent / "data" / "speech" / "real" / "michael.opus")
