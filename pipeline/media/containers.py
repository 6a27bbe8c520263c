"""Which streams a container can hold, and the ffmpeg options that carry a source's streams into it.

MKV holds every codec, subtitle and attachment; MP4 holds fewer. What cannot be carried is either
converted (audio to AAC, text subtitles to mov_text) or left out, and each such choice is a note the
caller reports. A video codec MP4 cannot hold is refused (:class:`ContainerError`): re-encoding the
picture is not what a soft mux promises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.errors import ContainerError, InputError
from pipeline.media.probe import MediaInfo, StreamInfo

MP4_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
# What MP4 players read (ffmpeg also writes MJPEG and PCM into MP4, which few players play).
MP4_VIDEO = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4", "mpeg2video", "mpeg1video"})
MP4_AUDIO = frozenset({"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac", "mp2"})
TEXT_SUBTITLES = frozenset({"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"})
COVER_TYPES = {"mjpeg": ("jpg", "image/jpeg"), "png": ("png", "image/png")}
AUDIO_BITRATE = "192k"


def is_mp4(target: Path) -> bool:
    """Whether ``target``'s name asks for an MP4/QuickTime file (else Matroska rules apply)."""
    return target.suffix.lower() in MP4_SUFFIXES


def require_video(media: MediaInfo) -> StreamInfo:
    """The main video stream of ``media``.

    Raises:
        InputError: when there is none (an audio-only file has no picture to burn into).
    """
    if media.video is None:
        raise InputError(media.path, "no video stream (audio only): there is no picture to burn subtitles into")
    return media.video


def check_video_fits(media: MediaInfo, target: Path) -> None:
    """Refuse to stream-copy a video codec that MP4 cannot hold.

    Raises:
        ContainerError: naming the codec and suggesting ``.mkv``.
    """
    codec = media.video_codec
    if codec and is_mp4(target) and codec not in MP4_VIDEO:
        raise ContainerError(
            f"{media.path}: {codec} video cannot go into {target.suffix} without re-encoding; "
            f"write {target.with_suffix('.mkv').name} instead (MKV holds it as is)"
        )


@dataclass
class StreamPlan:
    """``-map``/``-c``/``-disposition`` options for input 0's streams, and what was changed or left out."""

    args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outputs: int = 0
    subtitles: int = 0
    covers: list[StreamInfo] = field(default_factory=list)
    mapped: list[StreamInfo] = field(default_factory=list)
    """The source's streams in output order (without the covers that go in as MKV attachments)."""
    reencoded: int | None = None
    """The output index of a video stream that cannot be copied as it is shown (see :func:`mux_plan`)."""

    def add(self, stream: StreamInfo, *options: str) -> int:
        """Map ``stream`` as the next output stream with ``options`` (``{i}`` = its output index)."""
        i = self.outputs
        self.args += ["-map", f"0:{stream.index}", *(o.format(i=i) for o in options)]
        self.outputs += 1
        self.mapped.append(stream)
        return i


def audio_options(stream: StreamInfo, mp4: bool, plan: StreamPlan) -> tuple[str, ...]:
    """Copy an audio stream, or convert it to AAC when MP4 cannot hold it (with a note)."""
    if mp4 and stream.codec not in MP4_AUDIO:
        plan.notes.append(f"audio stream {stream.index} ({stream.codec}) converted to AAC: MP4 cannot hold it")
        return ("-c:{i}", "aac", "-b:{i}", AUDIO_BITRATE)
    return ("-c:{i}", "copy")


def burn_audio_plan(media: MediaInfo, target: Path) -> StreamPlan:
    """Every audio stream of the source for a burned cut (output streams 1..n; 0 is the picture)."""
    plan = StreamPlan(outputs=1)
    for stream in media.audio_streams():
        plan.add(stream, *audio_options(stream, is_mp4(target), plan))
    return plan


def mux_plan(media: MediaInfo, target: Path) -> StreamPlan:
    """Every stream of the source that ``target``'s container can hold, in order, stream-copied
    (the main video encoded again for Matroska when it starts between keyframes).

    A sound's pre-roll that an MP4 edit list hides is copied as it is: ffmpeg writes it into
    Matroska before 0 with a ``CodecDelay`` as long, which players skip.

    Raises:
        ContainerError: when the main video's codec does not fit ``target``'s container.
    """
    check_video_fits(media, target)
    mp4 = is_mp4(target)
    plan = StreamPlan()
    for stream in media.streams:
        if stream.kind == "video":
            _video(stream, media, mp4, plan)
        elif stream.kind == "audio":
            plan.add(stream, *audio_options(stream, mp4, plan))
        elif stream.kind == "subtitle":
            _subtitle(stream, mp4, plan)
        elif stream.kind == "attachment":
            _attachment(stream, mp4, plan)
        else:
            _data(stream, mp4, plan)
    return plan


def _video(stream: StreamInfo, media: MediaInfo, mp4: bool, plan: StreamPlan) -> None:
    if stream.attached_pic and not mp4:
        # Matroska keeps cover art as an attachment (the caller extracts it and adds -attach);
        # a copied stream would come back as a second video.
        plan.covers.append(stream)
        return
    if stream.attached_pic:
        plan.add(stream, "-c:{i}", "copy", "-disposition:{i}", "attached_pic")
    elif stream is media.video and not mp4 and media.hidden_frames:
        # A cut between keyframes: the frames before the first shown one must be decoded, and only an
        # MP4 edit list can hide them. Matroska would play them, so the picture is encoded again.
        plan.reencoded = plan.add(stream)
        plan.notes.append(
            f"video stream {stream.index} ({stream.codec}) encoded again: it starts between keyframes and "
            f"Matroska cannot hide the {media.hidden_frames} frames before its first; an MP4 copies it as it is"
        )
    elif stream is media.video or not mp4 or stream.codec in MP4_VIDEO:
        plan.add(stream, "-c:{i}", "copy")
    else:
        plan.notes.append(f"video stream {stream.index} ({stream.codec}) left out: MP4 cannot hold it")


def _subtitle(stream: StreamInfo, mp4: bool, plan: StreamPlan) -> None:
    # The new tracks carry the one default flag; the source's own tracks keep everything else.
    if not mp4:
        plan.add(stream, "-c:{i}", "copy", "-disposition:{i}", "0")
    elif stream.codec in TEXT_SUBTITLES:
        if stream.codec in ("ass", "ssa"):
            plan.notes.append(f"subtitle stream {stream.index} ({stream.codec}) converted to mov_text: styling lost")
        plan.add(stream, "-c:{i}", "mov_text", "-disposition:{i}", "0")
    else:
        plan.notes.append(f"subtitle stream {stream.index} ({stream.codec}) left out: MP4 cannot hold it")
        return
    plan.subtitles += 1


def _attachment(stream: StreamInfo, mp4: bool, plan: StreamPlan) -> None:
    if mp4:
        plan.notes.append(f"attachment {stream.index} ({stream.title or 'a file'}) left out: MP4 has no attachments")
    else:
        plan.add(stream)  # fonts of the existing subtitles


def _data(stream: StreamInfo, mp4: bool, plan: StreamPlan) -> None:
    if stream.codec == "tmcd":
        # MP4 writes its own timecode track from the video's timecode tag; MKV keeps the tag.
        if not mp4:
            plan.notes.append(f"timecode {stream.timecode} kept as a tag of the video (MKV has no timecode track)")
        return
    plan.notes.append(f"data stream {stream.index} ({stream.codec or 'unknown'}) left out")
