"""The video's timeline as the track builder sees it: its frame grid and its end.

A constant-rate video's frames sit on the grid of its rate (exact integer arithmetic,
:mod:`pipeline.core.timecode`); a variable-rate one's sit at their real timestamps, so a cue
snapped to "frame n" starts on the frame the player really shows, not where the average rate
would put it (it could start a frame late). Cues past the video's end are clipped to it, and cues
that start after it dropped, each with a ``past_end`` warning.

>>> grid = FrameGrid(Fraction(25), (0, 40, 100, 140))
>>> grid.frame(95), grid.ms(2), grid.ms(5)
(2, 100, 220)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import WARNING, Finding
from pipeline.core.timecode import format_clock, frame_to_ms, ms_to_frame


@dataclass(frozen=True)
class FrameGrid:
    """Frame index <-> ms: the constant grid of ``fps``, or the real ``times_ms`` when given.

    Beyond the last real frame the grid goes on at ``fps``.
    """

    fps: Fraction
    times_ms: tuple[int, ...] = ()

    def frame(self, ms: int) -> int:
        """The frame nearest to ``ms`` (the earlier on a tie)."""
        times = self.times_ms
        if not times or ms > times[-1]:
            return ms_to_frame(ms, self.fps) if not times else len(times) - 1 + ms_to_frame(ms - times[-1], self.fps)
        i = bisect.bisect_left(times, ms)
        if i == 0:
            return 0
        return i if times[i] - ms < ms - times[i - 1] else i - 1

    def ms(self, frame: int) -> int:
        """The millisecond at which ``frame`` starts (rounded down)."""
        times = self.times_ms
        if not times:
            return frame_to_ms(frame, self.fps)
        if frame < len(times):
            return times[max(frame, 0)]
        return times[-1] + frame_to_ms(frame - len(times) + 1, self.fps)


@dataclass(frozen=True)
class Timeline:
    """What the track builder knows of the video's time: frame times (VFR) and the end, both optional."""

    end_ms: int | None = None
    frame_times_ms: tuple[int, ...] = ()

    def grid(self, fps: Fraction) -> FrameGrid:
        """The frame grid: the real frame times when there are any, else the constant grid of ``fps``."""
        return FrameGrid(fps, self.frame_times_ms)


def clip_to_video(track: Track, video_end_ms: int | None) -> tuple[Track, list[Finding]]:
    """``track`` with every cue ending by ``video_end_ms``: ends past it clipped, cues starting at
    or after it dropped; one ``past_end`` warning per cue changed (numbered as in ``track``).

    No end (``None``) leaves the track as it is.
    """
    if video_end_ms is None:
        return track, []
    kept: list[Cue] = []
    found: list[Finding] = []
    end = format_clock(video_end_ms)
    for n, cue in enumerate(track.cues, start=1):
        if cue.start_ms >= video_end_ms:
            message, fix = f"starts after the video ends ({end}): dropped", "delete the cue or use the full video"
        elif cue.end_ms > video_end_ms:
            message = f"ended {cue.end_ms - video_end_ms} ms after the video ends ({end}): clipped to the end"
            fix = "shorten the cue or use the full video"
            kept.append(Cue(cue.start_ms, video_end_ms, cue.lines, cue.segment_id))
        else:
            kept.append(cue)
            continue
        found.append(Finding("past_end", WARNING, n, cue.start_ms, message, fix))
    return Track(track.lang, tuple(kept), track.fps), found
