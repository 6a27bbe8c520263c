"""What the header does not say: packet times (real durations, VFR frame times) and first-frame facts.

Used by :mod:`pipeline.media.probe`. Packets are demuxed, not decoded; one frame of the main video
stream is decoded for the display matrix, the interlacing flag and the colour description.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av

# A frame step this much longer than the shortest one makes the stream variable-frame-rate.
VFR_RATIO = 1.5
_FIELD_ORDER = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}
_DEPTH = re.compile(r"p(\d+)(?:le|be)$")


@dataclass
class PacketTimes:
    """Packet times in ms (``pts`` on each stream's own clock; ends include the packet's duration)."""

    video_ms: list[int] = field(default_factory=list)
    video_start_us: int | None = None  # exact (rounded to the microsecond), for clocks that must agree
    video_end_ms: int = 0
    first_ms: int = 0
    longest_ms: int = 0
    last_end_ms: int = 0
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    """Each stream's shown packets, ``(first pts, last end)``: subtitles included, hidden packets not."""
    hidden_frames: int = 0
    """Video packets an edit list hides (decoded for the frames after them, never shown)."""
    hidden_lead_ms: int = 0
    """The longest run of hidden packets before the first shown one of a stream other than the video's
    (an audio pre-roll that an edit list hides)."""

    @property
    def video_start_ms(self) -> int:
        """The first video timestamp."""
        return min(self.video_ms) if self.video_ms else 0

    @property
    def video_duration_ms(self) -> int:
        """From the first video frame to the end of the last."""
        return self.video_end_ms - self.video_start_ms if self.video_ms else 0

    @property
    def vfr(self) -> bool:
        """Whether the frame steps vary (more than :data:`VFR_RATIO` between shortest and longest)."""
        steps = [b - a for a, b in itertools.pairwise(sorted(self.video_ms)) if b > a]
        return bool(steps) and max(steps) > VFR_RATIO * min(steps)

    def relative_video_ms(self) -> tuple[int, ...]:
        """The video frame times from the first frame (0 first), in order."""
        start = self.video_start_ms
        return tuple(t - start for t in sorted(self.video_ms))


def scan_packets(container: Any, video_index: int | None) -> PacketTimes:
    """Demux every packet of ``container`` once and collect the times :class:`PacketTimes` holds.

    Integer arithmetic throughout (``int()`` of the exact product truncates toward zero, as
    ``int(Fraction)`` does): a long file has tens of thousands of packets.
    """
    times = PacketTimes()
    starts: dict[int, int] = {}
    ends: dict[int, int] = {}
    steps: list[int] = []
    kinds = {s.index: (s.type, *_ratio(s.time_base)) for s in container.streams}
    hidden: dict[int, int] = {}
    video_first: int | None = None  # the first video pts, in its ticks (to the microsecond once, below)
    for packet in container.demux():
        index = packet.stream_index
        kind, num, den = kinds.get(index, ("", 1, 1))
        if packet.pts is None or kind not in ("video", "audio", "subtitle"):
            continue
        pts = _trunc(packet.pts * num * 1000, den)
        if packet.is_discard:  # what an edit list hides (a stream copy cut between keyframes): never shown
            hidden[index] = min(hidden.get(index, pts), pts)
            times.hidden_frames += index == video_index
            continue
        end = _trunc((packet.pts + (packet.duration or 0)) * num * 1000, den)
        times.last_end_ms = max(times.last_end_ms, end)
        first, last = times.spans.get(index, (pts, end))
        times.spans[index] = (min(first, pts), max(last, end))
        if kind == "subtitle":
            continue  # a subtitle track may run on, but it does not make the file a longer video
        starts[index] = min(starts.get(index, pts), pts)
        ends[index] = max(ends.get(index, end), end)
        if index == video_index:
            times.video_ms.append(pts)
            video_first = packet.pts if video_first is None else min(video_first, packet.pts)
            steps.append(end - pts)
    if video_first is not None:  # rounding keeps the order: the first pts rounds to the smallest time
        num, den = kinds[video_index][1:]
        times.video_start_us = round(Fraction(video_first * num * 1_000_000, den))
    if video_index in ends:
        # a missing packet duration (some AVI, TS): one typical frame step
        last_step = sorted(steps)[len(steps) // 2] if steps else 0
        times.video_end_ms = max(ends[video_index], max(times.video_ms) + last_step)
        times.spans[video_index] = (times.video_start_ms, times.video_end_ms)
    leads = [times.spans[i][0] - t for i, t in hidden.items() if i in times.spans and i != video_index]
    times.hidden_lead_ms = max([0, *leads])
    if starts:
        times.first_ms = min(starts.values())
        times.longest_ms = max(ends[i] - starts[i] for i in starts)
    return times


def sound_starts(source: str, spans: dict[int, tuple[int, int]], indexes: list[int]) -> None:
    """Move each audio stream's start in ``spans`` to its first decoded sample: the decoder skips what
    the container says to (a Matroska ``CodecDelay``, an MP4 edit list inside the first packet), so
    this is where a player's sound begins. A stream that cannot be decoded keeps its packet time."""
    for index in indexes:
        if index not in spans:
            continue
        try:
            with av.open(source) as container:
                stream = next(s for s in container.streams if s.index == index)
                frame: Any = next(iter(container.decode(stream)), None)
        except (av.error.FFmpegError, StopIteration):
            continue
        if frame is not None and frame.pts is not None and frame.time_base:
            num, den = _ratio(frame.time_base)
            spans[index] = (_trunc(frame.pts * num * 1000, den), spans[index][1])


def _ratio(time_base: Any) -> tuple[int, int]:
    """A time base as (numerator, positive denominator); 1/1 when the stream has none."""
    if time_base is None or not time_base:
        return 1, 1
    exact = Fraction(time_base)
    return exact.numerator, exact.denominator


def _trunc(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` truncated toward zero (``denominator`` > 0)."""
    return numerator // denominator if numerator >= 0 else -(-numerator // denominator)


@dataclass(frozen=True)
class FrameFacts:
    """What the first decoded frame of the main video stream (and its codec) tell."""

    width: int
    height: int
    fps: Fraction
    rotation: int
    sar: Fraction
    interlaced: bool
    field_order: str
    pix_fmt: str
    bit_depth: int
    color_primaries: str
    color_trc: str
    colorspace: str


def first_frame_facts(source: str, index: int) -> FrameFacts:
    """Decode the first frame of stream ``index`` of ``source`` and read its facts.

    Raises:
        av.error.FFmpegError: when the file cannot be read.
    """
    with av.open(source) as container:
        stream: Any = next(s for s in container.streams if s.index == index)
        cc: Any = stream.codec_context
        frame: Any = next(iter(container.decode(stream)), None)
        raw_sar = stream.sample_aspect_ratio or cc.sample_aspect_ratio
        rate = stream.average_rate or stream.guessed_rate
        pix_fmt = str(cc.pix_fmt or "")
        depth = _DEPTH.search(pix_fmt)
        return FrameFacts(
            width=frame.width if frame is not None else cc.width,
            height=frame.height if frame is not None else cc.height,
            fps=Fraction(rate) if rate else Fraction(0),
            rotation=round(frame.rotation or 0) if frame is not None else 0,
            sar=Fraction(raw_sar) if raw_sar else Fraction(1),
            interlaced=bool(frame.interlaced_frame) if frame is not None else False,
            field_order=_FIELD_ORDER.get(int(cc.field_order or 0), ""),
            pix_fmt=pix_fmt,
            bit_depth=int(depth.group(1)) if depth else 8,
            color_primaries=_PRIMARIES.get(int(cc.color_primaries or 0), ""),
            color_trc=_TRC.get(int(cc.color_trc or 0), ""),
            colorspace=_SPACE.get(int(cc.colorspace or 0), ""),
        )


# libavutil's enum numbers of the colour descriptions a burn must carry over (2 = unspecified).
_PRIMARIES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020"}
_TRC = {1: "bt709", 6: "smpte170m", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 18: "arib-std-b67"}
_SPACE = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020nc", 10: "bt2020c"}
