"""A video's real frame times, read from its packets' timestamps with PyAV (no decoding).

Times are milliseconds from the first frame (a camcorder's MPEG-TS may start at 1000 s, a DVD VOB
at 0.5 s: cue times count from the picture's first frame), sorted into presentation order. The
video ends when its last frame's display ends: the last timestamp plus that frame's duration (the
packet's, else the median frame step).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from pipeline.core.errors import InputError
from pipeline.core.filecache import memo_by_file


@dataclass(frozen=True)
class FrameTimes:
    """The start of every frame (ms from the first, rounded down) and the end of the last."""

    times_ms: tuple[int, ...]
    end_ms: int

    def is_constant(self, fps: Fraction) -> bool:
        """Whether every frame sits on the constant grid of ``fps`` (within a millisecond)."""
        num, den = fps.numerator, fps.denominator  # in whole numbers: |t * fps - 1000 i| <= fps
        return all(abs(t * num - 1000 * i * den) <= num for i, t in enumerate(self.times_ms))


def frame_times(path: str | Path) -> FrameTimes:
    """The frame times of the first video stream of ``path`` (read once per process while it stays as it is).

    Raises:
        InputError: when the file cannot be read or has no video frames.
    """
    return _frame_times(Path(path))


@memo_by_file
def _frame_times(p: Path) -> FrameTimes:
    try:
        with av.open(str(p.resolve())) as container:
            if not container.streams.video:
                raise InputError(p, "no video stream")
            stream = container.streams.video[0]
            base = stream.time_base or Fraction(1, 90_000)
            stamps: list[tuple[int, int]] = [
                (packet.pts, packet.duration or 0)
                for packet in container.demux(stream)
                if packet.pts is not None and not packet.is_discard  # an edit list's hidden lead-in
            ]
    except av.error.FFmpegError as exc:
        raise InputError(p, f"cannot read its frame times: {exc}") from None
    if not stamps:
        raise InputError(p, "no video frames")
    stamps.sort()
    first = stamps[0][0]
    times = tuple(int((pts - first) * base * 1000) for pts, _ in stamps)
    last_pts, last_len = stamps[-1]
    if not last_len:
        steps = sorted(b - a for (a, _), (b, _) in itertools.pairwise(stamps))
        last_len = steps[len(steps) // 2] if steps else 0
    return FrameTimes(times, int((last_pts + last_len - first) * base * 1000))
