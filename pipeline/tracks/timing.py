"""Timing passes over a language's cues, in whole frames of the video's rate.

Order: snap to the grid; extend out-times for reading speed (up to ``extend_frames`` past the
speech); stretch to the minimum duration; move edges out of shot-change zones; close small gaps
(chaining); finally enforce order, the minimum gap and at least one frame per cue. Frame counts in
profiles are written for 24 fps and scaled by ``fps / 24`` (12 frames = half a second); the
minimum gap is not scaled (Netflix: 2 frames at every rate).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from pipeline.core.findings import WARNING, Finding
from pipeline.core.profiles import Profile
from pipeline.core.timecode import frame_to_ms
from pipeline.tracks.timeline import FrameGrid

NO_END = 10**12


@dataclass
class Slot:
    """A cue being timed: frames, the frame its speech ends on, and its counted characters."""

    start: int
    end: int
    speech_end: int
    width: float


@dataclass(frozen=True)
class Zones:
    """A profile's frame counts at the video's rate."""

    gap: int
    chain: int
    extend: int
    zone: int
    red: int
    min_len: int
    max_len: int
    end: int = NO_END  # the video's last frame + 1: no cue is lengthened past it

    @classmethod
    def of(cls, profile: Profile, fps: Fraction) -> Zones:
        """Scale ``profile``'s 24 fps frame counts to ``fps``."""
        scale = fps / 24

        def scaled(frames: int) -> int:
            return max(1, round(frames * scale))

        return cls(
            gap=profile.min_gap_frames,
            chain=scaled(profile.chain_frames),
            extend=scaled(profile.extend_frames),
            zone=scaled(profile.sc_zone_frames),
            red=scaled(profile.sc_red_frames),
            min_len=math.ceil(Fraction(profile.min_duration_ms) * fps / 1000),
            max_len=math.floor(Fraction(profile.max_duration_ms) * fps / 1000),
        )


def _next_start(slots: list[Slot], i: int) -> int | None:
    return slots[i + 1].start if i + 1 < len(slots) else None


def _room_end(slots: list[Slot], i: int, z: Zones) -> int:
    nxt = _next_start(slots, i)
    return nxt - z.gap if nxt is not None else z.end


def extend_for_reading(slots: list[Slot], z: Zones, max_cps: float, fps: Fraction) -> None:
    """Lengthen cues read too fast, into free time, at most ``extend`` frames past their speech."""
    for i, s in enumerate(slots):
        needed = math.ceil(Fraction(s.width) / Fraction(max_cps) * fps) if max_cps > 0 else 0
        if s.end - s.start < needed:
            s.end = max(s.end, min(s.start + needed, s.speech_end + z.extend, _room_end(slots, i, z)))


def stretch_short(slots: list[Slot], z: Zones) -> None:
    """Lengthen cues under the minimum duration into free time."""
    for i, s in enumerate(slots):
        if s.end - s.start < z.min_len:
            s.end = max(s.end, min(s.start + z.min_len, _room_end(slots, i, z)))


def _in_target(start: int, sc: int, z: Zones) -> int:
    d = start - sc
    if -z.red <= d < 0 or 0 < d <= (3 * z.zone) // 4:
        return sc
    if -z.zone < d < -z.red:
        return sc - z.zone
    if (3 * z.zone) // 4 < d < z.zone:
        return sc + z.zone
    return start


def _out_target(end: int, sc: int, z: Zones) -> int:
    d = end - sc
    if d == -z.gap:
        return end
    if -z.red <= d < z.zone:
        return sc - z.gap
    if -z.zone < d < -z.red:
        return sc - z.zone
    return end


def _nearest(shots: Sequence[int], frame: int) -> int | None:
    i = bisect.bisect_left(shots, frame)
    near = [shots[j] for j in (i - 1, i) if 0 <= j < len(shots)]
    return min(near, key=lambda sc: abs(sc - frame)) if near else None


def snap_to_shots(slots: list[Slot], shots: Sequence[int], z: Zones) -> int:
    """Move in- and out-times out of shot-change zones (qc-rules §1.2); return how many moved."""
    moves = 0
    for i, s in enumerate(slots):
        sc = _nearest(shots, s.start)
        prev_end = slots[i - 1].end if i else -z.gap  # the first cue may start at 0, not before
        if sc is not None:
            start = _in_target(s.start, sc, z)
            if start != s.start and start >= prev_end + z.gap and start < s.end:
                s.start, moves = start, moves + 1
        sc = _nearest(shots, s.end)
        if sc is not None:
            end = _out_target(s.end, sc, z)
            if (
                end != s.end
                and s.start < end <= _room_end(slots, i, z)
                and end - s.start >= min(z.min_len, s.end - s.start)
            ):
                s.end, moves = end, moves + 1
    return moves


def chain(slots: list[Slot], z: Zones) -> None:
    """Close gaps of ``chain`` frames or fewer to the minimum gap (Netflix chaining)."""
    for i, s in enumerate(slots):
        nxt = _next_start(slots, i)
        if nxt is not None and 0 < nxt - s.end <= z.chain:
            s.end = max(s.end, nxt - z.gap)


def enforce(slots: list[Slot], z: Zones) -> None:
    """Order, the minimum gap, at least one frame: pushes a degenerate cue later, never overlaps."""
    prev_end: int | None = None
    for i, s in enumerate(slots):
        if prev_end is not None:
            s.start = max(s.start, prev_end + z.gap)
        nxt = _next_start(slots, i)
        if nxt is not None and s.end > nxt - z.gap:
            s.end = nxt - z.gap
        s.end = max(s.end, s.start + 1)
        prev_end = s.end


def timing_findings(
    slots: list[Slot], z: Zones, max_cps: float, fps: Fraction, to_ms: Callable[[int], int] | None = None
) -> list[Finding]:
    """What the passes could not satisfy: reading speed, minimum and maximum duration.

    ``to_ms`` turns a frame into its time (default: the constant grid of ``fps``).
    """
    ms = to_ms or (lambda frame: frame_to_ms(frame, fps))
    out: list[Finding] = []
    for i, s in enumerate(slots):
        start_ms, dur_ms = ms(s.start), ms(s.end) - ms(s.start)
        cps = s.width / (dur_ms / 1000) if dur_ms else float("inf")
        if cps > max_cps + 1e-9:
            out.append(
                Finding(
                    "reading_speed",
                    WARNING,
                    i + 1,
                    start_ms,
                    f"{cps:.1f} characters/s over the limit {max_cps:g} ({s.width:g} chars in {dur_ms} ms)",
                    "shorten the text or give it more time",
                )
            )
        if s.end - s.start < z.min_len:
            out.append(
                Finding(
                    "min_duration",
                    WARNING,
                    i + 1,
                    start_ms,
                    f"{dur_ms} ms, under the minimum (no free time around it)",
                    "merge with a neighbour",
                )
            )
        if s.end - s.start > z.max_len:
            out.append(
                Finding(
                    "max_duration",
                    WARNING,
                    i + 1,
                    start_ms,
                    f"{dur_ms} ms, over the maximum: the text cannot be split further",
                    "split the segment",
                )
            )
    return out


def retime(
    slots: list[Slot],
    profile: Profile,
    fps: Fraction,
    shots_ms: Sequence[int] = (),
    grid: FrameGrid | None = None,
    end_frame: int | None = None,
) -> tuple[list[Finding], int]:
    """Run every pass over ``slots`` in place; return the findings and the number of shot-change moves.

    ``grid`` maps frames to times (a VFR video's real frame times; default the grid of ``fps``);
    no pass lengthens a cue past ``end_frame`` (the video's end) when it is given.
    """
    grid = grid or FrameGrid(fps)
    z = Zones.of(profile, fps)
    if end_frame is not None:
        z = dataclasses.replace(z, end=end_frame)
    extend_for_reading(slots, z, profile.max_cps, fps)
    stretch_short(slots, z)
    shots = sorted({grid.frame(t) for t in shots_ms})
    moves = snap_to_shots(slots, shots, z) if shots else 0
    chain(slots, z)
    enforce(slots, z)
    return timing_findings(slots, z, profile.max_cps, fps, grid.ms), moves
