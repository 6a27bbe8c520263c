"""A decoder position in one video stream, and what it decodes on the way to a time.

Decoding forward to a time costs every frame from the keyframe before it, and in a cut made with
B-frames about half of them are non-reference pictures (``nal_ref_idc`` 0): no picture is predicted
from them. :class:`Feed` lets the decoder drop those (``skip_frame = "NONREF"``) only where they can be
neither the frame shown at the time asked nor the next one, so a :class:`Cursor` returns the frames
(timestamps and pixels) a full decode returns.

The rule, packet by packet in decode order: send a packet with ``NONREF`` when it starts (pts) before a
*witness*: a packet demuxed earlier in this pass, once the decoder had returned a frame, that starts by
the time asked ``t`` (``t + 0.5`` ms, the cursor's slack). The latest witness by ``t`` is not skipped (no
witness starts after it and by ``t``), so it is decoded and shown (a decoder that has shown a frame
shows each picture it decodes after it). Every skipped picture starts before it: the last frame that
starts by ``t`` and the first after it are those of a full decode. A B-frame's packet comes after the
reference picture shown after it, its witness: no margin nor reorder depth is needed, and a variable
frame rate changes nothing. ``t`` only grows while a pass decodes: a packet skipped for an earlier time
would be skipped for the later one. A packet an edit list hides is never shown: it is no witness, and
sent with ``NONREF``. Each answer is checked (:meth:`Feed.doubtful`: a picture skipped for a witness
starts at or after the frame found, as when a muxer gave timestamps out of order) and asked again
decoding everything. A broken packet sent with ``NONREF`` that starts no picture passes silently
where a full decode raises; the frames returned do not depend on it.

It relies on the decoder for two things, which only some H.264 gives:

- dropping a non-reference picture leaves the others bit for bit as they were: H.264 never predicts
  from a picture with ``nal_ref_idc`` 0 (an HEVC "sub-layer non-reference" picture may be a reference
  of a higher temporal layer: HEVC is not skipped);
- pictures are shown in timestamp order, none dropped: FFmpeg's H.264 decoder guesses the reorder depth
  an SPS does not declare (no VUI ``bitstream_restriction``) and drops the picture that proves a guess
  short, at a place skipping would move. Such streams are not skipped, nor those coded as fields
  (:func:`pipeline.render.h264sps.skippable` reads the SPS).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import Any

import av

from pipeline.render.h264sps import skippable

SEEK_BACK_MS: tuple[float | None, ...] = (0, 1500, 8000, None)  # None: from the stream's start
THREAD_TYPE = "SLICE"
"""How the decoder uses threads (PyAV's ``thread_type``). Not frame threads: 20% more CPU for the same frames,
and the cuts of a burn are verified at once anyway (720p H.264, 10 languages: 20 s CPU with ``AUTO``, 17 s with
slices or none)."""


class Cursor:
    """A decoder position in one stream: the frame in hand and the one decoded after it.

    ``reach_ms``: decode on from the frame in hand, rather than seek, to a time at most this much
    later; ``skip``: let the decoder skip what :class:`Feed` may skip. ``keyframes_ms``: times (ms,
    sorted) at which the stream has keyframes (all of them; or one every few seconds at least, as a
    chunked cut's chunks start on them): then the cursor seeks exactly when one lies between the frame
    in hand and the time asked (it decodes from there rather than from the frame in hand), and decodes
    on otherwise, however far (a seek would land at or before the frame in hand).
    """

    def __init__(
        self, container: Any, stream: Any, reach_ms: float, skip: bool = True, keyframes_ms: Sequence[float] = ()
    ) -> None:
        self.container, self.stream, self.reach_ms = container, stream, reach_ms
        self.keyframes_ms = keyframes_ms
        stream.thread_type = THREAD_TYPE
        self.feed = Feed(stream, skip)
        self.seekable = True
        self.held: Any = None  # the last frame returned
        self.ahead: Any = None  # the first frame decoded after it (None: not decoded yet, or the end)
        self.ended = False  # the stream ended after ``held``: it stays on screen at any later time
        self.frames: Iterator[Any] = iter(())

    def close(self) -> None:
        """Close the file."""
        self.container.close()

    def span(self, t_ms: float) -> tuple[float, float]:
        """The times (ms, with the 0.5 ms slack of :meth:`shown_at`: ``lo <= t + 0.5 < hi``) at which the
        frame just returned for ``t_ms`` is on screen, as far as the frames in hand tell."""
        held_ms = frame_ms(self.held)
        if held_ms > t_ms + 0.5:  # the stream's first frame, shown for any earlier time too
            return float("-inf"), held_ms
        if self.ahead is not None:
            return held_ms, frame_ms(self.ahead)
        return held_ms, (float("inf") if self.ended else held_ms)

    def shown_at(self, t_ms: float) -> Any:
        """The frame on screen at ``t_ms``: the last one that starts by it (0.5 ms slack), the first
        frame for a time before it.

        Raises:
            LookupError: when no frame can be found.
        """
        self.feed.target_ms = t_ms
        frame = self._find(t_ms)
        if self.feed.doubtful(frame_ms(frame)):  # a picture skipped on the way may be the one shown
            self.feed.skip, self.held = False, None  # this cursor decodes every picture from now on
            self.feed.retries += 1
            frame = self._find(t_ms)
        return frame

    def _find(self, t_ms: float) -> Any:
        held_ms = frame_ms(self.held) if self.held is not None else None
        if held_ms is not None and held_ms <= t_ms + 0.5 and (self._on_the_way(held_ms, t_ms) or not self.seekable):
            return self._decode_on(t_ms)
        if self.seekable:
            try:
                return self._seek(t_ms)
            except av.error.PermissionError:  # a demuxer that cannot seek (some AVI): passes from the start
                self.seekable = False
        self._restart()
        if self._decode_on(t_ms) is None:
            raise LookupError(f"no frame at or before {t_ms:.0f} ms")
        return self.held

    def _on_the_way(self, held_ms: float, t_ms: float) -> bool:
        """Whether decoding on from the frame in hand (at ``held_ms``) to ``t_ms`` costs no more than a seek."""
        if not self.keyframes_ms:
            return t_ms - held_ms <= self.reach_ms
        i = bisect.bisect_right(self.keyframes_ms, held_ms + 0.5)
        return i == len(self.keyframes_ms) or self.keyframes_ms[i] > t_ms + 0.5

    def _decode_on(self, t_ms: float) -> Any:
        """Decode forward to the last frame that starts by ``t_ms``; the first frame when even it starts later."""
        while self.ahead is None or frame_ms(self.ahead) <= t_ms + 0.5:
            if self.ahead is not None:
                self.held, self.ahead = self.ahead, None
            nxt = next(self.frames, None)
            if nxt is None:
                self.ended = True
                break  # the end: the frame in hand stays on screen
            self.ahead = nxt
        if self.held is None:
            self.held, self.ahead = self.ahead, None
        return self.held

    def _decode_from_here(self) -> None:
        """Forget the frames in hand and decode from where the container now stands."""
        self.held, self.ahead, self.ended = None, None, False
        self.frames = self.feed.frames(self.container, self.stream)

    def _restart(self) -> None:
        """Open the file again and decode from its start (a demuxer that cannot seek)."""
        name, index = self.container.name, self.stream.index
        self.container.close()
        self.container = av.open(name)
        self.stream = next(s for s in self.container.streams if s.index == index)
        self._decode_from_here()

    def _seek(self, t_ms: float) -> Any:
        # Seek to the time (MP4 lands on the keyframe at or before it); some demuxers (MPEG-TS) land late,
        # so back off further.
        stream = self.stream
        first_ms = float(stream.start_time or 0) * float(stream.time_base) * 1000
        for back_ms in SEEK_BACK_MS:  # with the 0.5 ms slack: a keyframe that starts by then is a landing
            start = (t_ms + 0.5 - back_ms) if back_ms is not None else first_ms
            self.container.seek(
                int(start / 1000 / float(stream.time_base)), stream=stream, backward=True, any_frame=False
            )
            self._decode_from_here()
            first = next(self.frames, None)
            if first is None:
                continue
            if frame_ms(first) <= t_ms + 0.5 or first.pts <= (stream.start_time or 0):
                self.ahead = first  # at or before the time, or the stream's first frame: a good landing
                return self._decode_on(t_ms)
        raise LookupError(f"no frame at or before {t_ms:.0f} ms")


class Feed:
    """The frames of one stream from where its container stands, for a cursor asking for ``target_ms``
    (see the module's doc for what is skipped and why the frames returned are those of a full decode)."""

    def __init__(self, stream: Any, skip: bool = True) -> None:
        self.skip = skip and skippable(stream)
        self.target_ms = float("-inf")  # the time asked (ms): set before each frame is asked for
        self.decoded = 0  # frames the decoder returned (all passes)
        self.skipping = 0  # packets sent while the decoder skipped non-reference pictures (all passes)
        self.retries = 0  # times asked again decoding everything (see doubtful)
        self._latest_skipped = float("-inf")  # the latest start of a packet skipped for a witness, this pass

    def frames(self, container: Any, stream: Any) -> Iterator[Any]:
        """The frames with a timestamp, decoded from where ``container`` stands (a new pass)."""
        self._latest_skipped = float("-inf")
        stream.codec_context.skip_frame = "DEFAULT"  # also when a pass skipping was left midway
        decoded = self._skipping(container, stream) if self.skip else container.decode(stream)
        for frame in decoded:
            self.decoded += 1
            if frame.pts is not None:
                yield frame

    def doubtful(self, shown_ms: float) -> bool:
        """Whether a packet skipped for a witness in this pass starts at or after ``shown_ms``, the start
        of the frame found: it might have been the frame shown."""
        return shown_ms <= self._latest_skipped

    def _skipping(self, container: Any, stream: Any) -> Iterator[Any]:
        context, mode = stream.codec_context, "DEFAULT"
        showing = False  # the decoder has returned a frame in this pass
        witness = float("-inf")  # the latest start of a witness by the time asked
        pending: list[float] = []  # starts of witnesses after it (the time asked may move on to them)
        for packet in container.demux(stream):
            limit = self.target_ms + 0.5
            if pending:
                witness = max([witness, *(s for s in pending if s <= limit)])
                pending = [s for s in pending if s > limit]
            start = frame_ms(packet) if packet.pts is not None else None
            hidden = packet.is_discard  # an edit list hides it: never shown, never a witness
            behind = start is not None and not hidden and start < witness
            wanted = "NONREF" if hidden or behind else "DEFAULT"
            if wanted != mode:
                mode = context.skip_frame = wanted
            if wanted == "NONREF":
                self.skipping += 1
            if behind and start is not None:
                self._latest_skipped = max(self._latest_skipped, start)
            witness_start = start if showing and not hidden else None  # sent once the decoder shows frames
            for frame in packet.decode():
                showing = True
                yield frame
            if witness_start is not None:
                pending.append(witness_start)


def frame_ms(frame: Any) -> float:
    """When a frame (or a packet) starts, in ms on its stream's clock."""
    return float(frame.pts * frame.time_base) * 1000
