"""Probing media with PyAV: streams, geometry, times, frame rate, subtitle packets.

The imageio-ffmpeg wheel has no ffprobe; PyAV reads the same facts in-process. Beyond the header,
:func:`probe` demuxes the packets once (no decoding: ~50 ms for a 4-minute 720p file) for the real
first timestamp and duration of the video (a WebM recorded in a browser has no duration in its
header; an AVI's audio may outlast its video) and the frame times of a variable-frame-rate video,
and decodes one frame for what only frames carry (the display matrix, the interlacing flag).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from pipeline.core.errors import InputError
from pipeline.core.filecache import memo_by_file
from pipeline.media.scan import FrameFacts, PacketTimes, first_frame_facts, scan_packets, sound_starts


@dataclass(frozen=True)
class StreamInfo:
    """One stream of a container (``kind``: video, audio, subtitle, attachment, data)."""

    index: int
    kind: str
    codec: str
    language: str
    title: str
    default: bool
    attached_pic: bool = False
    timecode: str = ""


@dataclass(frozen=True)
class MediaInfo:
    """What subpipe needs to know about a media file.

    ``width`` x ``height`` is the stored picture of the main video stream (the first one that is
    not cover art); ``display_width`` x ``display_height`` the picture as shown, after the pixel
    aspect ``sar`` and the display-matrix ``rotation`` (degrees as PyAV reports them: -90 for a
    phone held upright). ``start_ms`` is the first video timestamp, ``container_start_ms`` the
    earliest of all streams (ffmpeg counts time from it), ``lead_us`` exactly how long the first
    begins before the first video frame (the subtitle clock's offset), ``video_duration_ms`` the video stream's
    own length; ``duration_ms`` the file's (the header's, or the longest stream's when the header
    has none); ``end_ms`` the end of the last packet of any stream, subtitles included (the
    header of an MP4 does not count a subtitle track that runs on). ``frame_times_ms`` (from the
    first frame, 0 first) is filled only when ``vfr``.

    Every time counts what a player shows: packets an edit list hides are left out of them.
    ``spans`` holds each stream's shown ``(index, first pts, end)`` in ms on its own clock;
    ``hidden_frames`` counts the video packets an edit list hides (a ``-c copy`` cut between
    keyframes), ``hidden_lead_ms`` how long the longest hidden pre-roll of a stream lasts.
    """

    path: str
    duration_ms: int
    width: int
    height: int
    fps: Fraction
    frames: int
    has_audio: bool
    streams: tuple[StreamInfo, ...]
    rotation: int = 0
    sar: Fraction = Fraction(1)
    start_ms: int = 0
    container_start_ms: int = 0
    lead_us: int = 0
    video_duration_ms: int = 0
    interlaced: bool = False
    field_order: str = ""
    pix_fmt: str = ""
    bit_depth: int = 8
    color_primaries: str = ""
    color_trc: str = ""
    colorspace: str = ""
    vfr: bool = False
    frame_times_ms: tuple[int, ...] = ()
    chapters: int = 0
    header_duration: bool = True
    end_ms: int = 0
    spans: tuple[tuple[int, int, int], ...] = ()
    hidden_frames: int = 0
    hidden_lead_ms: int = 0

    def subtitle_streams(self) -> list[StreamInfo]:
        """The subtitle streams, in order."""
        return [s for s in self.streams if s.kind == "subtitle"]

    def audio_streams(self) -> list[StreamInfo]:
        """The audio streams, in order."""
        return [s for s in self.streams if s.kind == "audio"]

    def span_ms(self, stream: StreamInfo) -> tuple[int, int] | None:
        """``stream``'s shown packets from the first video frame (the first packet without video):
        ``(start, end)`` in ms, None when it has no packets."""
        found = next(((a, b) for i, a, b in self.spans if i == stream.index), None)
        return None if found is None else (found[0] - self.start_ms, found[1] - self.start_ms)

    @property
    def played_ms(self) -> tuple[int, int]:
        """What a player plays, from the first video frame: the earliest shown packet of any stream
        to the end of the last (a sound or subtitle that outlasts the picture included)."""
        if not self.spans:
            return (0, self.duration_ms)
        return (min(a for _, a, _ in self.spans) - self.start_ms, max(b for _, _, b in self.spans) - self.start_ms)

    @property
    def video(self) -> StreamInfo | None:
        """The main video stream: the first that is not an attached picture (cover art)."""
        return next((s for s in self.streams if s.kind == "video" and not s.attached_pic), None)

    @property
    def video_codec(self) -> str:
        """The main video stream's codec ("" without video)."""
        return self.video.codec if self.video else ""

    @property
    def display_width(self) -> int:
        """Width of the picture as shown (pixel aspect and rotation applied)."""
        return self._display()[0]

    @property
    def display_height(self) -> int:
        """Height of the picture as shown (pixel aspect and rotation applied)."""
        return self._display()[1]

    @property
    def rotated(self) -> bool:
        """Whether the display matrix turns the picture by a quarter turn."""
        return self.rotation % 180 != 0

    def _display(self) -> tuple[int, int]:
        w, h = round(self.width * self.sar), self.height
        return (h, w) if self.rotated else (w, h)


def _stream(stream: av.stream.Stream) -> StreamInfo:
    meta = dict(stream.metadata)
    disposition = int(stream.disposition)
    default = bool(disposition & int(av.stream.Disposition.default))
    pic = bool(disposition & int(av.stream.Disposition.attached_pic))
    cc = stream.codec_context if stream.type in ("video", "audio", "subtitle") else None
    timecode = next((v for k, v in meta.items() if k.lower() == "timecode"), "")
    # the codec's name, not its decoder's ("mp3", not "mp3float")
    codec = cc.codec.canonical_name if cc is not None else ("tmcd" if timecode else "")
    title = meta.get("title") or meta.get("handler_name") or ""
    return StreamInfo(stream.index, stream.type, codec, meta.get("language", ""), title, default, pic, timecode)


def probe(path: str | Path) -> MediaInfo:
    """Probe ``path`` (once per process while the file stays as it is).

    Raises:
        InputError: when the file is missing, a folder, or not audio or video PyAV can read.
    """
    return _probe(Path(path))


@memo_by_file
def _probe(p: Path) -> MediaInfo:
    if p.is_dir():
        raise InputError(p, "is a folder, not a video")
    if not p.is_file():
        raise InputError(p, "no such file")
    source = str(p.resolve())  # absolute: a relative "a:b.mp4" would be read as protocol "a:"
    try:
        with av.open(source) as container:
            streams = tuple(_stream(s) for s in container.streams)
            if not any(s.kind in ("video", "audio") for s in streams):  # a text file read as subtitles
                what = f"ffmpeg reads it as {container.format.name!r} data, with no picture or sound"
                raise InputError(p, f"not a video: {what}")
            header_us = container.duration
            start_us = container.start_time or 0
            chapters = len(container.chapters())
            main = next((s for s in streams if s.kind == "video" and not s.attached_pic), None)
            times = scan_packets(container, main.index if main else None)
        facts = first_frame_facts(source, main.index) if main else None
        sound_starts(source, times.spans, [s.index for s in streams if s.kind == "audio"])
    except av.error.FFmpegError as exc:
        raise InputError(p, f"not a video (not a media file PyAV can read: {exc})") from None
    return _media_info(source, streams, header_us, start_us, chapters, times, facts)


def _media_info(
    source: str,
    streams: tuple[StreamInfo, ...],
    header_us: int | None,
    start_us: int,
    chapters: int,
    times: PacketTimes,
    f: FrameFacts | None,
) -> MediaInfo:
    duration_ms = header_us // 1000 if header_us else times.longest_ms
    return MediaInfo(
        source,
        int(duration_ms),
        f.width if f else 0,
        f.height if f else 0,
        f.fps if f else Fraction(0),
        len(times.video_ms),
        any(s.kind == "audio" for s in streams),
        streams,
        rotation=f.rotation if f else 0,
        sar=f.sar if f else Fraction(1),
        start_ms=times.video_start_ms if times.video_ms else min((a for a, _ in times.spans.values()), default=0),
        container_start_ms=start_us // 1000,
        lead_us=max((times.video_start_us or start_us) - start_us, 0),
        video_duration_ms=times.video_duration_ms,
        interlaced=f.interlaced if f else False,
        field_order=f.field_order if f else "",
        pix_fmt=f.pix_fmt if f else "",
        bit_depth=f.bit_depth if f else 8,
        color_primaries=f.color_primaries if f else "",
        color_trc=f.color_trc if f else "",
        colorspace=f.colorspace if f else "",
        vfr=times.vfr,
        frame_times_ms=times.relative_video_ms() if times.vfr else (),
        chapters=chapters,
        header_duration=bool(header_us),
        end_ms=times.last_end_ms,
        spans=tuple((i, a, b) for i, (a, b) in sorted(times.spans.items())),
        hidden_frames=times.hidden_frames,
        hidden_lead_ms=times.hidden_lead_ms,
    )


def subtitle_texts(path: str | Path) -> list[list[str]]:
    """The non-empty cue texts of each subtitle stream, in stream order (MP4 gap samples dropped).

    Raises:
        InputError: when the file cannot be read.
    """
    try:
        with av.open(str(path)) as container:
            subs = list(container.streams.subtitles)
            out: list[list[str]] = [[] for _ in subs]
            slot = {s.index: i for i, s in enumerate(subs)}
            for packet in container.demux(subs):
                if packet.size == 0 or packet.stream.index not in slot:
                    continue
                for sub in packet.decode():
                    text = _subtitle_text(sub)
                    if text:
                        out[slot[packet.stream.index]].append(text)
    except av.error.FFmpegError as exc:
        raise InputError(path, f"cannot read subtitles: {exc}") from None
    return out


def _subtitle_text(sub: object) -> str:
    # PyAV decodes text subtitles to AssSubtitle; `dialogue` is the plain text with real newlines.
    raw = getattr(sub, "dialogue", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.strip()
