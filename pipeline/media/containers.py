"""Which streams a container can hold, and the ffmpeg options that carry a source's streams into it.

MKV holds every video and audio codec, attachments and the usual subtitle codecs; MP4 holds fewer. What
cannot be carried is either converted (audio to AAC; text subtitles to mov_text in MP4, mov_text to
SRT in MKV, language and title kept) or left out (a bitmap subtitle the container cannot hold), and
each such choice is a note the caller reports. A video codec MP4 cannot hold is refused
(:class:`ContainerError`): re-encoding the picture is not what a soft mux promises.
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
# QuickTime (.mov), where masters live, also holds ProRes and PCM as they are.
MOV_VIDEO = MP4_VIDEO | {"prores"}
MOV_AUDIO = MP4_AUDIO | {"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_s32le", "pcm_f32le"}
TEXT_SUBTITLES = frozenset({"subrip", "srt", "ass", "ssa", "webvtt", "mov_text", "text"})
# Subtitle codecs each container holds as they are (bitmaps: PGS, DVB, VobSub; MP4 holds only VobSub).
MKV_SUBTITLES = frozenset({"subrip", "ass", "ssa", "webvtt", "hdmv_pgs_subtitle", "dvb_subtitle", "dvd_subtitle"})
MP4_SUBTITLES = frozenset({"mov_text", "dvd_subtitle"})
COVER_TYPES = {"mjpeg": ("jpg", "image/jpeg"), "png": ("png", "image/png")}
AUDIO_BITRATE = "192k"
_HANDLER_NAMES = frozenset({"SubtitleHandler", "TextHandler"})  # what ffmpeg names an MP4 track without a title


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


def codecs_held(suffix: str) -> tuple[frozenset[str], frozenset[str]]:
    """The video and audio codecs an MP4 or MOV file (by its ``suffix``) holds as they are."""
    return (MOV_VIDEO, MOV_AUDIO) if suffix.lower() == ".mov" else (MP4_VIDEO, MP4_AUDIO)


def video_misfit(media: MediaInfo, suffix: str) -> str | None:
    """Why ``media``'s video cannot be stream-copied into a file ending in ``suffix``; None when it can."""
    codec = media.video_codec
    if codec and suffix.lower() in MP4_SUFFIXES and codec not in codecs_held(suffix)[0]:
        return f"{codec} video cannot go into {suffix} without re-encoding"
    return None


def check_video_fits(media: MediaInfo, target: Path) -> None:
    """Refuse to stream-copy a video codec that MP4 cannot hold.

    Raises:
        ContainerError: naming the codec and suggesting ``.mkv``.
    """
    misfit = video_misfit(media, target.suffix)
    if misfit:
        raise ContainerError(
            f"{media.path}: {misfit}; write {target.with_suffix('.mkv').name} instead (MKV holds it as is)"
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


def audio_options(stream: StreamInfo, mp4: bool, plan: StreamPlan, held: frozenset[str] = MP4_AUDIO) -> tuple[str, ...]:
    """Copy an audio stream, or convert it to AAC when MP4 cannot hold it (with a note; ``held``: what
    the MP4 or MOV holds)."""
    if mp4 and stream.codec not in held:
        plan.notes.append(f"audio stream {stream.index} ({stream.codec}) converted to AAC: MP4 cannot hold it")
        return ("-c:{i}", "aac", "-b:{i}", AUDIO_BITRATE)
    return ("-c:{i}", "copy")


def burn_audio_plan(media: MediaInfo, target: Path) -> StreamPlan:
    """Every audio stream of the source for a burned cut (output streams 1..n; 0 is the picture)."""
    plan = StreamPlan(outputs=1)
    for stream in media.audio_streams():
        plan.add(stream, *audio_options(stream, is_mp4(target), plan, codecs_held(target.suffix)[1]))
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
    video, audio = codecs_held(target.suffix)
    plan = StreamPlan()
    for stream in media.streams:
        if stream.kind == "video":
            _video(stream, media, mp4, plan, video)
        elif stream.kind == "audio":
            plan.add(stream, *audio_options(stream, mp4, plan, audio))
        elif stream.kind == "subtitle":
            _subtitle(stream, mp4, plan)
        elif stream.kind == "attachment":
            _attachment(stream, mp4, plan)
        else:
            _data(stream, mp4, plan)
    return plan


def _video(stream: StreamInfo, media: MediaInfo, mp4: bool, plan: StreamPlan, held: frozenset[str]) -> None:
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
    elif stream is media.video or not mp4 or stream.codec in held:
        plan.add(stream, "-c:{i}", "copy")
    else:
        plan.notes.append(f"video stream {stream.index} ({stream.codec}) left out: MP4 cannot hold it")


def subtitle_codec(codec: str, mp4: bool) -> str | None:
    """The codec an existing subtitle track of ``codec`` takes in MP4 or MKV: ``copy``, the text
    codec it is converted to, or None when the container cannot hold it (a bitmap it lacks)."""
    if codec in (MP4_SUBTITLES if mp4 else MKV_SUBTITLES):
        return "copy"
    if codec in TEXT_SUBTITLES:
        return "mov_text" if mp4 else "srt"
    return None


def track_name(stream: StreamInfo) -> str:
    """How a note names a subtitle track: ``subtitle stream 2 (hdmv_pgs_subtitle, eng, "Signs")``."""
    about = ", ".join([stream.codec or "unknown", *([stream.language] if stream.language else [])])
    return f"subtitle stream {stream.index} ({about}{f', {stream.title!r}' if stream.title else ''})"


def _subtitle(stream: StreamInfo, mp4: bool, plan: StreamPlan) -> None:
    codec = subtitle_codec(stream.codec, mp4)
    container = "MP4" if mp4 else "Matroska"
    if codec is None:
        plan.notes.append(f"{track_name(stream)} left out: {container} cannot hold {stream.codec or 'it'}")
        return
    if codec != "copy" and (codec != "mov_text" or stream.codec in ("ass", "ssa")):
        lost = ": styling lost" if stream.codec in ("ass", "ssa") else f" ({container} cannot hold {stream.codec})"
        plan.notes.append(f"{track_name(stream)} converted to {'SRT' if codec == 'srt' else codec}{lost}")
    # The new tracks carry the one default flag; the source's own tracks keep everything else. The
    # title is set again: MP4 keeps it as the handler name, and a converted track would lose it.
    i = plan.add(stream, "-c:{i}", codec, "-disposition:{i}", "0")
    title = "" if stream.title in _HANDLER_NAMES else stream.title  # MP4's handler name when it has no title
    for key in ("title", "handler_name") if mp4 else ("title",):
        plan.args += [f"-metadata:s:{i}", f"{key}={title}"] if title else []
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
