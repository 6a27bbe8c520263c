"""The chunk plan of a burned cut: whole frames, 6 s or so, cut on the source's keyframes where they fall; keys.

Shot changes may be given to cut on (a test does); the pipeline gives none, so no pass over the
picture has to finish before the first chunk is encoded (the source's encoder put its keyframes
at most of its shot changes anyway).

Times here follow the monolithic burn's clock (the one libass sees there): a frame's presentation
timestamp minus the container's start, in the video stream's time base. A chunk's key hashes
everything that decides its bytes, so an unchanged chunk is found in the cache, and a chunk where a
language shows nothing has one key for every such language.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pysubs2

from pipeline.core.errors import InputError
from pipeline.core.filecache import checked, measured_by_file

KEY_SCHEME = 1
_TABLE_CODE = Path(__file__)  # what reads a frame table (its salt in the cache)
MIN_MS, TARGET_MS, MAX_MS = 2000, 6000, 9000
"""Chunk lengths. Each chunk is its own x264 instance, whose start-up costs about 0.05 s of CPU (mostly
the kernel mapping its ~70 MiB of fresh buffers). Side by side on 240 s, en+ko (two rounds): a
first render took 1.14-1.16x the grouped monolithic burn's CPU with 4/6 s chunks, 1.06-1.07x with
6/9 s and with 8/12 s; one edited cue 0.10x, 0.15-0.18x and 0.18x a single-language burn's CPU
(longer chunks re-encode more, and verification decodes from a chunk's start)."""


@dataclass(frozen=True)
class FrameTable:
    """The video stream's frames: sorted presentation timestamps, keyframes, time base, start."""

    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    time_base: Fraction
    start_us: int
    rate: Fraction | None = None
    """The frame rate ffmpeg would give an encoder of this stream (its guess), when it has one."""

    @property
    def start_ticks(self) -> int:
        """The container start in stream ticks, rounded as ffmpeg rounds its offset."""
        exact = Fraction(self.start_us, 1_000_000) / self.time_base
        half = Fraction(1, 2)
        return math.floor(exact + half) if exact >= 0 else -math.floor(-exact + half)

    @property
    def clock_ticks(self) -> int:
        """The burn clock's origin: the first video frame (cue times count from the picture's first
        frame, as the monolithic burn's do, also when the audio starts earlier)."""
        return self.pts[0]

    def ms(self, index: int) -> Fraction:
        """Frame ``index``'s time on the burn clock, in (exact) milliseconds."""
        return (self.pts[index] - self.clock_ticks) * self.time_base * 1000

    def end_pts(self, end: int) -> int:
        """The timestamp that ends a chunk of frames before ``end`` (the last one gets one more frame)."""
        if end < len(self.pts):
            return self.pts[end]
        step = self.pts[-1] - self.pts[-2] if len(self.pts) > 1 else 1
        return self.pts[-1] + max(step, 1)


def source_frame_table(path: Path) -> FrameTable:
    """:func:`read_frame_table` of a source, kept in the cache under the file's fingerprint (inode, size, mtime,
    ctime, first and last MiB, as its shot changes are) and this module's code: a rerun reads it back instead
    of demuxing every packet again (``--force``, :func:`pipeline.core.filecache.measured_afresh`: read again).

    Raises:
        InputError: as :func:`read_frame_table`.
    """
    return measured_by_file(path, "frametable", "table", _table_salt(), read_frame_table, _table_json, _table_of)


def _table_json(table: FrameTable) -> dict[str, Any]:
    rate = [table.rate.numerator, table.rate.denominator] if table.rate else None
    doc = {"pts": list(table.pts), "keyframes": list(table.keyframes), "start_us": table.start_us, "rate": rate}
    return {**doc, "time_base": [table.time_base.numerator, table.time_base.denominator]}


def _table_of(doc: Any) -> FrameTable:
    if not isinstance(doc, dict):
        raise TypeError("not a table")
    rate = Fraction(*doc["rate"]) if doc["rate"] else None
    tb, pts, keys = Fraction(*doc["time_base"]), tuple(doc["pts"]), tuple(doc["keyframes"])
    table = checked(FrameTable(pts, keys, tb, doc["start_us"], rate))
    if len(table.pts) < 2 or table.time_base <= 0:
        raise ValueError("fewer than two frames or no time base")
    return table


@functools.cache
def _table_salt() -> str:
    return hashlib.sha256(_TABLE_CODE.read_bytes() + av.__version__.encode()).hexdigest()[:16]


def read_frame_table(path: Path) -> FrameTable:
    """Demux (no decoding) the first video stream of ``path``.

    Raises:
        InputError: when the file cannot be read or has no video.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise InputError(path, "no video stream")
            stream = container.streams.video[0]
            pts, keys = [], []
            for packet in container.demux(stream):
                if packet.pts is None or packet.is_discard:
                    continue
                pts.append(packet.pts)
                if packet.is_keyframe:
                    keys.append(packet.pts)
            tb = Fraction(stream.time_base) if stream.time_base is not None else Fraction(1, 90000)
            start = int(container.start_time or 0)
            rate = Fraction(stream.guessed_rate) if stream.guessed_rate else None
    except av.error.FFmpegError as exc:
        raise InputError(path, f"cannot read its frames: {exc}") from None
    if len(pts) < 2:
        raise InputError(path, "fewer than two video frames")
    return FrameTable(tuple(sorted(pts)), tuple(sorted(keys)), tb, start, rate)


@dataclass(frozen=True)
class Chunk:
    """Frames ``[first, end)`` of the source."""

    index: int
    first: int
    end: int


def _cut_frames(times: Sequence[Fraction], shot_changes_ms: Sequence[int]) -> list[int]:
    return sorted({bisect.bisect_left(times, t - 1) for t in shot_changes_ms} - {0, len(times)})


def _next_end(first: int, times: Sequence[Fraction], preferred: Sequence[Sequence[int]]) -> int:
    t0, last = times[first], times[-1]
    if last - t0 < MAX_MS:
        return len(times)
    lo = bisect.bisect_left(times, t0 + MIN_MS)
    hi = bisect.bisect_right(times, min(t0 + MAX_MS, last - MIN_MS + 1)) - 1
    if hi < lo:  # too little left for two chunks of MIN_MS: split what is left in half
        return max(bisect.bisect_left(times, (t0 + last) / 2), first + 1)
    target = t0 + TARGET_MS
    for frames in preferred:
        in_window = [c for c in frames if lo <= c <= hi]
        if in_window:
            return min(in_window, key=lambda c: (abs(times[c] - target), c))
    return min(max(bisect.bisect_left(times, target), lo), hi)


def plan_chunks(table: FrameTable, shot_changes_ms: Sequence[int] = ()) -> list[Chunk]:
    """Cut the frames into chunks of 2-6 s (about 4), ending each on a shot change when one lies in reach.

    Else a chunk ends on one of the source's keyframes when one lies in reach: the next chunk's
    decoding then starts right there instead of at an earlier keyframe.
    """
    (num, den), first_pts = (table.time_base * 1000).as_integer_ratio(), table.clock_ticks
    times = [Fraction((pts - first_pts) * num, den) for pts in table.pts]  # table.ms(i), in one step each
    index = {pts: i for i, pts in enumerate(table.pts)}
    keyframes = sorted(index[k] for k in table.keyframes if k in index)
    preferred = [_cut_frames(times, shot_changes_ms), keyframes]
    chunks: list[Chunk] = []
    first = 0
    while first < len(times):
        end = _next_end(first, times, preferred)
        chunks.append(Chunk(len(chunks), first, end))
        first = end
    return chunks


def clock_step_ms(time_base: Fraction) -> int:
    """The smallest whole-centisecond step that is also a whole number of stream ticks."""
    ticks_per_ms = 1 / (time_base * 1000)
    return math.lcm(10, ticks_per_ms.denominator)


def chunk_offset_ms(table: FrameTable, chunk: Chunk) -> int:
    """The rebasing offset of ``chunk``: at or before its first frame, whole centiseconds and ticks."""
    step = clock_step_ms(table.time_base)
    return (math.floor(table.ms(chunk.first)) // step) * step


def slice_ass(subs: pysubs2.SSAFile, table: FrameTable, chunk: Chunk, offset_ms: int) -> str | None:
    """The ASS text of the events shown on ``chunk``'s frames, re-based by ``offset_ms``; None: none.

    libass shows an event at a frame whose (truncated) millisecond ``now`` has start <= now < end.
    """
    first_ms = math.floor(table.ms(chunk.first))
    last_ms = math.floor(table.ms(chunk.end - 1))
    shown = [ev for ev in subs.events if not ev.is_comment and ev.start <= last_ms and ev.end > first_ms]
    if not shown:
        return None
    part = pysubs2.SSAFile()
    part.info.update(subs.info)
    part.styles.update(subs.styles)
    for ev in shown:
        part.append(ev.copy())
        part.events[-1].start = max(ev.start - offset_ms, 0)
        part.events[-1].end = ev.end - offset_ms
    return str(part.to_string("ass"))


def chunk_key(parts: Mapping[str, object]) -> str:
    """The content address of a chunk: SHA-256 of its inputs as canonical JSON."""
    text = json.dumps({"scheme": KEY_SCHEME, **parts}, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()
