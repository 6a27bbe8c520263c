"""Which times a burned cut is checked at: cues (every one, or a bounded sample that always has the
shortest and the last) and the widest gaps, all inside the video's own time span."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_CUES = 10
MAX_GAPS = 3
MIN_GAP_FRAMES = 4


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
) -> list[Sample]:
    """Times to check: in each chosen cue's visible part, and in the widest gaps.

    ``first_ms`` .. ``end_ms`` is the video's span on the ASS clock; nothing is sampled in its last
    frame or after it, so cues past the end are checked only where the picture still exists. A
    sample is the middle of its span, or a keyframe of the cut (``keyframes_ms``, a time at which
    the keyframe is shown) that lies in it a frame away from both ends: that frame decodes alone,
    the middle after every frame before it since the keyframe.
    """
    lo, hi = first_ms + frame_ms, end_ms - 1.5 * frame_ms
    keys = sorted(keyframes_ms)
    visible = sorted((s, e) for s, e in cues if min(e, hi) - max(s, lo) >= 2 * frame_ms)
    shown = [Sample(_at(max(s, lo), min(e, hi), keys, frame_ms), True) for s, e in _chosen(visible)]
    return sorted(shown + _gaps(sorted(cues), lo, hi, frame_ms, keys), key=lambda sample: sample.ass_ms)


def _at(start: float, end: float, keys: Sequence[int], frame_ms: float) -> int:
    """The first keyframe a frame inside ``[start, end]``, else the middle."""
    i = bisect.bisect_left(keys, start + frame_ms)
    if i < len(keys) and keys[i] <= end - frame_ms:
        return keys[i]
    return round((start + end) / 2)


def _chosen(cues: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if len(cues) <= MAX_CUES:
        return cues
    shortest = min(cues, key=lambda c: c[1] - c[0])
    step = (len(cues) - 1) / (MAX_CUES - 3)
    spread = [cues[round(i * step)] for i in range(MAX_CUES - 2)]
    return sorted(set([shortest, cues[-1], *spread]))


def _gaps(cues: list[tuple[int, int]], lo: float, hi: float, frame_ms: float, keys: Sequence[int]) -> list[Sample]:
    bounds = [(lo, lo), *cues, (hi, hi)]
    gaps = []
    for a, b in itertools.pairwise(bounds):
        start, end = max(a[1], lo), min(b[0], hi)
        if end - start >= MIN_GAP_FRAMES * frame_ms:
            gaps.append((end - start, start, end))
    widest = sorted(gaps, reverse=True)[:MAX_GAPS]
    return [Sample(_at(start, end, keys, frame_ms), False) for _width, start, end in widest]


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
