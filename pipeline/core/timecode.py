"""Time primitives: integer milliseconds, frame grids, timestamps. Pure functions.

Frame rates are kept as :class:`fractions.Fraction`, so 30000/1001 is exact. A time is *on the
grid* when it is the millisecond of a frame's start, rounded *down*: a player shows frame n at its
exact time, so a cue must start at or before it (a time rounded up would miss the frame).

>>> from fractions import Fraction
>>> ntsc = Fraction(30000, 1001)
>>> frame_to_ms(3, ntsc)
100
>>> ms_to_frame(100, ntsc)
3
>>> snap_ms(1234, ntsc)
1234
>>> frame_to_ms(37, ntsc)  # 1234.63 ms
1234
>>> to_centiseconds_ms(1234, ntsc)  # ASS: 1.23 s is still within frame 37
1230
>>> format_srt_time(3_723_004)
'01:02:03,004'
>>> parse_fps("30000/1001")
Fraction(30000, 1001)
"""

from __future__ import annotations

import math
from fractions import Fraction

DEFAULT_FPS = Fraction(25)


def parse_fps(value: str | int | float | Fraction) -> Fraction:
    """Parse a frame rate given as ``"30000/1001"``, ``"29.97"``, a number or a Fraction.

    Raises:
        ValueError: when the rate is not a positive number.
    """
    if isinstance(value, str):
        text = value.strip()
        fps = Fraction(text) if "/" in text else Fraction(text).limit_denominator(1001)
    else:
        fps = Fraction(value).limit_denominator(1001)
    if fps <= 0:
        raise ValueError(f"frame rate must be positive, got {value!r}")
    # 29.97 and friends written as decimals mean the NTSC rates.
    for exact in (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001)):
        if fps != exact and abs(fps - exact) < Fraction(1, 100):
            return exact
    return fps


def frame_to_ms(frame: int, fps: Fraction) -> int:
    """The millisecond at which ``frame`` starts, rounded down (integer arithmetic: exact and fast)."""
    return (1000 * frame * fps.denominator) // fps.numerator


def to_centiseconds_ms(ms: int, fps: Fraction) -> int:
    """The centisecond time (in ms) at which a player still shows the same first frame as ``ms`` (ASS).

    The frame a time belongs to is the first frame at or after it; its exact start rounded down to
    10 ms lies after the previous frame (a frame lasts more than 10 ms at any real rate), so every
    cue keeps its first and last frame and every gap keeps its frames.
    """
    frame = math.ceil(Fraction(ms) * fps / 1000)
    return math.floor(Fraction(frame * 100) / fps) * 10


def ms_to_frame(ms: int, fps: Fraction) -> int:
    """The frame nearest to ``ms`` (half up), in integer arithmetic."""
    return (2 * ms * fps.numerator + 1000 * fps.denominator) // (2000 * fps.denominator)


def snap_ms(ms: int, fps: Fraction) -> int:
    """Move ``ms`` onto the nearest frame start of the grid."""
    return frame_to_ms(ms_to_frame(ms, fps), fps)


def frames_ms(frames: int, fps: Fraction) -> int:
    """The length in ms of ``frames`` frames (rounded), e.g. the 2-frame minimum gap."""
    return math.floor(Fraction(frames * 1000) / fps + Fraction(1, 2))


def format_srt_time(ms: int) -> str:
    """``HH:MM:SS,mmm`` as SRT writes it."""
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{millis:03d}"


def format_clock(ms: int) -> str:
    """``H:MM:SS.mmm`` for messages and reports."""
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def clock_to_ms(hours: str | None, minutes: str | None, seconds: str | None, fraction: str | None) -> int:
    """Milliseconds of a clock time given as its digit fields (a 1-3 digit fraction is 1/10s, 1/100s, ms).

    >>> clock_to_ms("01", "02", "03", "5"), clock_to_ms(None, "1", "02", "25")
    (3723500, 62250)
    """
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000 + int(
        (fraction or "0").ljust(3, "0")
    )


def seconds_to_ms(seconds: float) -> int:
    """Seconds (as in Whisper JSON) to integer milliseconds, rounded half up."""
    return math.floor(seconds * 1000 + 0.5)
