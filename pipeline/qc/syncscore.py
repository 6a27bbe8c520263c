"""Scoring an alignment: each cue's agreement at each offset, onset refinement of the offsets, and the confidence.

Cues usually stay up after the speech ends, so the span score is flat over shifts earlier by up to
that extension (a cue moved earlier loses silence at its end and gains as much before its start);
the in-time must then come from the speech onsets: among the offsets within a small margin of the
best span score, the one that puts most cue starts on an onset wins.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pipeline.media.vad import STEP_MS

FloatArray = npt.NDArray[np.float64]
REFINE_WINDOWS = 50
ONSET_WINDOWS = 5
MARGIN_WINDOWS = 2.0  # per cue: the span agreement an offset may give up to put more cue starts on onsets
WIDE_MARGIN_WINDOWS = 20.0  # ... when most cue starts agree on one move (make eval: 10 was too few for 7 cues)
MIN_SPEECH_MS = 1000  # less speech than this in a whole file: nothing to align to
ONSET_BONUS = 60.0  # windows of agreement (make eval and tests/test_sync_real: 60 over 150 ms; 30 left one cue)
_LEAD = 15


def refine_onsets(
    signal: FloatArray,
    spans: Sequence[tuple[int, int]],
    starts: Sequence[int],
    ends: Sequence[int],
    lags: Sequence[int],
) -> list[int]:
    """Per run of equal lags (a piece), move the lag by up to ±0.5 s onto the speech onsets.

    ``starts``/``ends`` are the cues' scaled windows, ``lags`` their chosen lags (windows);
    ``spans`` the speech spans in ms.
    """
    onsets = np.array(sorted(a // STEP_MS for a, _ in spans), dtype=np.int64)
    if onsets.size == 0:
        return list(lags)
    cumsum = np.concatenate(([0.0], np.cumsum(signal)))
    deltas = np.arange(-REFINE_WINDOWS, REFINE_WINDOWS + 1, dtype=np.int64)
    out = list(lags)
    i = 0
    while i < len(lags):
        j = i
        while j < len(lags) and lags[j] == lags[i]:
            j += 1
        shift = _best_delta(cumsum, onsets, starts[i:j], ends[i:j], lags[i], deltas)
        out[i:j] = [lags[i] + shift] * (j - i)
        i = j
    return out


def _best_delta(
    cumsum: FloatArray,
    onsets: npt.NDArray[np.int64],
    starts: Sequence[int],
    ends: Sequence[int],
    lag: int,
    deltas: npt.NDArray[np.int64],
) -> int:
    first = np.asarray(starts, dtype=np.int64)[:, None] + lag + deltas[None, :]
    last = np.asarray(ends, dtype=np.int64)[:, None] + lag + deltas[None, :]
    top = cumsum.size - 1
    span = (cumsum[np.clip(last, 0, top)] - cumsum[np.clip(first, 0, top)]).sum(axis=0)
    at = np.clip(np.searchsorted(onsets, first), 1, max(onsets.size - 1, 1))
    near = np.minimum(np.abs(first - onsets[at - 1]), np.abs(first - onsets[np.minimum(at, onsets.size - 1)]))
    onset = np.clip(1 - near / ONSET_WINDOWS, 0, None).sum(axis=0)
    ok = span >= span.max() - MARGIN_WINDOWS * len(starts)
    best = int(np.argmax(np.where(ok, onset * 1000 + span, -np.inf)))
    # When most cue starts agree on one move onto their nearest onsets, that move wins, even where
    # it gives up more span (up to ``WIDE_MARGIN_WINDOWS`` a cue): cues cut at the short pauses of real
    # speech gain the end of the phrase before them when moved early, so the span prefers 250 ms early.
    home = first[:, deltas.size // 2]
    ahead = onsets[np.minimum(at[:, deltas.size // 2], onsets.size - 1)] - home
    behind = onsets[at[:, deltas.size // 2] - 1] - home
    moves = np.where(np.abs(ahead) < np.abs(behind), ahead, behind)
    moves = moves[np.abs(moves) <= deltas[-1]]
    if moves.size:
        target = int(np.median(moves))
        agree = int(np.count_nonzero(np.abs(moves - target) <= ONSET_WINDOWS))
        wide = span >= span.max() - WIDE_MARGIN_WINDOWS * len(starts)
        if agree >= max(2, -(-len(starts) // 2)) and wide[target + deltas.size // 2]:
            best = target + deltas.size // 2
    return int(deltas[best])


def overlap_f1(speech: npt.NDArray[np.bool_], spans: Sequence[tuple[int, int]]) -> float:
    """F1 of the windows covered by ``spans`` against the speech windows (1 is a perfect match).

    Cue time that falls outside the audio (before 0 or after its end) counts as covered but never
    as speech: a mapping that pushes cues off the audio, or squeezes them onto a blip at its start,
    loses their length instead of hiding it.
    """
    covered = np.zeros(speech.size, dtype=np.bool_)
    outside = 0
    for start, end in spans:
        a, b = start // STEP_MS, end // STEP_MS
        outside += max(min(b, 0) - a, 0) + max(b - max(a, speech.size), 0)
        covered[min(max(a, 0), speech.size) : min(max(b, 0), speech.size)] = True
    both = int(np.count_nonzero(covered & speech))
    total = int(np.count_nonzero(covered)) + outside + int(np.count_nonzero(speech))
    return 2 * both / total if total else 0.0


def chance_f1(speech: npt.NDArray[np.bool_], spans: Sequence[tuple[int, int]]) -> float:
    """The median F1 of ``spans`` rotated (circularly) to offsets across the audio: a blind guess."""
    size = speech.size
    cumsum = np.concatenate(([0], np.cumsum(np.concatenate((speech, speech)), dtype=np.int64)))
    starts = np.array([s // STEP_MS for s, _ in spans], dtype=np.int64)
    lengths = np.clip(np.array([e // STEP_MS for _, e in spans], dtype=np.int64) - starts, 0, size)
    total = int(lengths.sum()) + int(cumsum[size])
    if total == 0:
        return 0.0
    values = []
    for lag in range(0, size, max(size // 40, 1)):
        a = (starts + lag) % size
        values.append(2 * int((cumsum[a + lengths] - cumsum[a]).sum()) / total)
    return float(np.median(values))


def confidence_of(speech: npt.NDArray[np.bool_], aligned: Sequence[tuple[int, int]]) -> float:
    """How much better than a blind guess the alignment fits: (F1 - chance) / (1 - chance), in 0-1.

    Speech everywhere (noise the VAD takes for speech) or nowhere gives 0, however well cues "fit";
    so does audio with less than ``MIN_SPEECH_MS`` of speech in all (a tone's click at its start).
    """
    if int(np.count_nonzero(speech)) * STEP_MS < MIN_SPEECH_MS:
        return 0.0
    f1 = overlap_f1(speech, aligned)
    chance = chance_f1(speech, aligned)
    return round(max(f1 - chance, 0.0) / (1 - chance), 3) if chance < 1 else 0.0


def cue_scores(
    cumsum: FloatArray, spans: Sequence[tuple[int, int]], base: int, deltas: npt.NDArray[np.int64]
) -> FloatArray:
    """Agreement of each cue (rows) moved by each delta (columns), in windows."""
    starts = np.array([s for s, _ in spans], dtype=np.int64)[:, None] + base + deltas[None, :]
    ends = np.array([e for _, e in spans], dtype=np.int64)[:, None] + base + deltas[None, :]
    last = cumsum.size - 1
    # Windows moved off the audio count as no speech (else a cue pushed before the start costs nothing).
    outside = np.maximum(np.minimum(ends, 0) - starts, 0) + np.maximum(ends - np.maximum(starts, last), 0)
    out: FloatArray = cumsum[np.clip(ends, 0, last)] - cumsum[np.clip(starts, 0, last)] - outside
    return out


def onset_bonus(speech: FloatArray, spans: Sequence[tuple[int, int]], deltas: npt.NDArray[np.int64]) -> FloatArray:
    """Per cue and delta, up to ``ONSET_BONUS`` windows for the share of the ``_LEAD`` windows before the
    moved cue's start that have no speech: a cue starts where speech starts, not inside a phrase.
    Across a cut, the cue before it lands on speech at either offset, and only this tells its side."""
    cumsum = np.concatenate(([0.0], np.cumsum(speech > 0)))
    first = np.array([s for s, _ in spans], dtype=np.int64)[:, None] + deltas[None, :]
    last = cumsum.size - 1
    voiced = cumsum[np.clip(first, 0, last)] - cumsum[np.clip(first - _LEAD, 0, last)]
    out: FloatArray = ONSET_BONUS * (1 - voiced / _LEAD)
    return out
