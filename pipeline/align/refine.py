"""Boundaries checked against the length each line's synthetic voice predicts: the short sounds
set apart before a line (:func:`trim_islands`), and the pause a boundary belongs in (:func:`fit_to_pauses`).

The warping maps a line over whatever speech-like sound precedes or follows it when nothing else
claims it: a breath, a click or a music beat a second before the first words. Such a sound is a
short stretch of "speech" set apart by a pause, and the line is longer with it than its synthetic
voice (at the audio's own speaking rate) says it should be. Only starts: ends trimmed the same way
lost real last words (make eval: Spanish under hiss, p95 141 -> 268 ms); ends follow the decay
instead (:func:`pipeline.align.gaps.extend_ends`). Times here are 10 ms windows (the speech
detector's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.media.vad import STEP_MS, Speech

ISLAND_MS = 350  # a stretch of speech at most this long...
ISLAND_PAUSE_MS = 250  # ...and at least this far from the rest of its line may be left out of it
# make eval: reach 1.5 s, pauses of 0.5 s, 0.5 s closer (reach 2.5 s, pauses of 0.3 s, 1 s closer: worse)
FIT_REACH = 150  # windows
FIT_PAUSE = 50  # windows
FIT_MARGIN = 50  # windows


def speaking_rate(spans: Sequence[tuple[int, int]], synthetic: Sequence[int]) -> float:
    """The audio's length per synthetic frame: the median over the lines (a line the warping
    stretched or squeezed does not move it)."""
    ratios = [(b - a) / n for (a, b), n in zip(spans, synthetic, strict=True) if n > 0 and b > a]
    return float(np.median(ratios)) if ratios else 1.0


def _inside(speech: Speech, a: int, b: int) -> list[tuple[int, int]]:
    """The stretches of speech within windows ``a``..``b``, clipped to them."""
    runs = [(max(s // STEP_MS, a), min(e // STEP_MS, b)) for s, e in speech.spans]
    return [(s, e) for s, e in runs if e > s]


def _island(run: tuple[int, int], gap: int) -> bool:
    return (run[1] - run[0]) * STEP_MS <= ISLAND_MS and gap * STEP_MS >= ISLAND_PAUSE_MS


def trim_islands(spans: Sequence[tuple[int, int]], speech: Speech, synthetic: Sequence[int]) -> list[tuple[int, int]]:
    """Each line's span less the short stretches of speech set apart at its start, while
    leaving them out brings the line closer to its expected length (``synthetic`` frames at the
    audio's speaking rate)."""
    rate = speaking_rate(spans, synthetic)
    out = []
    for (a, b), n in zip(spans, synthetic, strict=True):
        expected = n * rate
        runs = _inside(speech, a, b)
        while len(runs) >= 2 and _island(runs[0], runs[1][0] - runs[0][1]):
            if abs(b - runs[1][0] - expected) >= abs(b - a - expected):
                break
            a = runs[1][0]
            runs = runs[1:]
        out.append((a, b))
    return out


def _misfit(spans: Sequence[tuple[int, int]], k: int, off: int, on: int, expected: Sequence[float]) -> float:
    """How far lines ``k - 1`` and ``k`` are from their expected lengths with their boundary on ``off``..``on``."""
    return abs(off - spans[k - 1][0] - expected[k - 1]) + abs(spans[k][1] - on - expected[k])


def fit_to_pauses(spans: Sequence[tuple[int, int]], speech: Speech, synthetic: Sequence[int]) -> list[tuple[int, int]]:
    """Each boundary between two lines moved onto a longer pause up to ``FIT_REACH`` away when the
    two lines' lengths then come at least ``FIT_MARGIN`` closer to what their synthetic voices predict
    (at the audio's speaking rate): two lines that begin alike ("alright ...") can swap a phrase
    across a pause 0.4-1.5 s from where the warping put their boundary."""
    rate = speaking_rate(spans, synthetic)
    expected = [n * rate for n in synthetic]
    runs = [(a // STEP_MS, b // STEP_MS) for a, b in speech.spans]
    pauses = [(runs[i][1], runs[i + 1][0]) for i in range(len(runs) - 1) if runs[i + 1][0] - runs[i][1] >= FIT_PAUSE]
    out: list[tuple[int, int]] = [(a, b) for a, b in spans]
    for k in range(1, len(out)):
        end, start = out[k - 1][1], out[k][0]
        now = _misfit(out, k, end, start, expected)
        best = None
        for off, on in pauses:
            if off <= out[k - 1][0] or on >= out[k][1] or min(abs(off - end), abs(on - start)) > FIT_REACH:
                continue
            score = _misfit(out, k, off, on, expected)
            if score < now - FIT_MARGIN and (best is None or score < best[0]):
                best = (score, off, on)
        if best is not None:
            out[k - 1] = (out[k - 1][0], best[1])
            out[k] = (best[2], out[k][1])
    return [(a, b) for a, b in out]


def without_overlaps(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans (in order) with each end clamped to the next span's start; a span left empty keeps
    one window, the next one starting after it (the steps before may leave a boundary on both sides
    of a pause's edge: make eval, Mandarin under hiss, 10 ms)."""
    out = [list(s) for s in spans]
    for k in range(len(out) - 1):
        here, after = out[k], out[k + 1]
        here[1] = max(min(here[1], after[0]), here[0] + 1)
        after[0] = max(after[0], here[1])
        after[1] = max(after[1], after[0] + 1)
    return [(a, b) for a, b in out]
