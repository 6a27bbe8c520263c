"""Moving aligned boundaries onto the pauses of the speech, and the speech that no line covers.

Times here are 10 ms windows (the speech detector's).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.align.voicing import Levels, hissy, voiced
from pipeline.media.vad import STEP_MS, Speech

SNAP_WINDOWS = 40  # a boundary moves onto a pause at most 400 ms away...
FAR_WINDOWS = 100  # ... or onto a longer one at most 1 s away
MIN_GAP_MS = 1500  # speech no line covers, this long or longer, is a gap
EXTEND_WINDOWS = 30
EXTEND_DIP = 10  # windows: a voiced sound after a dip this short is still the line's
VOICING_WINDOWS = 3  # ... whose voicing starts within this many windows
ONSET_WINDOWS = 5  # a voiced sound after so many unvoiced windows is a new syllable...
EXTEND_MAX_WINDOWS = 60  # ... and may take the end this far in all
MIN_PAUSE = 50  # windows: shorter pauses do not end a passage of unscripted speech
EXTEND_ABOVE_DB = 8.0
EXTEND_BELOW_PEAK_DB = 32.0  # make eval: 29, 32 and 35 dB; none: clean p95 de 158, es 174 ms
_NONE = 1 << 62  # no pause
DIGITAL_SILENCE_DB = 3.0  # windows quieter than this (of 16-bit samples) are digital silence


@dataclass(frozen=True)
class Gap:
    """Speech that no script line covers (ms)."""

    start_ms: int
    end_ms: int


def _pauses(speech: Speech) -> list[tuple[int, int]]:
    """Each pause between two stretches of speech: (end of one, start of the next), in windows."""
    runs = [(a // STEP_MS, b // STEP_MS) for a, b in speech.spans]
    return [(runs[i][1], runs[i + 1][0]) for i in range(len(runs) - 1)]


def _claims(pauses: Sequence[tuple[int, int]], at: int, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """The pauses between ``lo`` and ``hi`` a boundary at ``at`` may move onto, as (index, claim,
    distance): within ``SNAP_WINDOWS`` a pause claims by its length (a click in a long pause splits it
    in two: the boundary belongs to the longer part, as a phrase's end usually comes before the
    longest pause near it); farther, up to ``FAR_WINDOWS``, by its length less the distance beyond
    ``SNAP_WINDOWS`` (a long pause a little beyond the reach beats a short one at hand)."""
    out = []
    for i, (off, on) in enumerate(pauses):
        d = 0 if off <= at <= on else min(abs(off - at), abs(on - at))
        claim = on - off - max(d - SNAP_WINDOWS, 0)
        if lo <= off and on <= hi and d <= FAR_WINDOWS and claim > 0:
            out.append((i, claim, d))
    return out


def _assign(claims: Sequence[Sequence[tuple[int, int, int]]]) -> list[int | None]:
    """A pause (index) or none for each boundary, in order and each pause to one boundary at most,
    with the largest sum of claims; between equal sums, the smallest sum of distances (two boundaries
    near one long pause: the nearer one gets it).

    Dynamic programming over "the last pause used": only the states that no other beats (a lower
    last pause and a score as high) are kept, sorted, and those below every later boundary's options
    are merged into their best; each pick is a back-pointer. Time n log n in the boundaries."""
    picks: list[tuple[int, int, int]] = []  # (boundary, pause, previous pick or -1)
    lasts, scores, heads = [-1], [(0, 0)], [-1]  # lasts rise, scores rise strictly
    floors = [min((i for i, _, _ in o), default=_NONE) for o in claims] + [_NONE]  # then the least ahead
    for k in range(len(claims) - 1, -1, -1):
        floors[k] = min(floors[k], floors[k + 1])
    for k, options in enumerate(claims):
        new = []
        for i, c, d in options:
            j = bisect.bisect_left(lasts, i) - 1  # the best state whose last pause is before i
            picks.append((k, i, heads[j]))
            new.append((i, (scores[j][0] + c, scores[j][1] - d), len(picks) - 1))
        for i, score, head in new:
            _keep(lasts, scores, heads, (i, score, head))
        cut = bisect.bisect_left(lasts, floors[k + 1]) - 1
        if cut > 0:
            del lasts[:cut], scores[:cut], heads[:cut]
    out: list[int | None] = [None] * len(claims)
    head = heads[-1]
    while head >= 0:
        k, i, head = picks[head]
        out[k] = i
    return out


def _keep(
    lasts: list[int], scores: list[tuple[int, int]], heads: list[int], state: tuple[int, tuple[int, int], int]
) -> None:
    """``state`` (last pause, score, back-pointer) into the sorted states no other beats (:func:`_assign`)."""
    last, score, head = state
    at = bisect.bisect_left(lasts, last)
    if (at > 0 and scores[at - 1] >= score) or (at < len(lasts) and lasts[at] == last and scores[at] >= score):
        return
    end = at
    while end < len(lasts) and scores[end] <= score:
        end += 1
    lasts[at:end], scores[at:end], heads[at:end] = [last], [score], [head]


def snap_to_pauses(mapped: Sequence[tuple[int, int]], speech: Speech) -> list[tuple[int, int]]:
    """Each line's (start, end) moved onto the pauses around it: the boundary between two lines goes
    to the pause that claims it most (:func:`_claims`; the earlier line ends where the speech stops,
    the next starts where it resumes); the first start and the last end go to the nearest onset and offset."""
    spans = [list(s) for s in mapped]
    pauses = _pauses(speech)
    onsets = [a // STEP_MS for a, _ in speech.spans]
    offsets = [b // STEP_MS for _, b in speech.spans]
    claims = []
    for k in range(1, len(spans)):
        at = (mapped[k - 1][1] + mapped[k][0]) // 2
        hi = mapped[k][1] - 1 if k + 1 == len(mapped) else mapped[k + 1][0] - 1
        claims.append(_claims(pauses, at, mapped[k - 1][0] + 1, hi))
    for k, pick in enumerate(_assign(claims), start=1):
        if pick is not None:
            spans[k - 1][1], spans[k][0] = pauses[pick]
    if spans and onsets:
        near = min(onsets, key=lambda o: abs(o - spans[0][0]))
        if abs(near - spans[0][0]) <= SNAP_WINDOWS and near < spans[0][1]:
            spans[0][0] = near
        near = min(offsets, key=lambda o: abs(o - spans[-1][1]))
        if abs(near - spans[-1][1]) <= SNAP_WINDOWS and near > spans[-1][0]:
            spans[-1][1] = near
    return [(a, max(a, b)) for a, b in spans]


def extend_ends(
    spans: Sequence[tuple[int, int]],
    levels: npt.NDArray[np.float32],
    *,
    above_db: float = EXTEND_ABOVE_DB,
    bands: Levels | None = None,
) -> list[tuple[int, int]]:
    """Each line's end carried on through the decay of its last sound: while the level stays
    ``above_db`` over the floor around it (its 10th percentile over 3 s on each side, digital
    silence left out: by it, room tone took ends on by the whole 300 ms) and no more than
    ``EXTEND_BELOW_PEAK_DB`` under the line's own peaks (its 90th percentile: a breath after the
    phrase is not its decay), by at most ``EXTEND_WINDOWS``, never into the next line. The speech
    detector lets a phrase go 60-80 ms before the published ends (make eval), 200 ms under a hiss.

    With ``bands`` (:func:`pipeline.align.voicing.band_levels`), what is voiced like the line
    (:func:`pipeline.align.voicing.voiced`) is more of it, up to the next line's start:

    - the decay goes on over a dip of up to ``EXTEND_DIP`` windows when what comes back is voiced
      (make eval, clean p95 es 116 -> 30 ms, median fr 32 -> 27 ms; a breath or a thump is not
      taken) and dies out within the reach (``EXTEND_WINDOWS`` from the line's end: a chord, a music
      sting or another voice that goes on is not the line's decay, after the last line as after any
      other);
    - a voiced sound right after ``ONSET_WINDOWS`` loud unvoiced windows, most with more over 3.4 kHz
      than under 1 kHz (a fricative, not silence: the speech detector hears no fricative) is a new
      syllable, and the end may go on ``EXTEND_WINDOWS`` from its onset, up to ``EXTEND_MAX_WINDOWS``
      from the line's end (clean fr 123 -> 89 ms).
    """
    out = [list(s) for s in spans]
    for k, (a, b) in enumerate(spans):
        around = levels[max(a - 300, 0) : b + 300]
        around = around[around > DIGITAL_SILENCE_DB]  # an edit's digital silence is no floor
        floor = float(np.percentile(around, 10)) if around.size else 0.0
        last = min(b + EXTEND_MAX_WINDOWS, levels.size, spans[k + 1][0] if k + 1 < len(spans) else levels.size)
        peak = float(np.percentile(levels[a:b], 90)) if b > a else 0.0
        least = max(floor + above_db, peak - EXTEND_BELOW_PEAK_DB)
        tail = levels[b:last]
        sound = None
        if bands is not None and b > a:
            voice = voiced(bands, (a, b), b, last)
            sound = _Tail(voice, hissy(bands, b, last))
        out[k][1] = _end_of_decay(tail > least, sound, min(EXTEND_WINDOWS, last - b)) + b
    return [(a, b) for a, b in out]


@dataclass(frozen=True)
class _Tail:
    """What follows a line's end, per window: voiced like it, hissing as a fricative."""

    voice: npt.NDArray[np.bool_]
    hiss: npt.NDArray[np.bool_]


def _end_of_decay(loud: npt.NDArray[np.bool_], tail: _Tail | None, limit: int) -> int:
    """How many windows of ``loud`` (over the level a decay must keep, from a line's end on) the end
    goes on through (:func:`extend_ends`), at first at most ``limit``; ``tail``: the voicing rules'."""
    end = 0
    while end < limit:
        if loud[end]:
            before = slice(end - ONSET_WINDOWS, end)
            onset = (
                tail is not None
                and end >= ONSET_WINDOWS
                and tail.voice[end]
                and not tail.voice[before].any()
                and bool(loud[before].all() and 2 * np.count_nonzero(tail.hiss[before]) > ONSET_WINDOWS)
            )
            limit = max(limit, min(end + EXTEND_WINDOWS, loud.size)) if onset else limit
            end += 1
            continue
        back = np.flatnonzero(loud[end : min(end + EXTEND_DIP + 1, limit)])
        if tail is None or back.size == 0 or not _comes_back(loud, tail, end + int(back[0]), limit):
            break
        end += int(back[0])
    return end


def _comes_back(loud: npt.NDArray[np.bool_], tail: _Tail, at: int, limit: int) -> bool:
    """Whether the sound at ``at``, after a dip, is the line's last sound coming back: voiced within
    ``VOICING_WINDOWS`` (a stop's release comes before its vowel) and over before ``limit``
    (:func:`extend_ends`)."""
    voiced = tail.voice[at : at + VOICING_WINDOWS].any()
    return bool(voiced and not loud[at : limit + 1].all())


def held_runs(path: npt.NDArray[np.int64], min_windows: int = MIN_GAP_MS // STEP_MS) -> list[tuple[int, int]]:
    """Where the warping path holds one synthetic frame over at least ``min_windows`` windows of the
    audio's speech, as (first, last + 1) windows: speech that no line says, which the warping could
    only absorb there (make eval: a line left out of the script gave 1.8 and 2.8 s; a full script
    at most 0.6 s)."""
    out = []
    start = 0
    for t in range(1, len(path) + 1):
        if t == len(path) or path[t, 1] != path[start, 1]:
            if t - start >= min_windows:
                out.append((int(path[start, 0]), int(path[t - 1, 0]) + 1))
            start = t
    return out


def cut_out(spans: Sequence[tuple[int, int]], runs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each line's span less the held runs inside it (the line keeps the larger side)."""
    out = []
    for s, e in spans:
        for a, b in runs:
            if a < e and b > s:
                if a - s >= e - b:
                    e = max(a, s)
                else:
                    s = min(b, e)
        out.append((s, e))
    return out


def unscripted_gaps(spans: Sequence[tuple[int, int]], speech: Speech) -> list[Gap]:
    """Stretches of speech at least ``MIN_GAP_MS`` long that no line's span covers (nor a short
    pause of ``MIN_PAUSE`` windows or less splits)."""
    covered = speech.flags.copy()
    for before, after in itertools.pairwise(speech.spans):
        if (after[0] - before[1]) // STEP_MS <= MIN_PAUSE:
            covered[before[1] // STEP_MS : after[0] // STEP_MS] = True
    for a, b in spans:
        covered[a:b] = False
    out, start = [], None
    for i, v in enumerate([*covered.tolist(), False]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            if (i - start) * STEP_MS >= MIN_GAP_MS:
                out.append(Gap(start * STEP_MS, i * STEP_MS))
            start = None
    return out
