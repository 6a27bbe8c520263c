"""Build a track per language from segments: split, wrap, time, snap to the frame grid.

Each language splits its own text; segment boundaries are shared by all languages. A segment too
long for one cue is cut at sentence, then clause, then word limits, and its time is divided in
proportion to each part's counted characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from pipeline.cues import Cue, Track
from pipeline.errors import InputError
from pipeline.profiles import Profile
from pipeline.segments import Segment
from pipeline.timecode import frame_to_ms, frames_ms, ms_to_frame, snap_ms
from pipeline.wrap import count_chars, split_text, wrap_lines


def _segment_cues(seg: Segment, text: str, profile: Profile) -> list[Cue]:
    parts = split_text(text, profile)
    weights = [max(count_chars(p, profile), 1.0) for p in parts]
    total = sum(weights)
    cues: list[Cue] = []
    start = seg.start_ms
    span = seg.end_ms - seg.start_ms
    acc = 0.0
    for part, weight in zip(parts, weights, strict=True):
        acc += weight
        end = seg.start_ms + round(span * acc / total)
        cues.append(Cue(start, end, tuple(wrap_lines(part, profile)), seg.id))
        start = end
    return cues


def _retime(cues: list[Cue], profile: Profile, fps: Fraction) -> list[Cue]:
    """Snap to the grid, keep the minimum gap, stretch short cues into free time.

    Works in whole frames. A cue never starts before the previous one's end plus the gap (a
    degenerate input pushes it later rather than overlapping), and lasts at least one frame.
    """
    gap = profile.min_gap_frames
    min_len = ms_to_frame(profile.min_duration_ms, fps)
    frames = [(ms_to_frame(c.start_ms, fps), ms_to_frame(c.end_ms, fps)) for c in cues]
    out: list[Cue] = []
    prev_end: int | None = None
    for i, (cue, (start, end)) in enumerate(zip(cues, frames, strict=True)):
        if prev_end is not None:
            start = max(start, prev_end + gap)
        end = max(end, start + 1)
        limit = frames[i + 1][0] - gap if i + 1 < len(frames) else None
        want = max(end, start + min_len)
        end = want if limit is None else max(end, min(want, limit))
        if limit is not None and end > limit:
            end = max(limit, start + 1)
        out.append(Cue(frame_to_ms(start, fps), frame_to_ms(end, fps), cue.lines, cue.segment_id))
        prev_end = end
    return out


def build_track(segments: Sequence[Segment], lang: str, profile: Profile, fps: Fraction) -> Track:
    """The track of ``lang``: every segment's text, split, wrapped and timed.

    Raises:
        InputError: when a segment has no text in ``lang``.
    """
    cues: list[Cue] = []
    for seg in sorted(segments, key=lambda s: s.start_ms):
        text = seg.text.get(lang)
        if text is None:
            raise InputError(None, f"segment {seg.id!r} has no text in {lang!r}")
        if text.strip():
            cues.extend(_segment_cues(seg, text, profile))
    return Track(lang, tuple(_retime(cues, profile, fps)), fps)


def min_gap_ms(profile: Profile, fps: Fraction) -> int:
    """The smallest allowed gap between cues, in ms, at ``fps``."""
    return frames_ms(profile.min_gap_frames, fps)


def on_grid(ms: int, fps: Fraction) -> bool:
    """Whether ``ms`` is exactly a frame start of the grid."""
    return snap_ms(ms, fps) == ms
