"""The argument lists of burning and muxing: pure functions that tests check exactly.

A burned cut is laid out for the displayed picture: ffmpeg turns a rotated source upright while
decoding (and the output carries no rotation), an odd size is padded by one black pixel to the
even size H.264 4:2:0 needs, a source of more than 8 bits stays 10-bit (x264 High 10) with its
colour description, and an interlaced source is encoded interlaced with its field order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.media.containers import MP4_SUFFIXES, StreamPlan
from pipeline.media.ffmpeg import base_args, escape_filter_value, safe_path
from pipeline.media.probe import MediaInfo

_FIELDS = {"tt": ("tt", "tff=1"), "tb": ("tb", "tff=1"), "bb": ("bb", "bff=1"), "bt": ("bt", "bff=1")}
BURN_THREADS = 4
"""x264 threads of each output of a monolithic burn. Fixed (and sliced threads off, as the chunk path
does) because x264's bytes depend on its thread count: left to ffmpeg it is 1.5 x the machine's cores,
so two machines (a cluster's workers) would burn different bytes."""
BURN_X264 = f"threads={BURN_THREADS}:sliced-threads=0"
"""The ``-x264-params`` that fix a monolithic burn's threading (merged into a source's own)."""


@dataclass(frozen=True)
class BurnOutput:
    """One burned cut of a multi-output burn: its subtitle file (in the work dir) and its target."""

    subtitle: str
    target: Path


@dataclass(frozen=True)
class Picture:
    """How the burned picture is encoded: padding to even size, pixel format, extra encoder options."""

    pad: bool = False
    pix_fmt: str = "yuv420p"
    options: tuple[str, ...] = ()
    lead: str = ""
    """Seconds the file's clock runs before the first frame (audio that starts first): the subtitle
    clock is shifted by it, so a cue at 0 s shows on the first frame."""


def picture_for(media: MediaInfo) -> Picture:
    """The :class:`Picture` that keeps ``media``'s bit depth, colours and interlacing."""
    upright_w, upright_h = upright_size(media)
    options: list[str] = []
    for flag, value in (
        ("-color_primaries", media.color_primaries),
        ("-color_trc", media.color_trc),
        ("-colorspace", media.colorspace),
    ):
        if value:
            options += [flag, value]
    if media.interlaced and media.field_order in _FIELDS:
        order, x264 = _FIELDS[media.field_order]
        options += ["-flags", "+ildct+ilme", "-x264-params", x264, "-field_order", order]
    pix_fmt = "yuv420p10le" if media.bit_depth > 8 else "yuv420p"
    return Picture(bool(upright_w % 2 or upright_h % 2), pix_fmt, tuple(options), lead_seconds(media))


def lead_seconds(media: MediaInfo) -> str:
    """How long the file's clock (ffmpeg's, from its earliest stream) runs before the first video
    frame, as ffmpeg seconds ("" when none): subtitle times count from the first frame."""
    lead_us = media.lead_us if media.video else 0
    return f"{lead_us / 1_000_000:.6f}" if lead_us > 0 else ""


def upright_size(media: MediaInfo) -> tuple[int, int]:
    """The stored size of the picture once ffmpeg has turned it upright (before any padding)."""
    return (media.height, media.width) if media.rotated else (media.width, media.height)


def burn_size(media: MediaInfo) -> tuple[int, int]:
    """The stored size of a burned cut of ``media``: upright, odd sizes padded to even."""
    w, h = upright_size(media)
    return w + w % 2, h + h % 2


def burn_args(
    video: Path,
    outputs: Sequence[BurnOutput],
    fontsdir: str,
    *,
    crf: int = 23,
    preset: str = "veryfast",
    picture: Picture = Picture(),
    audio: Sequence[str] = ("-map", "0:a?", "-c:a", "copy"),
    stream: str = "0:v:0",
) -> list[str]:
    """One process that decodes ``video``'s ``stream`` once and encodes every output (``split`` filter)."""
    n = len(outputs)
    head = f"[{stream}]" + (f"setpts=PTS-{picture.lead}/TB," if picture.lead else "")
    head += "pad=ceil(iw/2)*2:ceil(ih/2)*2," if picture.pad else ""
    back = f",setpts=PTS+{picture.lead}/TB" if picture.lead else ""
    graph = [f"{head}split={n}" + "".join(f"[v{i}]" for i in range(n)) if n > 1 else f"{head}null[v0]"]
    fonts = escape_filter_value(fontsdir)
    for i, out in enumerate(outputs):
        graph.append(f"[v{i}]subtitles=filename={escape_filter_value(out.subtitle)}:fontsdir={fonts}{back}[o{i}]")
    argv = [*base_args(), "-i", safe_path(video), "-filter_complex", ";".join(graph)]
    options = _fixed_threads(picture.options)
    for i, out in enumerate(outputs):
        argv += ["-map", f"[o{i}]", *audio, "-c:v", "libx264", "-preset", preset, "-crf", str(crf)]
        argv += ["-pix_fmt", picture.pix_fmt, *options]
        if out.target.suffix.lower() in MP4_SUFFIXES:
            argv += ["-movflags", "+faststart"]
        argv.append(safe_path(out.target))
    return argv


def _fixed_threads(options: Sequence[str]) -> list[str]:
    """``options`` with :data:`BURN_X264` in their ``-x264-params`` (added when there are none)."""
    out = list(options)
    if "-x264-params" in out[:-1]:
        at = out.index("-x264-params") + 1
        out[at] = f"{out[at]}:{BURN_X264}"
        return out
    return [*out, "-x264-params", BURN_X264]


@dataclass(frozen=True)
class SoftTrack:
    """A subtitle track to mux: its file, ISO 639-2 code, title, and whether it is the default."""

    path: Path
    iso639_2: str
    title: str
    default: bool = False


@dataclass(frozen=True)
class Cover:
    """Cover art extracted from the source, to attach to an MKV (where it stays a picture)."""

    path: Path
    mimetype: str


def mux_args(
    video: Path,
    tracks: Sequence[SoftTrack],
    target: Path,
    plan: StreamPlan | None = None,
    covers: Sequence[Cover] = (),
    lead: str = "",
) -> list[str]:
    """Stream-copy ``video``'s streams (by ``plan``, default: video and audio) and add ``tracks``.

    The new tracks are mov_text in MP4, SRT in MKV; cover art goes in as MKV attachments.
    """
    argv = [*base_args(), "-i", safe_path(video)]
    for track in tracks:
        # cue times count from the first video frame, the output's clock from the earliest stream
        argv += [*(["-itsoffset", lead] if lead else []), "-i", safe_path(track.path)]
    first = plan.outputs if plan else 2
    argv += ["-c", "copy", *(plan.args if plan else ["-map", "0:v?", "-map", "0:a?"])]
    codec = "mov_text" if target.suffix.lower() in MP4_SUFFIXES else "srt"
    for i, track in enumerate(tracks):
        s = f"{first + i}" if plan else f"s:{i}"
        argv += ["-map", f"{i + 1}:0", f"-c:{s}", codec]
        argv += [f"-metadata:s:{s}", f"language={track.iso639_2}", f"-metadata:s:{s}", f"title={track.title}"]
        argv += [f"-metadata:s:{s}", f"handler_name={track.title}"]
        argv += [f"-disposition:{s}", "default" if track.default else "0"]
    for j, cover in enumerate(covers):
        argv += ["-attach", safe_path(cover.path), f"-metadata:s:t:{j}", f"mimetype={cover.mimetype}"]
    if codec == "mov_text":
        argv += ["-movflags", "+faststart"]
    else:  # Matroska draws random UIDs unless bitexact: the same inputs give the same bytes
        argv += ["-fflags", "+bitexact"]
    return [*argv, safe_path(target)]


REENCODERS = {"hevc": ("libx265", 20)}
"""The encoder (and CRF) of a picture that must be encoded again, by its codec; x264 at CRF 18 for the rest."""


def reencode_args(media: MediaInfo, index: int, preset: str = "veryfast") -> list[str]:
    """Options that encode output stream ``index`` (the main video) again, in its codec where it is HEVC
    (else H.264), as a burn lays it out (upright, even size, the source's bit depth, colours and
    interlacing), close to the source's look."""
    encoder, crf = REENCODERS.get(media.video_codec, ("libx264", 18))
    picture = picture_for(media)
    argv = [f"-c:{index}", encoder, f"-preset:{index}", preset, f"-crf:{index}", str(crf)]
    if encoder == "libx264":
        options = _fixed_threads(picture.options)
    else:
        at = picture.options.index("-x264-params") if "-x264-params" in picture.options else len(picture.options)
        options = [*picture.options[:at], *picture.options[at + 2 :], "-x265-params", "log-level=error"]
    argv += [f"-pix_fmt:{index}", picture.pix_fmt, *options]
    return argv + ([f"-filter:{index}", "pad=ceil(iw/2)*2:ceil(ih/2)*2"] if picture.pad else [])


def outlasts_picture(media: MediaInfo, slack_ms: int = 150) -> bool:
    """Whether a sound or subtitle stream of ``media`` plays on after its last frame (an AVI's audio)."""
    return bool(media.video_duration_ms) and media.played_ms[1] > media.video_duration_ms + slack_ms
