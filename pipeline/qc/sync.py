"""Align a subtitle track to a video's speech: global offset, frame-rate ratio, split edits.

Both sides become 10 ms windows labelled +1 (speech / cue shown) or -1, as in ffsubsync; a
mapping's score is the agreements minus the disagreements. For each frame-rate ratio (the usual
conversions, their inverses, a coarse grid and a golden-section refinement) every offset is scored at
once by FFT cross-correlation. Split edits are found as alass does: dynamic programming over the
cues, each cue taking its own offset around the global one, each change of offset paying a penalty.
The confidence is how much the F1 overlap of the aligned cues with the speech beats a blind guess
(the median F1 over offsets across the audio), so a track that matches nothing (music, noise taken
for speech, silence, another film) is refused rather than moved.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pipeline.core.cues import Cue, Track
from pipeline.core.timecode import snap_ms
from pipeline.media.vad import STEP_MS, Speech
from pipeline.qc.syncscore import confidence_of, cue_scores, onset_bonus, refine_onsets

FloatArray = npt.NDArray[np.float64]

NTSC_FILM = Fraction(24000, 1001)
RATIO_CANDIDATES: tuple[Fraction, ...] = (
    Fraction(1),
    Fraction(24) / NTSC_FILM,
    Fraction(25) / NTSC_FILM,
    Fraction(25, 24),
    NTSC_FILM / 24,
    NTSC_FILM / 25,
    Fraction(24, 25),
)
DEFAULT_MAX_OFFSET_MS = 60_000
DEFAULT_MAX_SPLIT_MS = 10_000
DEFAULT_SPLIT_PENALTY = 300.0  # in 10 ms windows of agreement: a split must win 3 s of it
MIN_CONFIDENCE = 0.5
_GRID = (0.95, 1.05, 0.005)  # the golden-section refinement covers ±0.4 % around the best
_REFINE_MARGIN = 20.0
_FREE_DRIFT_SHARE = 0.03


@dataclass(frozen=True)
class Piece:
    """From ``from_ms`` (source time) on, cues move by ``offset_ms`` after scaling."""

    from_ms: int
    offset_ms: int


@dataclass(frozen=True)
class SyncResult:
    """A mapping ``t -> ratio * t + offset`` piecewise, and how well it fits the speech."""

    ratio: float
    pieces: tuple[Piece, ...]
    confidence: float
    score: float
    decoy_confidence: float | None = None  # the best of the shuffled tracks (syncproof); None: not fitted
    min_confidence: float = MIN_CONFIDENCE
    refused: str = ""  # why syncproof.prove found no proof that the track belongs to the audio

    @property
    def offset_ms(self) -> int:
        """The offset of the first piece (the global offset when there is no split)."""
        return self.pieces[0].offset_ms

    @property
    def ok(self) -> bool:
        """Whether the result may be applied: confident enough, and not refused by syncproof.prove."""
        return self.confidence >= self.min_confidence and not self.refused

    def map_ms(self, ms: int, *, clamp: bool = True) -> int:
        """Where source time ``ms`` lands (not before 0 unless ``clamp`` is false)."""
        offset = self.pieces[0].offset_ms
        for piece in self.pieces:
            if ms >= piece.from_ms:
                offset = piece.offset_ms
        moved = round(self.ratio * ms) + offset
        return max(moved, 0) if clamp else moved


def _signal(spans: Sequence[tuple[int, int]], length: int, ratio: float = 1.0) -> FloatArray:
    """1 in the (scaled) spans, 0 elsewhere, over ``length`` windows."""
    out = np.zeros(length, dtype=np.float64)
    for start, end in spans:
        a = min(max(round(start * ratio / STEP_MS), 0), length)
        b = min(max(round(end * ratio / STEP_MS), 0), length)
        out[a:b] = 1.0
    return out


def _cue_spans(cues: Sequence[Cue]) -> list[tuple[int, int]]:
    return [(c.start_ms, c.end_ms) for c in cues]


_Spectra = dict[int, npt.NDArray[np.complex128]]


def _best_offset(
    speech: FloatArray, spans: Sequence[tuple[int, int]], ratio: float, max_lag: int, spectra: _Spectra | None = None
) -> tuple[int, float]:
    """The lag (windows) within ``max_lag`` with the highest agreement, and that agreement.

    ``spectra`` caches the speech's spectrum per FFT size across calls (one per ratio).
    """
    length = max(speech.size, math.ceil(max((e for _, e in spans), default=0) * ratio / STEP_MS) + 1)
    subs = _signal(spans, length, ratio)
    size = 1 << (speech.size + length).bit_length()
    cache = {} if spectra is None else spectra
    if size not in cache:
        cache[size] = np.fft.rfft(speech, size)
    corr = np.fft.irfft(cache[size] * np.conj(np.fft.rfft(subs, size)), size)
    # corr[k] = sum speech[t + k] * subs[t]: the cues moved k windows later; negative k wrap around.
    # Only lags where cues and audio still overlap; beyond them the circular correlation aliases.
    lags = np.arange(-min(max_lag, length - 1), min(max_lag, speech.size - 1) + 1)
    # Cue time moved off the audio (before its start, after its end) scores as time without speech,
    # as overlap_f1 counts it: else a shift by a minute that drops half the cues off the audio can
    # beat the right one on a noisy recording (measured: -55 s on make eval's English program).
    cum = np.concatenate(([0.0], np.cumsum(subs)))
    before = cum[np.clip(-lags, 0, length)]
    after = cum[length] - cum[np.clip(speech.size - lags, 0, length)]
    values = corr[lags % size] - before - after
    best = int(np.argmax(values))
    return int(lags[best]), float(values[best])


def _golden(fn: Callable[[float], float], lo: float, hi: float, steps: int = 20) -> float:
    """The argmax of ``fn`` on [lo, hi], assuming one peak (golden-section search)."""
    inv = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - inv * (b - a), a + inv * (b - a)
    fc, fd = fn(c), fn(d)
    for _ in range(steps):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - inv * (b - a)
            fc = fn(c)
        else:
            a, c, fc = c, d, fd
            d = a + inv * (b - a)
            fd = fn(d)
    return c if fc > fd else d


def find_ratio(speech: FloatArray, spans: Sequence[tuple[int, int]], max_lag: int) -> tuple[float, int, float]:
    """The best (ratio, lag in windows, score) over candidates, a coarse grid and a refinement.

    An exact candidate (24/23.976, ...) is kept unless the refinement beats it by more than
    ``_REFINE_MARGIN`` windows of agreement: its value is the true one when a conversion is the cause.
    """
    results: dict[float, tuple[int, float]] = {}
    spectra: _Spectra = {}

    def score(ratio: float) -> float:
        if ratio not in results:
            results[ratio] = _best_offset(speech, spans, ratio, max_lag, spectra)
        return results[ratio][1]

    for cand in RATIO_CANDIDATES:
        score(float(cand))
    for ratio in np.arange(*_GRID):
        score(round(float(ratio), 6))
    coarse = max(results, key=lambda r: results[r][1])
    refined = _golden(score, coarse * 0.996, coarse * 1.004)
    best_candidate = max((float(c) for c in RATIO_CANDIDATES), key=lambda r: results[r][1])
    if score(refined) <= results[best_candidate][1] + _REFINE_MARGIN:
        refined = best_candidate
    # A drift must be earned: it has to beat no scaling by 0.5 % of the cue windows, or by
    # ``_FREE_DRIFT_SHARE`` when it is no known conversion (cues that stay up after the speech
    # otherwise buy a 0.5 % "drift" on correctly timed tracks: measured on espeak-ng speech).
    if results[refined][1] <= results[1.0][1] + drift_margin(refined, spans):
        refined = 1.0
    return refined, results[refined][0], results[refined][1]


def drift_margin(ratio: float, spans: Sequence[tuple[int, int]]) -> float:
    """The agreement (windows) a ratio must win over no scaling by: 0.5 % of the cue windows for a known
    conversion, ``_FREE_DRIFT_SHARE`` for any other, and at least ``_REFINE_MARGIN``."""
    windows = sum(e - s for s, e in spans) / STEP_MS
    share = 0.005 if any(abs(ratio - float(c)) < 1e-6 for c in RATIO_CANDIDATES) else _FREE_DRIFT_SHARE
    return max(_REFINE_MARGIN, share * windows)


def split_offsets(
    speech: FloatArray, spans: Sequence[tuple[int, int]], max_split: int, penalty: float
) -> tuple[list[int], float]:
    """Per cue (already scaled and moved, in windows), the extra lag chosen by the split DP.

    Returns the lags and the total score, penalties deducted.
    """
    deltas = np.arange(-max_split, max_split + 1, dtype=np.int64)
    cumsum = np.concatenate(([0.0], np.cumsum(speech)))
    scores = cue_scores(cumsum, spans, 0, deltas) + onset_bonus(speech, spans, deltas)
    n = len(spans)
    size = deltas.size
    index = np.arange(size)
    best = scores[0].copy()
    back = np.zeros((n, size), dtype=np.int64)
    back[0] = index
    for i in range(1, n):
        # Cues keep their order: cue i may move earlier than cue i-1 only until it starts with it.
        gap = max(spans[i][0] - spans[i - 1][0], 0)
        running = np.maximum.accumulate(best)
        arg = np.maximum.accumulate(np.where(best == running, index, 0))
        reach = np.minimum(index + gap, size - 1)
        switch = running[reach] - penalty
        take_switch = switch > best
        back[i] = np.where(take_switch, arg[reach], index)
        best = np.where(take_switch, switch, best) + scores[i]
    choice = int(np.argmax(best))
    total = float(best[choice])
    out = [0] * n
    for i in range(n - 1, -1, -1):
        out[i] = int(deltas[choice])
        choice = int(back[i][choice])
    return out, total


def _pieces(cues: Sequence[Cue], lags: Sequence[int], ratio: float) -> tuple[Piece, ...]:
    pieces = [Piece(0, lags[0] * STEP_MS)]
    for i in range(1, len(cues)):
        if lags[i] != lags[i - 1]:
            boundary = (cues[i - 1].end_ms + cues[i].start_ms) // 2
            pieces.append(Piece(boundary, lags[i] * STEP_MS))
    return tuple(pieces)


def _fit(
    signal: FloatArray, spans: Sequence[tuple[int, int]], ratio: float, lag: int, max_split: int, penalty: float
) -> tuple[list[int], float]:
    moved = [(round(s * ratio / STEP_MS) + lag, round(e * ratio / STEP_MS) + lag) for s, e in spans]
    if max_split <= 0:
        deltas = np.zeros(1, dtype=np.int64)
        cumsum = np.concatenate(([0.0], np.cumsum(signal)))
        return [lag] * len(spans), float(cue_scores(cumsum, moved, 0, deltas).sum())
    extra, total = split_offsets(signal, moved, max_split, penalty)
    return [lag + x for x in extra], total


def synchronize(
    track: Track,
    speech: Speech,
    *,
    max_offset_ms: int = DEFAULT_MAX_OFFSET_MS,
    splits: bool = True,
    max_split_ms: int = DEFAULT_MAX_SPLIT_MS,
    split_penalty: float = DEFAULT_SPLIT_PENALTY,
) -> SyncResult:
    """Find the mapping of ``track``'s times onto ``speech``.

    The best ratio and the plain ratio 1 are each fitted with split edits; the higher total score
    (penalties deducted) wins, so a cut in the video is not mistaken for a frame-rate drift.
    """
    cues = list(track.cues)
    spans = _cue_spans(cues)
    signal = np.where(speech.flags, 1.0, -1.0)
    if not cues or signal.size == 0:
        return SyncResult(1.0, (Piece(0, 0),), 0.0, 0.0)
    max_lag = max_offset_ms // STEP_MS
    max_split = max_split_ms // STEP_MS if splits else 0
    ratio, lag, _ = find_ratio(signal, spans, max_lag)
    fits = [(ratio, *_fit(signal, spans, ratio, lag, max_split, split_penalty))]
    if ratio != 1.0:
        plain_lag, _ = _best_offset(signal, spans, 1.0, max_lag)
        fits.append((1.0, *_fit(signal, spans, 1.0, plain_lag, max_split, split_penalty)))
    # With split edits the plain ratio has as much freedom as the drift: the drift must still earn
    # its margin (make eval: a 3 s insertion in 33 s of Spanish fitted a 2 % drift plus a split,
    # 38 windows better, and left the cues up to 335 ms early).
    if len(fits) == 2 and fits[0][2] <= fits[1][2] + drift_margin(ratio, spans):
        fits = fits[1:]
    ratio, lags, score = max(fits, key=lambda f: f[2])
    lags = refine_onsets(
        signal,
        speech.spans,
        [round(s * ratio / STEP_MS) for s, _ in spans],
        [round(e * ratio / STEP_MS) for _, e in spans],
        lags,
    )
    pieces = _pieces(cues, lags, ratio)
    result = SyncResult(ratio, pieces, 0.0, score)
    aligned = [(result.map_ms(c.start_ms, clamp=False), result.map_ms(c.end_ms, clamp=False)) for c in cues]
    # A mapping that would move a cue (or most of one) before the audio starts collapses it: refuse.
    collapsed = any(min(e, speech.duration_ms) - max(s, 0) < (e - s) / 2 for s, e in aligned)
    return SyncResult(ratio, pieces, 0.0 if collapsed else confidence_of(speech.flags, aligned), score)


def apply(track: Track, result: SyncResult, fps: Fraction | None = None) -> Track:
    """``track`` with every cue moved by ``result``, snapped to the frame grid of ``fps`` when given.

    A cue that a split boundary cuts keeps its duration (scaled by the ratio).
    """
    cues = []
    for cue in track.cues:
        start = result.map_ms(cue.start_ms)
        whole = not any(cue.start_ms < p.from_ms <= cue.end_ms for p in result.pieces)
        end = result.map_ms(cue.end_ms) if whole else start + round(cue.duration_ms * result.ratio)
        if fps:
            start, end = snap_ms(start, fps), snap_ms(end, fps)
        cues.append(Cue(start, max(end, start + 1), cue.lines, cue.segment_id))
    return Track(track.lang, tuple(cues), fps or track.fps)
