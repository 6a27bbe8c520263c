"""Build a track per language from segments: split, wrap, time, snap to the frame grid.

Each language splits its own text; segment boundaries are shared by all languages. A segment too
long for one cue (in characters, or longer than the maximum duration) is cut between speakers
(:mod:`pipeline.tracks.dialogue`), then at sentence, clause and word limits; its time is divided
in proportion to each part's counted characters, or, when speech pauses are known, at the pause
nearest to that point. Timing rules: :mod:`pipeline.tracks.timing`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError
from pipeline.core.findings import Finding
from pipeline.core.langtags import same_tag
from pipeline.core.profiles import Profile
from pipeline.ingest.segments import Segment
from pipeline.tracks.dialogue import part_lines, split_parts
from pipeline.tracks.measure import TextBox, narrower, scaled_findings
from pipeline.tracks.timeline import FrameGrid, Timeline, clip_to_video
from pipeline.tracks.timing import NO_END, Slot, retime
from pipeline.tracks.wrap import count_chars

RLE, PDF = "\u202b", "\u202c"
# A pause may move a division point this far (ms), or a quarter of the segment, whichever is more.
PAUSE_REACH_MS = 1000


@dataclass(frozen=True)
class TrackBuild:
    """A built track with what its rules could not satisfy and how many shot-change moves it made."""

    track: Track
    findings: tuple[Finding, ...]
    shot_moves: int


def _divisions(seg: Segment, weights: list[float], pauses_ms: Sequence[int]) -> list[int]:
    """The inner division times of a segment: by character share, pulled to the nearest pause.

    A pause may move a division point by at most half of either part it bounds (and at most
    ``PAUSE_REACH_MS``, or a quarter of the segment), so no part shrinks to a flash.
    """
    span, total = seg.end_ms - seg.start_ms, sum(weights)
    lengths = [span * w / total for w in weights]
    reach = max(PAUSE_REACH_MS, span // 4)
    points: list[int] = []
    acc = 0.0
    for k, w in enumerate(weights[:-1]):
        acc += w
        t = seg.start_ms + round(span * acc / total)
        low = max(t - min(reach, lengths[k] / 2), points[-1] + 1 if points else seg.start_ms + 1)
        high = t + min(reach, lengths[k + 1] / 2)
        i = bisect.bisect_left(pauses_ms, t)
        near = [p for p in pauses_ms[max(i - 1, 0) : i + 1] if low <= p <= high]
        if near:
            t = min(near, key=lambda p: abs(p - t))
        points.append(max(t, points[-1] + 1) if points else t)
    return points


def _segment_cues(seg: Segment, text: str, profile: Profile, pauses_ms: Sequence[int]) -> list[Cue]:
    min_parts = math.ceil((seg.end_ms - seg.start_ms) / profile.max_duration_ms)
    while True:
        parts = split_parts(text, profile, min_parts=min_parts)
        weights = [max(count_chars(p, profile), 1.0) for p in parts]
        bounds = [seg.start_ms, *_divisions(seg, weights, pauses_ms), seg.end_ms]
        longest = max(b - a for a, b in itertools.pairwise(bounds))
        if longest <= profile.max_duration_ms or len(parts) < min_parts:
            break  # every part short enough, or the text has no more places to cut
        min_parts = len(parts) + 1
    cues = []
    for part, (start, end) in zip(parts, itertools.pairwise(bounds), strict=True):
        lines = part_lines(part, profile)
        if profile.rtl and profile.rtl_marks:
            lines = [f"{RLE}{line}{PDF}" for line in lines]
        cues.append(Cue(start, end, tuple(lines), seg.id))
    return cues


def build_track_report(
    segments: Sequence[Segment],
    lang: str,
    profile: Profile,
    fps: Fraction,
    shot_changes_ms: Sequence[int] = (),
    pauses_ms: Sequence[int] = (),
    timeline: Timeline | None = None,
    box: TextBox | None = None,
) -> TrackBuild:
    """The track of ``lang`` with its findings; shot changes, speech pauses and the timeline are optional.

    With a ``timeline`` the times snap to the video's real frame times (VFR) and no cue outlasts
    its end: cues past it are clipped, cues after it dropped (``past_end`` warnings), and no timing
    pass lengthens a cue beyond it. With a ``box`` (font, size, title-safe width) a segment whose
    lines are wider than the box in pixels is wrapped and split with fewer characters per line;
    a cue with a single word too wide for it gets a ``scaled_down`` warning (the ASS scales it).

    Raises:
        InputError: when a segment has no text in ``lang``.
    """
    line = timeline or Timeline()
    grid = line.grid(fps)
    cues: list[Cue] = []
    speech_ends: list[int] = []
    pauses = sorted(pauses_ms)
    for seg in sorted(segments, key=lambda s: s.start_ms):
        text = text_in(seg, lang)
        if text is None:
            raise InputError(None, f"segment {seg.id!r} has no text in {lang!r}")
        if text.strip():
            made = _fitted_cues(seg, text, profile, pauses, box)
            cues.extend(made)
            speech_ends.extend([seg.end_ms] * len(made))
    source, past_end = clip_to_video(Track(lang, tuple(cues), fps), line.end_ms)
    kept = [(c, e) for c, e in zip(cues, speech_ends, strict=True) if line.end_ms is None or c.start_ms < line.end_ms]
    last = _end_frame(grid, line.end_ms)
    cap = last if last is not None else NO_END
    slots = [
        Slot(grid.frame(c.start_ms), min(grid.frame(c.end_ms), cap), min(grid.frame(e), cap), _width(c, profile))
        for c, (_, e) in zip(source.cues, kept, strict=True)
    ]
    findings, moves = retime(slots, profile, fps, shot_changes_ms, grid, last)
    timed = tuple(
        Cue(grid.ms(s.start), grid.ms(s.end), c.lines, c.segment_id) for c, s in zip(source.cues, slots, strict=True)
    )
    track, late = clip_to_video(Track(lang, timed, fps), line.end_ms)
    scaled = scaled_findings([(n, c.start_ms, list(c.lines)) for n, c in enumerate(track.cues, 1)], box) if box else []
    return TrackBuild(track, (*past_end, *late, *scaled, *findings), moves)


def _fitted_cues(seg: Segment, text: str, profile: Profile, pauses: Sequence[int], box: TextBox | None) -> list[Cue]:
    """The segment's cues, re-split with fewer characters per line while a line is wider than ``box``."""
    cues = _segment_cues(seg, text, profile, pauses)
    while box is not None:
        narrow = narrower(profile, [line for c in cues for line in c.lines], box)
        if narrow is None:
            break
        profile = narrow
        cues = _segment_cues(seg, text, profile, pauses)
    return cues


def _width(cue: Cue, profile: Profile) -> float:
    return sum(count_chars(line, profile) for line in cue.lines)


def _end_frame(grid: FrameGrid, end_ms: int | None) -> int | None:
    """The last frame boundary at or before ``end_ms``: a cue may end there, not after."""
    if end_ms is None:
        return None
    frame = grid.frame(end_ms)
    return frame - 1 if grid.ms(frame) > end_ms else frame


def text_in(seg: Segment, lang: str) -> str | None:
    """The segment's text in ``lang``, its key compared without regard to case (``zh-tw`` is ``zh-TW``)."""
    if lang in seg.text:
        return seg.text[lang]
    return next((text for key, text in seg.text.items() if same_tag(key, lang)), None)


def build_track(segments: Sequence[Segment], lang: str, profile: Profile, fps: Fraction) -> Track:
    """The track of ``lang``: every segment's text, split, wrapped and timed.

    Raises:
        InputError: when a segment has no text in ``lang``.
    """
    return build_track_report(segments, lang, profile, fps).track
