"""A zoo of short generated sources that imitate the videos users bring (issue 9), and an independent probe.

Every source is made by the bundled ffmpeg (imageio-ffmpeg) from a recipe of argv steps, so the zoo needs no
downloads and no media in the repository. `build_zoo` builds what is missing into a cache folder: each file's
name carries a short hash of its recipe and of the ffmpeg version, so a changed recipe is rebuilt and an unchanged
one is reused. `probe_facts` reads a file with PyAV only, never with the code under test, so the tests of the
pipeline can check its outputs (streams, duration, geometry) against facts it did not compute itself.

This module must not import the `pipeline` package.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypedDict

import av
import imageio_ffmpeg

Step = tuple[str, ...]
"""One ffmpeg run: its argv without the binary. Placeholders: `{out}` the file being built, `{work}` a private
scratch folder (intermediate files, the `files` of the source), `{font}` a real TrueType font from an installed
font wheel. A step whose last argument is `pipe:1` has its standard output written to `{out}` (a non-seekable
output, as a live recorder writes it)."""

MAX_PROCESSES = 2
"""ffmpeg processes that run at once while the zoo builds (the project's machines have 2 cores)."""

_QUIET = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")
_H264 = ("-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p")
_AAC = ("-c:a", "aac", "-b:a", "96k")
_AVI_TS = ("-avoid_negative_ts", "disabled")  # else the audio encoder's priming leaves a gap after the first frame
_GOP = ("-g", "150", "-keyint_min", "150", "-sc_threshold", "0")  # keyframes 5 s apart, as in long-GOP camera files
_CUT = ("-ss", "2.5", "-t", "4", "-i")  # a cut 2.5 s after a keyframe (the next is 5 s in): `-ss` before `-i`


def _a(args: str) -> tuple[str, ...]:
    """Arguments written as on a command line (split like a shell, no expansion)."""
    return tuple(shlex.split(args))


def _pattern(size: str, seconds: float, rate: str = "30") -> tuple[str, ...]:
    """A moving test pattern (lavfi `testsrc2`) as an ffmpeg input."""
    return ("-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds:g}")


def _tone(seconds: float, freq: int = 440, rate: int = 48000) -> tuple[str, ...]:
    """A sine tone as an ffmpeg input (a beep once a second, so it is not a steady tone)."""
    return ("-f", "lavfi", "-i", f"sine=frequency={freq}:beep_factor=4:sample_rate={rate}:duration={seconds:g}")


def _steady(seconds: float, freq: int = 1000, rate: int = 48000) -> tuple[str, ...]:
    """A steady sine tone, the same level from start to end (no speech, no pauses)."""
    return ("-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={rate}:duration={seconds:g}")


@dataclass(frozen=True)
class ZooSource:
    """One generated source and the facts a test asserts against (what `probe_facts` must see).

    Geometry: `width` x `height` is the stored picture; `display_width` x `display_height` the displayed one,
    after the pixel aspect (`sar`, applied to the width, rounded) and the rotation (`rotation`, degrees as PyAV
    and ffprobe report the display matrix: -90 is a phone held upright). Times are in seconds: `start` is the
    first video timestamp (first audio one for audio-only), `duration` the video's duration (audio's for
    audio-only). Zero sizes and `video_codec=None` mean no video stream.
    """

    name: str
    file_name: str
    builder: tuple[Step, ...]
    why: str
    width: int
    height: int
    display_width: int
    display_height: int
    video_codec: str | None
    audio_codec: str | None
    duration: float
    audio_streams: int = 1
    rotation: int = 0
    sar: Fraction = Fraction(1)
    start: float = 0.0
    subtitle_streams: int = 0
    attachments: int = 0
    attached_pics: int = 0
    data_streams: int = 0
    chapters: int = 0
    interlaced: bool = False
    vfr: bool = False
    pix_fmt: str | None = "yuv420p"
    color_transfer: str | None = None
    header_duration: bool = True
    audio_duration: float | None = None
    files: tuple[tuple[str, str], ...] = ()
    """Text files written into `{work}` before the steps run: (file name, content)."""
    hidden: bool = False
    """Its video starts between keyframes: an edit list hides the frames before the first one shown."""
    subtitle_end: float | None = None
    """Where its longest subtitle stream ends (s), when that is past the picture and the sound."""


# Text inputs of the sources that carry subtitles and chapters.
_EXISTING_SRT = (
    "1\n00:00:00,500 --> 00:00:02,000\nSous-titres déjà là.\n\n2\n00:00:02,500 --> 00:00:04,000\nIls doivent rester.\n"
)
_EXISTING_ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 640
PlayResY: 360

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Sign,Noto Sans,28,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.00,Sign,,0,0,0,,A sign in the attached font
"""
_CHAPTERS = """;FFMETADATA1
[CHAPTER]
TIMEBASE=1/1000
START=0
END=2500
title=Opening

[CHAPTER]
TIMEBASE=1/1000
START=2500
END=5000
title=Ending
"""

ZOO: tuple[ZooSource, ...] = (
    ZooSource(
        name="phone_rotated",
        file_name="phone_rotated.mp4",
        why="portrait phone video: stored landscape, display matrix -90 (as iOS and Android write it)",
        builder=(
            (*_QUIET, *_pattern("640x360", 5), *_tone(5), *_H264, *_AAC, *_a("-shortest {work}/landscape.mp4")),
            (*_QUIET, *_a("-display_rotation:v:0 -90 -i {work}/landscape.mp4 -c copy {out}")),
        ),
        width=640,
        height=360,
        display_width=360,
        display_height=640,
        rotation=-90,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="vertical_1080x1920",
        file_name="vertical_1080x1920.mp4",
        why="vertical video stored upright (Shorts, Reels, TikTok exports)",
        builder=((*_QUIET, *_pattern("1080x1920", 4), *_tone(4), *_H264, *_AAC, *_a("-shortest {out}")),),
        width=1080,
        height=1920,
        display_width=1080,
        display_height=1920,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="uhd_4k",
        file_name="uhd_4k.mp4",
        why="a 4K UHD camera or drone clip (a small share of the band is a lot of pixels)",
        builder=((*_QUIET, *_pattern("3840x2160", 2, "24"), *_tone(2), *_H264, *_AAC, *_a("-shortest {out}")),),
        width=3840,
        height=2160,
        display_width=3840,
        display_height=2160,
        video_codec="h264",
        audio_codec="aac",
        duration=2.0,
    ),
    ZooSource(
        name="camcorder_ts",
        file_name="camcorder_ts.ts",
        why="a camcorder or broadcast recording in MPEG-TS whose timestamps start at 1000 s",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5, "25"),
                *_tone(5),
                *_H264,
                *_a("-c:a ac3 -b:a 192k -shortest -muxdelay 0 -muxpreload 0 -output_ts_offset 1000 -f mpegts {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        start=1000.0,
        video_codec="h264",
        audio_codec="ac3",
        duration=5.0,
    ),
    ZooSource(
        name="dvd_vob",
        file_name="dvd_vob.vob",
        why="a VOB copied off a 16:9 NTSC DVD: MPEG-2 720x480, pixel aspect 32:27, interlaced, starts at 0.5 s",
        builder=(
            (
                *_QUIET,
                *_pattern("720x480", 5, "30000/1001"),
                *_tone(5),
                *_a("-vf setsar=32/27,setfield=tff -target ntsc-dvd -aspect 16:9 -flags +ilme+ildct -b:v 3M"),
                *_a("-c:a ac3 -b:a 192k -shortest {out}"),
            ),
        ),
        # The DVD muxer writes navigation packets: PyAV lists them as a data stream.
        width=720,
        height=480,
        display_width=853,
        display_height=480,
        sar=Fraction(32, 27),
        start=0.5,
        interlaced=True,
        data_streams=1,
        video_codec="mpeg2video",
        audio_codec="ac3",
        duration=4.97,
    ),
    ZooSource(
        name="anamorphic_sd",
        file_name="anamorphic_sd.mp4",
        why="anamorphic SD (a DVD rip or SD broadcast) in H.264/MP4: 720x480 with pixel aspect 32:27",
        builder=(
            (
                *_QUIET,
                *_pattern("720x480", 5, "30000/1001"),
                *_tone(5),
                *_a("-vf setsar=32/27"),
                *_H264,
                *_AAC,
                *_a("-shortest {out}"),
            ),
        ),
        width=720,
        height=480,
        display_width=853,
        display_height=480,
        sar=Fraction(32, 27),
        video_codec="h264",
        audio_codec="aac",
        duration=4.97,
    ),
    ZooSource(
        name="interlaced_h264",
        file_name="interlaced_h264.mp4",
        why="1080i camcorder or broadcast H.264, top field first",
        builder=(
            (
                *_QUIET,
                *_pattern("1920x1080", 4, "25"),
                *_tone(4),
                *_a("-vf setfield=tff"),
                *_H264,
                *_a("-flags +ilme+ildct -x264-params interlaced=1:tff=1"),
                *_AAC,
                *_a("-shortest {out}"),
            ),
        ),
        width=1920,
        height=1080,
        display_width=1920,
        display_height=1080,
        interlaced=True,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="mkv_subs_fonts",
        file_name="mkv_subs_fonts.mkv",
        why="an MKV (fansub or archive) that already has two subtitle tracks, a font attachment and chapters",
        files=(("existing.fr.srt", _EXISTING_SRT), ("signs.ass", _EXISTING_ASS), ("chapters.txt", _CHAPTERS)),
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5),
                *_a("-i {work}/existing.fr.srt -i {work}/signs.ass -f ffmetadata -i {work}/chapters.txt"),
                *_a("-map 0:v -map 1:a -map 2:s -map 3:s -map_chapters 4"),
                *_H264,
                *_AAC,
                *_a("-c:s:0 srt -c:s:1 ass -metadata:s:s:0 language=fre -metadata:s:s:1 language=eng"),
                *_a("-metadata:s:s:1 title=Signs -attach {font} -metadata:s:t:0 mimetype=font/ttf"),
                *_a("-metadata:s:t:0 filename=NotoSans.ttf {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        subtitle_streams=2,
        attachments=1,
        chapters=2,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="mp4_cover_art",
        file_name="mp4_cover_art.mp4",
        why="an MP4 from a music or podcast tool with cover art (an attached picture, not a second video)",
        builder=(
            (*_QUIET, *_a("-f lavfi -i color=c=orange:size=300x300 -frames:v 1 {work}/cover.jpg")),
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5),
                *_a("-i {work}/cover.jpg -map 0:v -map 1:a -map 2:v"),
                *_H264,
                *_a("-c:v:1 copy -disposition:v:1 attached_pic"),
                *_AAC,
                "{out}",
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        attached_pics=1,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="prores_timecode",
        file_name="prores_timecode.mov",
        why="an editor's ProRes 422 Proxy export in MOV with a timecode track (01:00:00:00) and PCM audio",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4, "25"),
                *_tone(4),
                *_a("-c:v prores_ks -profile:v 0 -c:a pcm_s16le -timecode 01:00:00:00 -shortest {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        data_streams=1,
        pix_fmt="yuv422p10le",
        video_codec="prores",
        audio_codec="pcm_s16le",
        duration=4.0,
    ),
    ZooSource(
        name="webm_browser",
        file_name="webm_browser.webm",
        why="recorded live in a browser (MediaRecorder): VP8/Opus WebM with no duration in the header",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5),
                *_a("-c:v libvpx -deadline realtime -cpu-used 8"),
                *_a("-b:v 600k -c:a libopus -b:a 64k -shortest -f webm pipe:1"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        header_duration=False,
        video_codec="vp8",
        audio_codec="opus",
        duration=5.0,
    ),
    ZooSource(
        name="odd_1279x719",
        file_name="odd_1279x719.mkv",
        why="a window screen capture with an odd size (1279x719), H.264 4:4:4 as screen recorders write it",
        builder=(
            (
                *_QUIET,
                *_pattern("1280x720", 4),
                *_tone(4),
                *_a("-vf format=yuv444p,crop=1279:719:0:0"),
                *_a("-c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv444p"),
                *_AAC,
                *_a("-shortest {out}"),
            ),
        ),
        width=1279,
        height=719,
        display_width=1279,
        display_height=719,
        pix_fmt="yuv444p",
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="avi_wma",
        file_name="avi_wma.avi",
        why="an old AVI with MPEG-4 Part 2 (XviD) video and WMA audio, which MP4 cannot hold",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5, "25"),
                *_tone(5, rate=44100),
                *_a("-c:v mpeg4 -q:v 6 -tag:v XVID -c:a wmav2 -b:a 128k -shortest"),
                *_AVI_TS,
                "{out}",
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="mpeg4",
        audio_codec="wmav2",
        duration=5.0,
    ),
    ZooSource(
        name="dashcam_pcm_u8",
        file_name="dashcam_pcm_u8.avi",
        why="a dash cam or cheap camera AVI: H.264 with 8-bit unsigned PCM mono audio, which MP4 cannot hold",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5, rate=16000),
                *_H264,
                *_a("-c:a pcm_u8 -ac 1 -shortest"),
                *_AVI_TS,
                "{out}",
            ),
        ),
        # H.264 in AVI: the first frame's timestamp is one frame in (0.033 s).
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        start=0.033,
        video_codec="h264",
        audio_codec="pcm_u8",
        duration=5.0,
    ),
    ZooSource(
        name="vp8_webm",
        file_name="vp8_webm.webm",
        why="a VP8/Vorbis WebM from an older web export (MP4 cannot hold VP8)",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5),
                *_a("-c:v libvpx -deadline realtime -cpu-used 8"),
                *_a("-b:v 600k -c:a libvorbis -q:a 3 -shortest {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="vp8",
        audio_codec="vorbis",
        duration=5.0,
    ),
    ZooSource(
        name="wmv2_asf",
        file_name="wmv2_asf.wmv",
        why="a Windows Media file (WMV2 video, WMA audio in ASF) from an old archive",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5, "25"),
                *_tone(5, rate=44100),
                *_a("-c:v wmv2 -b:v 800k -c:a wmav2 -b:a 128k -shortest -f asf {out}"),
            ),
        ),
        # ASF timestamps are whole milliseconds after a preroll: the first frame is at 0.046 s.
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        start=0.046,
        video_codec="wmv2",
        audio_codec="wmav2",
        duration=5.0,
    ),
    ZooSource(
        name="mjpeg_avi",
        file_name="mjpeg_avi.avi",
        why="a digital still camera's movie mode: Motion JPEG AVI with 16-bit PCM mono (MP4 cannot hold MJPEG)",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4),
                *_tone(4, rate=22050),
                *_a("-vf format=yuvj420p -c:v mjpeg -q:v 8 -c:a pcm_s16le -ac 1 -shortest"),
                *_AVI_TS,
                "{out}",
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        pix_fmt="yuvj420p",
        video_codec="mjpeg",
        audio_codec="pcm_s16le",
        duration=4.0,
    ),
    ZooSource(
        name="avi_long_audio",
        file_name="avi_long_audio.avi",
        why="an AVI whose audio (6 s) runs past its video (4 s), as cut or captured AVIs often are",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4, "25"),
                *_tone(6, rate=44100),
                *_a("-c:v mpeg4 -q:v 6 -tag:v XVID -c:a libmp3lame -b:a 128k"),
                *_AVI_TS,
                "{out}",
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        audio_duration=6.0,
        video_codec="mpeg4",
        audio_codec="mp3",
        duration=4.0,
    ),
    ZooSource(
        name="audio_only_m4a",
        file_name="audio_only_m4a.m4a",
        why="a voice memo or podcast: audio only, no picture to burn into",
        builder=((*_QUIET, *_tone(5), *_AAC, "{out}"),),
        # The first AAC packet is 1024 samples before 0 (encoder priming): the edit list hides it, a player starts at 0.
        width=0,
        height=0,
        display_width=0,
        display_height=0,
        pix_fmt=None,
        start=0.0,
        video_codec=None,
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="vfr_mp4",
        file_name="vfr_mp4.mp4",
        why="variable frame rate (phone or screen recorder): 30 fps for 2 s, then a frame every 100 ms",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5),
                "-vf",
                r"select=lt(t\,2)+not(mod(n\,3))",
                *_a("-fps_mode vfr"),
                *_H264,
                *_AAC,
                *_a("-shortest {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        vfr=True,
        video_codec="h264",
        audio_codec="aac",
        duration=4.93,
    ),
    ZooSource(
        name="steady_tone",
        file_name="steady_tone.mp4",
        why="a clip whose audio is a steady 1 kHz tone (no speech): sync must refuse, not collapse cues",
        builder=((*_QUIET, *_pattern("640x360", 5), *_steady(5), *_H264, *_AAC, *_a("-shortest {out}")),),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="hevc_hlg",
        file_name="hevc_hlg.mp4",
        why="an HDR phone clip: HEVC Main 10, BT.2020 primaries, HLG transfer (arib-std-b67)",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4),
                *_tone(4),
                *_a("-c:v libx265 -preset ultrafast -pix_fmt yuv420p10le"),
                *_a("-color_primaries bt2020 -color_trc arib-std-b67 -colorspace bt2020nc -x265-params"),
                "log-level=error:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc",
                *_a("-tag:v hvc1"),
                *_AAC,
                *_a("-shortest {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        pix_fmt="yuv420p10le",
        color_transfer="arib-std-b67",
        video_codec="hevc",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="two_audio",
        file_name="two_audio.mp4",
        why="two audio tracks (original and dub, or dialogue and commentary): both must survive",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 5),
                *_tone(5, 440),
                *_tone(5, 660),
                *_a("-map 0:v -map 1:a -map 2:a"),
                *_H264,
                *_AAC,
                *_a("-metadata:s:a:0 language=eng -metadata:s:a:1 language=fra -shortest {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        audio_streams=2,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="midgop_h264_aac",
        file_name="midgop_h264_aac.mp4",
        why="a clip cut like the sample's with `ffmpeg -ss 2.5 -t 4 -i src.mp4 -c copy`: it starts 2.5 s into a GOP of"
        " H.264 High/AAC at 29.97 fps, and the MP4's edit lists hide the frames and sound before its first frame",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 8, "30000/1001"),
                *_tone(8),
                *_a("-c:v libx264 -preset veryfast -crf 30 -pix_fmt yuv420p"),  # High profile, B-frames
                *_GOP,
                *_AAC,
                "-shortest",
                "{work}/src.mp4",
            ),
            (*_QUIET, *_CUT, "{work}/src.mp4", *_a("-c copy -movflags +faststart {out}")),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
        hidden=True,
    ),
    ZooSource(
        name="midgop_hevc",
        file_name="midgop_hevc.mp4",
        why="a `-c copy` cut between keyframes of an HEVC phone clip (hvc1, AAC)",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 8),
                *_tone(8),
                *_a("-c:v libx265 -preset ultrafast -tag:v hvc1"),
                "-x265-params",
                "log-level=error:keyint=150:min-keyint=150:scenecut=0:bframes=0",
                *_AAC,
                "-shortest",
                "{work}/src.mp4",
            ),
            (*_QUIET, *_CUT, "{work}/src.mp4", *_a("-c copy {out}")),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="hevc",
        audio_codec="aac",
        duration=4.0,
        hidden=True,
    ),
    ZooSource(
        name="midgop_rotated",
        file_name="midgop_rotated.mp4",
        why="a `-c copy` cut between keyframes of a portrait phone video (display matrix -90)",
        builder=(
            (*_QUIET, *_pattern("640x360", 8), *_tone(8), *_H264, *_GOP, *_AAC, "-shortest", "{work}/src.mp4"),
            (*_QUIET, *_a("-display_rotation:v:0 -90"), *_CUT, "{work}/src.mp4", *_a("-c copy {out}")),
        ),
        width=640,
        height=360,
        display_width=360,
        display_height=640,
        rotation=-90,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
        hidden=True,
    ),
    ZooSource(
        name="midgop_anamorphic",
        file_name="midgop_anamorphic.mp4",
        why="a `-c copy` cut between keyframes of anamorphic SD H.264 (720x480, pixel aspect 32:27)",
        builder=(
            (
                *_QUIET,
                *_pattern("720x480", 8, "25"),
                *_tone(8),
                *_a("-vf setsar=32/27"),
                *_H264,
                *_GOP,
                *_AAC,
                "-shortest",
                "{work}/src.mp4",
            ),
            (*_QUIET, *_CUT, "{work}/src.mp4", *_a("-c copy {out}")),
        ),
        width=720,
        height=480,
        display_width=853,
        display_height=480,
        sar=Fraction(32, 27),
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
        hidden=True,
    ),
    ZooSource(
        name="recut_audio_copied",
        file_name="recut_audio_copied.mp4",
        why="a clip cut with its picture encoded again but its sound copied (`-c:v libx264 -c:a copy`): only the"
        " audio's edit list hides a pre-roll (most of an AAC packet)",
        builder=(
            (*_QUIET, *_pattern("640x360", 8), *_tone(8), *_H264, *_GOP, *_AAC, "-shortest", "{work}/src.mp4"),
            (*_QUIET, *_CUT, "{work}/src.mp4", *_H264, *_a("-c:a copy {out}")),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="mjpeg_long_pcm",
        file_name="mjpeg_long_pcm.avi",
        why="an old camera AVI (issue 19): MJPEG video of 4 s and PCM audio of 4.45 s; the header says 4 s",
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4, "25"),
                *_tone(4.45, rate=22050),
                *_a("-vf format=yuvj420p -c:v mjpeg -q:v 8 -c:a pcm_s16le -ac 1"),
                *_AVI_TS,
                "{out}",
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        pix_fmt="yuvj420p",
        audio_duration=4.45,
        video_codec="mjpeg",
        audio_codec="pcm_s16le",
        duration=4.0,
    ),
    ZooSource(
        name="video_outlasts_audio",
        file_name="video_outlasts_audio.mp4",
        why="a clip whose picture (5 s) runs on after its sound (3 s), as an exported timeline with a short music bed",
        builder=((*_QUIET, *_pattern("640x360", 5), *_tone(3), *_H264, *_AAC, "{out}"),),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        audio_duration=3.0,
        video_codec="h264",
        audio_codec="aac",
        duration=5.0,
    ),
    ZooSource(
        name="subs_outlast_both",
        file_name="subs_outlast_both.mkv",
        why="an MKV whose existing subtitle track runs to 6 s, past its picture and sound (4 s)",
        files=(("late.srt", "1\n00:00:01,000 --> 00:00:02,000\nEarly.\n\n2\n00:00:04,500 --> 00:00:06,000\nLate.\n"),),
        builder=(
            (
                *_QUIET,
                *_pattern("640x360", 4),
                *_tone(4),
                *_a("-i {work}/late.srt -map 0:v -map 1:a -map 2:s"),
                *_H264,
                *_AAC,
                *_a("-c:s srt -metadata:s:s:0 language=fre {out}"),
            ),
        ),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        subtitle_streams=1,
        subtitle_end=6.0,
        video_codec="h264",
        audio_codec="aac",
        duration=4.0,
    ),
    ZooSource(
        name="no_audio",
        file_name="no_audio.mp4",
        why="a silent screen recording or animation export: no audio stream at all",
        builder=((*_QUIET, *_pattern("640x360", 5), *_H264, "{out}"),),
        width=640,
        height=360,
        display_width=640,
        display_height=360,
        audio_streams=0,
        video_codec="h264",
        audio_codec=None,
        duration=5.0,
    ),
)

BY_NAME: dict[str, ZooSource] = {s.name: s for s in ZOO}

SHORT_CUES_SRT = "1\n00:00:00,500 --> 00:00:01,500\nYes.\n\n2\n00:00:02,000 --> 00:00:03,500\nOK, we go.\n"
"""Cues of one or two short words (a threshold on a share of the band misses them)."""


def _clock(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def full_cues_srt(duration: float) -> str:
    """The control: two ordinary full-line cues (one of them two lines), inside the first min(duration, 4) s."""
    scale = min(duration, 4.0) / 4.0
    cues = [
        (0.5 * scale, 1.8 * scale, "This first subtitle is a full line of text."),
        (2.0 * scale, 3.5 * scale, "And the second one has two lines,\nas long subtitles often do."),
    ]
    return "".join(f"{i}\n{_clock(a)} --> {_clock(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


def past_end_srt(duration: float) -> str:
    """The full cut's subtitles on a trimmed clip of `duration` s: full-line cues, the next-to-last runs 5 s past
    the end, the last starts 1 s after it."""
    cues = [
        (0.5, 1.4, "This first subtitle is a full line of text."),
        (duration - 1.0, duration + 5.0, "This line starts before the end and runs past it."),
        (duration + 1.0, duration + 3.0, "This one starts after the end of the video."),
    ]
    return "".join(f"{i}\n{_clock(a)} --> {_clock(b)}\n{text}\n\n" for i, (a, b, text) in enumerate(cues, 1))


# ---------------------------------------------------------------------------------------------------- building


def ffmpeg_exe() -> str:
    """The bundled ffmpeg (imageio-ffmpeg), or IMAGEIO_FFMPEG_EXE when set."""
    return str(imageio_ffmpeg.get_ffmpeg_exe())


@functools.cache
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version` (part of every cache key)."""
    out = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0] if out else "unknown"


@functools.cache
def font_file() -> Path:
    """A real TrueType font from an installed font wheel (for the MKV attachment)."""
    for package in ("fontpkg_noto_sans", "fontpkg_noto_sans_arabic", "fontpkg_noto_sans_thai"):
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        fonts = sorted(Path(spec.origin).parent.rglob("*.ttf"), key=lambda p: ("Italic" in p.name, p.name))
        if fonts:
            return fonts[0]
    for entry in sys.path:
        fonts = sorted(Path(entry).glob("fontpkg_*/**/*.ttf")) if entry and Path(entry).is_dir() else []
        if fonts:
            return fonts[0]
    raise FileNotFoundError("no .ttf font in the installed font wheels (fontpkg-noto-sans)")


def recipe_hash(source: ZooSource) -> str:
    """10 hex digits over the steps, the text files, the font's name and the ffmpeg version."""
    h = hashlib.sha256()
    h.update(ffmpeg_version().encode())
    for step in source.builder:
        h.update(b"\0step\0" + "\x1f".join(step).encode())
    for name, text in source.files:
        h.update(b"\0file\0" + name.encode() + b"\0" + text.encode())
    if any("{font}" in arg for step in source.builder for arg in step):
        h.update(b"\0font\0" + font_file().name.encode())
    return h.hexdigest()[:10]


def cached_name(source: ZooSource) -> str:
    """`<stem>.<hash><ext>`, e.g. `phone_rotated.1a2b3c4d5e.mp4`."""
    path = Path(source.file_name)
    return f"{path.stem}.{recipe_hash(source)}{path.suffix}"


def _run_step(step: Step, out: Path, work: Path) -> None:
    values = {"out": str(out), "work": str(work)}
    if any("{font}" in arg for arg in step):
        values["font"] = str(font_file())
    argv = [ffmpeg_exe(), *(arg.format(**values) if "{" in arg else arg for arg in step)]
    if argv[-1] == "pipe:1":
        with out.open("wb") as sink:
            done = subprocess.run(argv, stdout=sink, stderr=subprocess.PIPE, text=False, check=False)
    else:
        done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode != 0:
        log = done.stderr.decode("utf-8", "replace").strip().splitlines()[-15:]
        raise RuntimeError(f"ffmpeg exit {done.returncode}: {' '.join(argv)}\n" + "\n".join(log))


def build_source(source: ZooSource, folder: Path) -> Path:
    """Build one source into `folder` unless its cached file exists; return the file."""
    final = folder / cached_name(source)
    if final.exists():
        return final
    suffix = Path(source.file_name).suffix
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{source.name}.", dir=folder))
    try:
        for name, text in source.files:
            (work / name).write_text(text, encoding="utf-8")
        partial = work / f"{source.name}.part{suffix}"  # the extension tells ffmpeg the muxer
        for step in source.builder:
            _run_step(step, partial, work)
        if not partial.exists() or partial.stat().st_size == 0:
            raise RuntimeError(f"{source.name}: ffmpeg wrote nothing")
        os.replace(partial, final)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    stale = re.compile(re.escape(Path(source.file_name).stem) + r"\.[0-9a-f]{10}" + re.escape(suffix))
    for old in folder.iterdir():
        if old != final and stale.fullmatch(old.name):
            old.unlink(missing_ok=True)
    return final


def build_zoo(folder: Path, names: Iterable[str] | None = None) -> dict[str, Path]:
    """Build the missing sources of the zoo (all, or those named) into `folder`, at most 2 ffmpeg at once.

    Returns name -> file. A source's file name carries the hash of its recipe and of the ffmpeg version, so a
    changed recipe is rebuilt; each file is written under a temporary name and renamed when complete.
    """
    folder.mkdir(parents=True, exist_ok=True)
    wanted = list(ZOO) if names is None else [BY_NAME[n] for n in names]
    # The slowest first, so the two workers finish together.
    order = sorted(wanted, key=lambda s: -(s.width * s.height * s.duration))
    with ThreadPoolExecutor(max_workers=MAX_PROCESSES) as pool:
        built = dict(zip([s.name for s in order], pool.map(lambda s: build_source(s, folder), order), strict=True))
    return {s.name: built[s.name] for s in wanted}


# ---------------------------------------------------------------------------------------------------- probing


class StreamFacts(TypedDict):
    index: int
    type: str  # video, audio, subtitle, attachment, data
    codec: str | None
    attached_pic: bool
    language: str | None


class ProbeFacts(TypedDict):
    format: str
    streams: list[StreamFacts]
    video_codec: str | None  # the first video stream that is not an attached picture
    audio_codecs: list[str]
    audio_streams: int
    subtitle_streams: int
    attachments: int
    attached_pics: int
    data_streams: int
    chapters: int
    width: int
    height: int
    sar: Fraction
    rotation: int
    display_width: int
    display_height: int
    pix_fmt: str | None
    color_transfer: str | None
    start: float | None  # the first video frame's timestamp (first audio packet's for audio-only), seconds
    duration: float | None  # video: last frame's pts + its duration - first pts (audio for audio-only)
    frames: int
    vfr: bool
    interlaced: bool  # the first decoded frame's flag
    field_order: str | None
    header_duration: float | None  # the container's duration, None when the header has none
    audio_durations: list[float]
    span: float | None  # from `start` to the end of the last packet of any stream (subtitles included)
    hidden_frames: int  # video packets an edit list hides (times above count only the packets a player shows)


_TRC = {1: "bt709", 6: "smpte170m", 14: "bt2020-10", 15: "bt2020-12", 16: "smpte2084", 18: "arib-std-b67"}
_FIELD_ORDER = {1: "progressive", 2: "tt", 3: "bb", 4: "tb", 5: "bt"}


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    return None if value is None or time_base is None else float(value * time_base)


def _span(times: list[tuple[float, float]]) -> tuple[float | None, float | None]:
    """(first pts, last pts + last duration - first pts) of (pts, duration) pairs; a missing last duration
    is taken as the median step between timestamps."""
    if not times:
        return None, None
    pts = sorted(t for t, _ in times)
    steps = sorted(b - a for a, b in itertools.pairwise(pts) if b > a)
    last_pts, last_dur = max(times)
    if last_dur <= 0:
        last_dur = steps[len(steps) // 2] if steps else 0.0
    return pts[0], last_pts + last_dur - pts[0]


def probe_facts(path: Path | str) -> ProbeFacts:
    """What the file holds, read with PyAV only (no code of the pipeline): streams, geometry, times, flags.

    Display size applies the pixel aspect to the width, then the rotation of the display matrix (read from the
    first decoded frame's side data, which libavcodec copies from the stream's). Durations come from the packets
    (the last pts plus its duration), so they do not depend on the header, which a live-recorded WebM lacks.
    """
    with av.open(str(path)) as container:
        streams: list[StreamFacts] = []
        video: Any = None
        for s in container.streams:
            cc = s.codec_context if s.type in ("video", "audio", "subtitle") else None
            pic = bool(int(s.disposition) & int(av.stream.Disposition.attached_pic))
            codec = str(cc.codec.canonical_name) if cc is not None else None  # "mp3", not the decoder "mp3float"
            if codec is None and s.type == "data" and "timecode" in s.metadata:
                codec = "tmcd"
            streams.append(
                StreamFacts(
                    index=s.index, type=s.type, codec=codec, attached_pic=pic, language=s.metadata.get("language")
                )
            )
            if s.type == "video" and not pic and video is None:
                video = s
        audio = [s for s in container.streams if s.type == "audio"]
        header = None if container.duration is None else container.duration / 1_000_000
        chapters = len(container.chapters())

        per_stream: dict[int, list[tuple[float, float]]] = {}
        hidden: dict[int, int] = {}
        for packet in container.demux():
            if packet.pts is None or packet.stream.type not in ("video", "audio", "subtitle"):
                continue
            if packet.is_discard:  # what an edit list hides: demuxed (decoded for what follows), never shown
                hidden[packet.stream.index] = hidden.get(packet.stream.index, 0) + 1
                continue
            tb = packet.time_base
            per_stream.setdefault(packet.stream.index, []).append(
                (float(packet.pts * tb), float((packet.duration or 0) * tb))
            )

        width = height = rotation = 0
        sar = Fraction(1)
        pix_fmt = trc = field_order = None
        interlaced = False
        start: float | None = None
        if video is not None:
            cc = video.codec_context
            width, height, pix_fmt = cc.width, cc.height, cc.pix_fmt
            raw_sar = video.sample_aspect_ratio or cc.sample_aspect_ratio
            sar = Fraction(raw_sar) if raw_sar else Fraction(1)
            trc = _TRC.get(int(getattr(cc, "color_trc", 0) or 0))
            field_order = _FIELD_ORDER.get(int(getattr(cc, "field_order", 0) or 0))
            rotate = video.metadata.get("rotate")  # an old-style tag, where there is no display matrix
            rotation = -int(rotate) if rotate and rotate.lstrip("-").isdigit() else 0
        format_name = str(container.format.name)
        video_index = None if video is None else int(video.index)
        video_codec = None if video is None else str(video.codec_context.codec.canonical_name)
        audio_indexes = [int(s.index) for s in audio]
        audio_codecs = [str(s.codec_context.codec.canonical_name) for s in audio]
    if video_index is not None:
        with av.open(str(path)) as again:  # a fresh demuxer: seeking back is not exact in every format
            stream = next(s for s in again.streams if s.index == video_index)
            frame: Any
            for frame in again.decode(stream):
                rotation = round(frame.rotation or 0) or rotation
                interlaced = bool(frame.interlaced_frame)
                start = _seconds(frame.pts, frame.time_base)
                width, height = frame.width, frame.height
                break

    video_times = per_stream.get(video_index, []) if video_index is not None else []
    first, duration = _span(video_times)
    if video_index is None and audio_indexes:
        first, duration = _span(per_stream.get(audio_indexes[0], []))
        start = first
    elif start is None:
        start = first
    pts = sorted(t for t, _ in video_times)
    steps = [b - a for a, b in itertools.pairwise(pts) if b > a]
    vfr = bool(steps) and max(steps) > 1.5 * min(steps)
    ends = [t + d for times in per_stream.values() for t, d in times]
    span = None if start is None or not ends else max(ends) - start
    display_w, display_h = round(width * sar), height
    if rotation % 180 == 90 or rotation % 180 == -90:
        display_w, display_h = display_h, display_w
    audio_durations = [d for i in audio_indexes for _, d in [_span(per_stream.get(i, []))] if d is not None]
    return ProbeFacts(
        format=format_name,
        streams=streams,
        video_codec=video_codec,
        audio_codecs=audio_codecs,
        audio_streams=len(audio_codecs),
        subtitle_streams=sum(1 for s in streams if s["type"] == "subtitle"),
        attachments=sum(1 for s in streams if s["type"] == "attachment"),
        attached_pics=sum(1 for s in streams if s["attached_pic"]),
        data_streams=sum(1 for s in streams if s["type"] == "data"),
        chapters=chapters,
        width=width,
        height=height,
        sar=sar,
        rotation=rotation,
        display_width=display_w,
        display_height=display_h,
        pix_fmt=pix_fmt,
        color_transfer=trc,
        start=start,
        duration=duration,
        frames=len(video_times),
        vfr=vfr,
        interlaced=interlaced,
        field_order=field_order,
        header_duration=header,
        audio_durations=audio_durations,
        span=span,
        hidden_frames=0 if video_index is None else hidden.get(video_index, 0),
    )


def check_source(source: ZooSource, facts: ProbeFacts, tolerance: float = 0.1) -> list[str]:
    """The promised facts of `source` that `facts` contradict (empty when the file is what it claims)."""
    problems: list[str] = []

    def expect(what: str, got: object, want: object) -> None:
        if got != want:
            problems.append(f"{source.name}: {what} is {got!r}, expected {want!r}")

    def near(what: str, got: float | None, want: float) -> None:
        if got is None or abs(got - want) > tolerance:
            problems.append(f"{source.name}: {what} is {got!r}, expected {want} ± {tolerance}")

    expect("stored size", (facts["width"], facts["height"]), (source.width, source.height))
    expect(
        "display size", (facts["display_width"], facts["display_height"]), (source.display_width, source.display_height)
    )
    expect("rotation", facts["rotation"], source.rotation)
    if source.video_codec is not None:
        expect("pixel aspect", facts["sar"], source.sar)
    expect("video codec", facts["video_codec"], source.video_codec)
    expect("audio codecs", facts["audio_codecs"], [source.audio_codec] * source.audio_streams)
    expect("audio streams", facts["audio_streams"], source.audio_streams)
    expect("subtitle streams", facts["subtitle_streams"], source.subtitle_streams)
    expect("attachments", facts["attachments"], source.attachments)
    expect("attached pictures", facts["attached_pics"], source.attached_pics)
    expect("data streams", facts["data_streams"], source.data_streams)
    expect("chapters", facts["chapters"], source.chapters)
    expect("interlaced", facts["interlaced"], source.interlaced)
    expect("variable frame rate", facts["vfr"], source.vfr)
    expect("pixel format", facts["pix_fmt"], source.pix_fmt)
    expect("colour transfer", facts["color_transfer"], source.color_transfer)
    expect("duration in the header", facts["header_duration"] is not None, source.header_duration)
    near("first timestamp", facts["start"], source.start)
    near("duration", facts["duration"], source.duration)
    expect("frames hidden by an edit list", facts["hidden_frames"] > 0, source.hidden)
    longest = max(source.duration, source.audio_duration or 0.0, source.subtitle_end or 0.0)
    if source.subtitle_end is not None:
        near("played span", facts["span"], source.subtitle_end)
    if facts["span"] is None or facts["span"] > longest + tolerance:
        problems.append(f"{source.name}: streams run to {facts['span']!r} s, expected at most {longest} s")
    if source.audio_duration is not None:
        near("audio duration", max(facts["audio_durations"], default=None), source.audio_duration)
    return problems
