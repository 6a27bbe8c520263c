"""Proposed fixes that never create a new problem.

A fix that moves a time (``Finding.edit``) is applied alone to a copy of the track and the rules
run again over the cue and its neighbours: when the move would raise a finding the track did not
have (``end at 0:00:22.950`` overlapping the next cue, a start moved onto the previous cue's gap),
the fix is changed (an overlap or a short gap: the later cue starts later instead) or replaced by
advice that moves nothing and says why.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import Finding, Retime
from pipeline.core.timecode import DEFAULT_FPS, format_clock
from pipeline.qc.rules import Frames, RuleContext, check_rules

_WINDOW = 2  # cues on each side of the moved one whose findings can change
_BY_HAND = {
    "overlap": "re-time cues {prev} and {n} together",
    "gap": "re-time cues {prev} and {n} together",
    "min_duration": "merge it with a neighbour, or shorten the neighbour that leaves no room",
    "reading_speed": "shorten the text",
    "past_end": "delete the cue, or move it before the video's end",
    "frame_grid": "snap it to the frame grid together with its neighbour",
}


def retimed(track: Track, edit: Retime) -> Track | None:
    """``track`` with ``edit`` applied; None when the cue would end at or before its start."""
    cue = track.cues[edit.cue - 1]
    start, end = (edit.ms, cue.end_ms) if edit.which == "start" else (cue.start_ms, edit.ms)
    if end <= start:
        return None
    cues = list(track.cues)
    cues[edit.cue - 1] = Cue(start, end, cue.lines, cue.segment_id)
    return Track(track.lang, tuple(cues), track.fps)


def _keys(track: Track, ctx: RuleContext, first: int, last: int) -> set[tuple[str, int]]:
    """(rule, cue number) of the rule findings of cues ``first``..``last`` (1-based, with their neighbours)."""
    window = Track(track.lang, track.cues[first - 1 : last], track.fps)
    return {(f.rule, f.cue + first - 1) for f in check_rules(window, ctx) if f.cue is not None}


def new_findings(track: Track, ctx: RuleContext, edit: Retime) -> list[tuple[str, int]] | None:
    """The (rule, cue) findings ``edit`` would add to ``track`` (None: the edit is impossible)."""
    moved = retimed(track, edit)
    if moved is None:
        return None
    first, last = max(edit.cue - _WINDOW, 1), min(edit.cue + _WINDOW, len(track.cues))
    return sorted(_keys(moved, ctx, first, last) - _keys(track, ctx, first, last))


def _later_start(track: Track, ctx: RuleContext, f: Finding) -> tuple[Retime, str] | None:
    """For an overlap or a short gap before cue n: start cue n the minimum gap after cue n-1 ends."""
    if f.rule not in ("overlap", "gap") or f.cue is None or f.cue < 2:
        return None
    grid = Frames.of(ctx.fps or DEFAULT_FPS)
    ms = grid.at_or_after(track.cues[f.cue - 2].end_ms + grid.span(ctx.profile.min_gap_frames))
    return Retime(f.cue, "start", ms), f"start cue {f.cue} at {format_clock(ms)}"


def _by_hand(f: Finding, edit: Retime, why: list[tuple[str, int]] | None) -> str:
    n = f.cue or edit.cue
    advice = _BY_HAND.get(f.rule, "re-time it and its neighbour together").format(prev=n - 1, n=n)
    move = f"{'starting' if edit.which == 'start' else 'ending'} cue {edit.cue} at {format_clock(edit.ms)}"
    if not why:
        return f"{advice} ({move} would end it before it starts)"
    rule, cue = why[0]
    return f"{advice} ({move} would raise '{rule}' on cue {cue})"


def settle_fix(track: Track, ctx: RuleContext, f: Finding) -> Finding:
    """``f`` with a fix that creates no finding: its own, another move, or advice that moves nothing."""
    if f.edit is None:
        return f
    why = new_findings(track, ctx, f.edit)
    if why == []:
        return f
    other = _later_start(track, ctx, f)
    if other is not None and new_findings(track, ctx, other[0]) == []:
        return dataclasses.replace(f, fix=other[1], edit=other[0])
    return dataclasses.replace(f, fix=_by_hand(f, f.edit, why), edit=None)


def settle_fixes(track: Track, ctx: RuleContext, found: Sequence[Finding]) -> list[Finding]:
    """Every finding of ``found``, each fix checked against the neighbours and the rules."""
    return [settle_fix(track, ctx, f) for f in found]
