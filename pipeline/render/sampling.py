"""Which times a burned cut is checked at: cues (every one, or a bounded sample that always has the
shortest and the last, and spreads the rest over the span choosing the cheapest to decode) and the
widest gaps, all inside the video's own time span."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.render.framecursor import SEEK_BACK_MS

MAX_CUES = 10
MAX_GAPS = 3
MIN_GAP_FRAMES = 4
EDGE_MS = 300  # a keyframe sample this far inside its cue at least: a fade (\fad) has ended there
SEEK_MARGIN_MS = SEEK_BACK_MS[0] if SEEK_BACK_MS[0] is not None else math.inf
"""How far before a time the verification's decoder seeks (:class:`pipeline.render.framecursor.Cursor`):
it decodes from the latest keyframe at or before that, not from one at the time itself."""


@dataclass(frozen=True)
class Sample:
    """A time (ms on the ASS clock: from the source's first video frame) and whether a cue is meant to show."""

    ass_ms: int
    shown: bool


def pick_samples(
    cues: Sequence[tuple[int, int]],
    first_ms: float,
    end_ms: float,
    frame_ms: float,
    keyframes_ms: Sequence[int] = (),
    steady: bool = False,
) -> list[Sample]:
    """Times to check: in each chosen cue's visible part, and in the widest gaps.

    ``first_ms`` .. ``end_ms`` is the video's span on the ASS clock; nothing is sampled in its last
    frame or after it, so cues past the end are checked only where the picture still exists. A
    sample is a keyframe of the cut (``keyframes_ms``, a time at which the keyframe is shown) that
    lies in its span at least :data:`EDGE_MS` (and a frame) from both ends: a fade at a cue's start
    or end shows no opaque text, and the judge would find none. Without one it is the middle of the
    span; or, for a ``steady`` track (every cue shows one unchanging picture from its first frame to
    its last: no fade, no animation), :data:`EDGE_MS` into it, where decoding from the keyframe
    before costs least: a cue of 4 s without a keyframe, 1.7 s of picture less on each side.

    Past :data:`MAX_CUES` visible cues, the shortest and the last are checked, and the others are
    spread in ``MAX_CUES - 3`` runs (with the last, as many cues as evenly spaced before) that each
    give their cue cheapest to decode (:func:`decode_cost`). The gaps are the :data:`MAX_GAPS` widest
    whatever they cost: a stray mark would last longest there.
    """
    lo, hi = first_ms + frame_ms, end_ms - 1.5 * frame_ms
    keys = sorted(keyframes_ms)
    visible = sorted((s, e) for s, e in cues if min(e, hi) - max(s, lo) >= 2 * frame_ms)
    times = [_at(max(s, lo), min(e, hi), keys, frame_ms, steady) for s, e in visible]
    costs = [decode_cost(t, keys) for t in times]
    shown = [Sample(t, True) for t in sorted({times[i] for i in _chosen(visible, costs)})]
    return sorted(shown + _gaps(sorted(cues), lo, hi, frame_ms, keys, steady), key=lambda sample: sample.ass_ms)


def decode_cost(t_ms: int, keyframes_ms: Sequence[int]) -> float:
    """What decoding the cut's frame at ``t_ms`` costs when the decoder seeks to it: the ms of
    picture decoded from the latest keyframe at or before ``t_ms - SEEK_MARGIN_MS`` (``keyframes_ms``
    sorted; the cut starts with one at 0), where :class:`pipeline.render.framecursor.Cursor` lands.
    Without any keyframe known the cost is unknown: 0 for every time (the earliest cue is chosen)."""
    if not keyframes_ms:
        return 0
    i = bisect.bisect_right(keyframes_ms, t_ms - SEEK_MARGIN_MS)
    return t_ms - (keyframes_ms[i - 1] if i else 0)


def _at(start: float, end: float, keys: Sequence[int], frame_ms: float, steady: bool = False) -> int:
    """The first keyframe at least :data:`EDGE_MS` (and a frame) inside ``[start, end]``, else the
    middle (``steady``: that far inside, where there is room)."""
    edge = max(frame_ms, EDGE_MS)
    i = bisect.bisect_left(keys, start + edge)
    if i < len(keys) and keys[i] <= end - edge:
        return keys[i]
    if steady and start + edge <= end - edge:
        return round(start + edge)
    return round((start + end) / 2)


def _chosen(cues: list[tuple[int, int]], costs: list[float]) -> list[int]:
    """Which of ``cues`` (sorted) to check, by index: all of them up to :data:`MAX_CUES`; else the
    shortest, the last, and in each of ``MAX_CUES - 3`` consecutive runs of the others (of sizes
    differing by at most one) the one whose sample costs least to decode, the earliest on a tie."""
    if len(cues) <= MAX_CUES:
        return list(range(len(cues)))
    kept = {min(range(len(cues)), key=lambda i: cues[i][1] - cues[i][0]), len(cues) - 1}
    rest = [i for i in range(len(cues)) if i not in kept]
    n, runs = len(rest), MAX_CUES - 3
    buckets = [rest[j * n // runs : (j + 1) * n // runs] for j in range(runs)]
    return sorted(kept | {min(bucket, key=lambda i: (costs[i], i)) for bucket in buckets})


def _gaps(
    cues: list[tuple[int, int]], lo: float, hi: float, frame_ms: float, keys: Sequence[int], steady: bool
) -> list[Sample]:
    bounds = [(lo, lo), *cues, (hi, hi)]
    gaps = []
    for a, b in itertools.pairwise(bounds):
        start, end = max(a[1], lo), min(b[0], hi)
        if end - start >= MIN_GAP_FRAMES * frame_ms:
            gaps.append((end - start, start, end))
    widest = sorted(gaps, reverse=True)[:MAX_GAPS]
    return [Sample(_at(start, end, keys, frame_ms, steady), False) for _width, start, end in widest]


def history_times(cues: Sequence[tuple[int, int]], t_ms: float, first_ms: float, frame_ms: float) -> list[float]:
    """Earlier times libass must also render so that overlapping cues sit where they sat in the burn.

    libass fixes an event's place when it first appears, avoiding the events already on screen, so
    a cue that started while another was shown stays above it. For the group of overlapping cues
    around ``t_ms``, this is the first frame of each cue that started before ``t_ms``.
    """
    group: list[tuple[int, int]] = []
    reach = -1.0
    for s, e in sorted(cues):
        if s > t_ms:
            break
        if s >= reach:
            group = []  # a new run of overlapping cues begins
        group.append((s, e))
        reach = max(reach, e)
    if len(group) < 2:
        return []
    frames = [first_ms + math.ceil((s - first_ms) / frame_ms) * frame_ms for s, _e in group]
    return sorted({round(f, 3) for f in frames if f < t_ms})
