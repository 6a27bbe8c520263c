"""Rule findings of a subtitle track: timing, reading speed, layout, the video's length and shot changes.

Findings are data: each names its rule, severity, cue (1-based, in time order), time, a message with
the numbers and the suggested fix. The facts behind the rules are in ``reference/qc-rules.md``
(Netflix TTSG, Subtitle Edit's checks): 2-frame minimum gap, min/max duration and reading speed per
language profile, and shot-change zones of 12 frames at 24 fps (red zone 7), scaled with the frame
rate. Frame arithmetic here is integer-only, so 100,000 cues check in well under a second.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import SEVERITIES, Finding, Retime
from pipeline.core.profiles import Profile
from pipeline.core.timecode import DEFAULT_FPS, format_clock, frame_to_ms, ms_to_frame
from pipeline.tracks.wrap import count_chars, visible_text

ZONE_FRAMES_24 = 12
GRID_TOLERANCE_MS = 1


@dataclass(frozen=True)
class Frames:
    """Frame arithmetic on the grid of ``fps`` (:mod:`pipeline.core.timecode`'s integer functions)."""

    fps: Fraction

    @classmethod
    def of(cls, fps: Fraction) -> Frames:
        """The grid of ``fps``."""
        return cls(fps)

    def frame(self, ms: int) -> int:
        """The nearest frame to ``ms``."""
        return ms_to_frame(ms, self.fps)

    def ms(self, frame: int) -> int:
        """The ms at which ``frame`` starts, rounded down."""
        return frame_to_ms(frame, self.fps)

    def span(self, frames: int) -> int:
        """The length of ``frames`` frames in ms."""
        return self.ms(frames)

    def at_or_after(self, ms: int) -> int:
        """The first frame time at or after ``ms``."""
        frame = self.frame(ms)
        return self.ms(frame) if self.ms(frame) >= ms else self.ms(frame + 1)

    def scaled(self, frames_at_24: int) -> int:
        """A count of frames given at 24 fps, at this rate (12 -> 15 at 30 fps)."""
        return max(round(frames_at_24 * self.fps / 24), 1)


@dataclass(frozen=True)
class RuleContext:
    """What the rules check against: the profile, the frame rate, the video's length and cuts.

    Without a frame rate the frame-grid rule is skipped and gaps are measured at 25 fps.
    """

    profile: Profile
    fps: Fraction | None = None
    video_ms: int | None = None
    shot_changes_ms: tuple[int, ...] = field(default_factory=tuple)


def _timing_rules(cues: Sequence[Cue], ctx: RuleContext, grid: Frames) -> Iterator[Finding]:
    on_grid = ctx.fps is not None
    gap_frames = ctx.profile.min_gap_frames
    min_gap = grid.span(gap_frames)
    p = ctx.profile
    for n, cue in enumerate(cues, start=1):
        if n > 1:
            prev = cues[n - 2]
            gap = cue.start_ms - prev.end_ms
            target = grid.ms(grid.frame(cue.start_ms) - gap_frames)
            if gap < 0:
                yield Finding(
                    "overlap",
                    "error",
                    n,
                    cue.start_ms,
                    f"overlaps cue {n - 1} by {-gap} ms",
                    f"end cue {n - 1} at {format_clock(target)}",
                    edit=Retime(n - 1, "end", target),
                )
            elif grid.frame(cue.start_ms) - grid.frame(prev.end_ms) < gap_frames and gap < min_gap + 2:
                yield Finding(
                    "gap",
                    "warning",
                    n,
                    cue.start_ms,
                    f"gap to cue {n - 1} is {gap} ms, under {gap_frames} frames ({min_gap} ms)",
                    f"end cue {n - 1} at {format_clock(target)}",
                    edit=Retime(n - 1, "end", target),
                )
        if cue.duration_ms < p.min_duration_ms:
            end = grid.at_or_after(cue.start_ms + p.min_duration_ms)
            yield Finding(
                "min_duration",
                "warning",
                n,
                cue.start_ms,
                f"shown {cue.duration_ms} ms, under the minimum {p.min_duration_ms} ms",
                f"end at {format_clock(end)} or merge with a neighbour",
                edit=Retime(n, "end", end),
            )
        elif cue.duration_ms > p.max_duration_ms:
            yield Finding(
                "max_duration",
                "warning",
                n,
                cue.start_ms,
                f"shown {cue.duration_ms} ms, over the maximum {p.max_duration_ms} ms",
                "split the cue or end it earlier",
            )
        if on_grid:
            yield from _grid_rule(n, cue, grid)


def _grid_rule(n: int, cue: Cue, grid: Frames) -> Iterator[Finding]:
    for what, ms in (("start", cue.start_ms), ("end", cue.end_ms)):
        snapped = grid.ms(grid.frame(ms))
        if abs(ms - snapped) > GRID_TOLERANCE_MS:
            yield Finding(
                "frame_grid",
                "info",
                n,
                cue.start_ms,
                f"{what} {ms} ms is off the frame grid",
                f"move the {what} to {snapped} ms (frame {grid.frame(ms)})",
                edit=Retime(n, what, snapped),
            )
            return


def line_width(line: str, profile: Profile) -> float:
    """``wrap.count_chars``, with a fast path for printable ASCII without tags (most lines)."""
    if line.isascii() and line.isprintable() and "<" not in line and "{" not in line:
        return len(line) * (0.5 if profile.is_cjk_count else 1.0)
    return count_chars(line, profile)


def _text_rules(cues: Sequence[Cue], p: Profile, grid: Frames) -> Iterator[Finding]:
    for n, cue in enumerate(cues, start=1):
        widths = [line_width(line, p) for line in cue.lines]
        if not any(visible_text(line).strip() for line in cue.lines):
            yield Finding("empty", "error", n, cue.start_ms, "the cue shows no text", "delete the cue")
            continue
        if len(cue.lines) > p.max_lines:
            yield Finding(
                "max_lines",
                "warning",
                n,
                cue.start_ms,
                f"{len(cue.lines)} lines, over {p.max_lines}",
                "re-break the text or split the cue",
            )
        longest = max(widths)
        if longest > p.max_line_chars:
            yield Finding(
                "line_length",
                "warning",
                n,
                cue.start_ms,
                f"a line of {longest:g} characters, over {p.max_line_chars}",
                "re-break the lines or shorten the text",
            )
        seconds = cue.duration_ms / 1000
        cps = sum(widths) / seconds if seconds > 0 else float("inf")
        if cps > p.max_cps:
            end = grid.at_or_after(cue.start_ms + round(sum(widths) / p.max_cps * 1000))
            yield Finding(
                "reading_speed",
                "warning",
                n,
                cue.start_ms,
                f"{cps:.1f} characters per second, over {p.max_cps:g}",
                f"show it {end - cue.start_ms} ms (end at {format_clock(end)}) or shorten the text",
                edit=Retime(n, "end", end),
            )


def _end_rules(cues: Sequence[Cue], video_ms: int, grid: Frames) -> Iterator[Finding]:
    last = grid.at_or_after(video_ms)
    last = last if last == video_ms else grid.ms(grid.frame(last) - 1)  # the last frame time in the video
    for n, cue in enumerate(cues, start=1):
        if cue.start_ms >= video_ms:
            yield Finding(
                "past_end",
                "error",
                n,
                cue.start_ms,
                f"starts after the video ends ({format_clock(video_ms)})",
                "delete the cue",
            )
        elif cue.end_ms > video_ms:
            yield Finding(
                "past_end",
                "error",
                n,
                cue.start_ms,
                f"ends {cue.end_ms - video_ms} ms after the video ends ({format_clock(video_ms)})",
                f"end at {format_clock(last)}",
                edit=Retime(n, "end", last),
            )


def _nearest(changes: Sequence[int], ms: int) -> int | None:
    i = bisect.bisect_left(changes, ms)
    near = [changes[j] for j in (i - 1, i) if 0 <= j < len(changes)]
    return min(near, key=lambda c: abs(c - ms)) if near else None


def _in_cue_fix(d: int, sc: int, zone: int, red: int, grid: Frames) -> tuple[str, int] | None:
    """Where an in-cue ``d`` frames before (+) or after (-) the shot change ``sc`` should go (text, ms)."""
    if 0 < d <= red or -zone * 3 // 4 <= d < 0:
        at = grid.ms(grid.frame(sc))
        return f"start on the shot change at {format_clock(at)}", at
    if red < d < zone:
        at = grid.ms(grid.frame(sc) - zone)
        return f"start {zone} frames before the shot change, at {format_clock(at)}", at
    if -zone < d < 0:
        at = grid.ms(grid.frame(sc) + zone)
        return f"start {zone} frames after the shot change, at {format_clock(at)}", at
    return None


def _shot_rules(cues: Sequence[Cue], ctx: RuleContext, grid: Frames) -> Iterator[Finding]:
    changes = sorted(ctx.shot_changes_ms)
    # The same zones the track builder snaps to (profile fields, qc-rules §1.2), at this frame rate.
    zone, red = grid.scaled(ctx.profile.sc_zone_frames), grid.scaled(ctx.profile.sc_red_frames)
    gap = ctx.profile.min_gap_frames
    for n, cue in enumerate(cues, start=1):
        sc = _nearest(changes, cue.start_ms)
        if sc is not None:
            d = grid.frame(sc) - grid.frame(cue.start_ms)
            fix = _in_cue_fix(d, sc, zone, red, grid)
            if fix:
                side = "before" if d > 0 else "after"
                yield Finding(
                    "shot_change_in",
                    "warning",
                    n,
                    cue.start_ms,
                    f"starts {abs(d)} frames {side} a shot change (zone: {zone} frames)",
                    fix[0],
                    edit=Retime(n, "start", fix[1]),
                )
        sc = _nearest(changes, cue.end_ms)
        if sc is not None:
            d = grid.frame(sc) - grid.frame(cue.end_ms)
            if -zone < d < zone and d != gap:
                side = "before" if d > 0 else ("on" if d == 0 else "after")
                back = zone if d > red else gap
                target = grid.ms(grid.frame(sc) - back)
                yield Finding(
                    "shot_change_out",
                    "warning",
                    n,
                    cue.start_ms,
                    f"ends {abs(d)} frames {side} a shot change (zone: {zone} frames)",
                    f"end {back} frames before the shot change, at {format_clock(target)}",
                    edit=Retime(n, "end", target),
                )


def check_rules(track: Track, ctx: RuleContext) -> list[Finding]:
    """Every rule finding of ``track`` (cues in time order), sorted by time."""
    cues = track.cues
    grid = Frames.of(ctx.fps or DEFAULT_FPS)
    found = [*_timing_rules(cues, ctx, grid), *_text_rules(cues, ctx.profile, grid)]
    if ctx.video_ms:
        found.extend(_end_rules(cues, ctx.video_ms, grid))
    if ctx.shot_changes_ms:
        found.extend(_shot_rules(cues, ctx, grid))
    return sort_findings(found)


def sort_findings(found: Sequence[Finding]) -> list[Finding]:
    """Findings by time, then cue, then severity."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(found, key=lambda f: (f.start_ms, f.cue or 0, rank[f.severity], f.rule))
