from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.core.errors import FfmpegError
from pipeline.media.commands import BurnOutput, Picture, SoftTrack, burn_args, mux_args
from pipeline.media.ffmpeg import escape_filter_value, ffmpeg_exe, run_ffmpeg, safe_path

ODD = "/tmp/a dir/it's: [x], y; z.ass"


def test_escape_two_levels() -> None:
    assert escape_filter_value("/a/b.ass") == "/a/b.ass"
    assert escape_filter_value("c:/x") == "c\\\\:/x"
    assert escape_filter_value("it's") == "it\\\\\\'s"
    assert escape_filter_value("a,b;c[d]") == "a\\,b\\;c\\[d\\]"
    assert escape_filter_value("C:\\subs\\a.ass") == "C\\\\:/subs/a.ass"


def test_escaped_path_survives_real_ffmpeg(tmp_path: Path) -> None:
    """A subtitle file whose name holds quote, colon, comma, brackets, semicolon: ffmpeg opens it."""
    folder = tmp_path / "it's: [odd], dir; 한국"
    folder.mkdir()
    sub = folder / "x'y:z.srt"
    sub.write_text("1\n00:00:00,000 --> 00:00:00,500\nhi\n", encoding="utf-8")
    graph = f"subtitles=filename={escape_filter_value(str(sub))}"
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        "color=size=64x64:duration=0.2",
        "-vf",
        graph,
        "-f",
        "null",
        "-",
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_safe_path_guards_a_leading_dash() -> None:
    assert safe_path(Path("-o.mp4")) == "./-o.mp4"
    assert safe_path(Path("/abs/-o.mp4")) == "/abs/-o.mp4"


def test_burn_args_one_decode_n_encodes() -> None:
    argv = burn_args(
        Path("/v/in.mp4"),
        [BurnOutput("track0.ass", Path("/o/a.mp4")), BurnOutput("track1.ass", Path("/o/b.mp4"))],
        "fonts",
        crf=20,
        preset="fast",
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph == (
        "[0:v:0]split=2[v0][v1];[v0]subtitles=filename=track0.ass:fontsdir=fonts[o0];"
        "[v1]subtitles=filename=track1.ass:fontsdir=fonts[o1]"
    )
    assert argv.count("-map") == 4 and argv[-1] == "/o/b.mp4"
    assert argv[argv.index("-crf") + 1] == "20" and "libx264" in argv
    assert argv.count("-i") == 1
    # x264's bytes depend on its thread count: fixed, whatever the machine's cores (a cluster's workers differ)
    assert argv.count("-x264-params") == 2
    assert {argv[i + 1] for i, a in enumerate(argv) if a == "-x264-params"} == {"threads=4:sliced-threads=0"}


def test_mux_args_tags_and_dispositions() -> None:
    tracks = [SoftTrack(Path("/w/t0.srt"), "eng", "English", True), SoftTrack(Path("/w/t1.srt"), "kor", "한국어")]
    argv = mux_args(Path("/v/in.mp4"), tracks, Path("/o/out.mp4"))
    assert argv[argv.index("-c:s:0") + 1] == "mov_text"
    assert "language=eng" in argv and "language=kor" in argv and "title=한국어" in argv
    assert argv[argv.index("-disposition:s:0") + 1] == "default"
    assert argv[argv.index("-disposition:s:1") + 1] == "0"
    assert argv[argv.index("-c") + 1] == "copy"
    mkv = mux_args(Path("/v/in.mp4"), tracks, Path("/o/out.mkv"))
    assert mkv[mkv.index("-c:s:1") + 1] == "srt"


def test_run_ffmpeg_failure_carries_argv_stderr_and_hint(tmp_path: Path) -> None:
    bad = tmp_path / "not-media.mp4"
    bad.write_bytes(b"this is not a video")
    argv = [ffmpeg_exe(), "-nostdin", "-i", str(bad), "-f", "null", "-"]
    with pytest.raises(FfmpegError) as info:
        run_ffmpeg(argv)
    assert info.value.returncode != 0 and info.value.argv == argv
    assert "Invalid data" in info.value.stderr_tail and "not a media file" in info.value.hint
    assert "\n" not in str(info.value)


def test_run_ffmpeg_reports_progress() -> None:
    seen: list[float] = []
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-y",
        "-progress",
        "pipe:1",
        "-nostats",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=2",
        "-f",
        "null",
        "-",
    ]
    run_ffmpeg(argv, duration_us=2_000_000, on_progress=seen.append)
    assert seen and seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


def test_ffmpeg_failure_is_one_line_with_its_cause_and_the_log_beside(tmp_path: Path) -> None:
    log = tmp_path / "out.mp4.ffmpeg.log"
    argv = [ffmpeg_exe(), "-nostdin", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:duration=0.2"]
    argv += [
        "-vf",
        "format=yuv444p,crop=1279:719:0:0",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        str(tmp_path / "o.mp4"),
    ]
    with pytest.raises(FfmpegError) as info:
        run_ffmpeg(argv, log_path=log)
    message = str(info.value)
    assert "\n" not in message and "width not divisible by 2" in message and str(log) in message
    assert "libx264" in log.read_text(encoding="utf-8") and info.value.log_path == str(log)


def test_burn_args_for_odd_interlaced_10_bit_sources_with_leading_audio() -> None:
    picture = Picture(True, "yuv420p10le", ("-flags", "+ildct+ilme", "-x264-params", "tff=1"), "0.500")
    argv = burn_args(
        Path("/v/in.ts"),
        [BurnOutput("track0.ass", Path("/o/a.mp4"))],
        "fonts",
        picture=picture,
        stream="0:1",
    )
    graph = argv[argv.index("-filter_complex") + 1]
    assert graph == (
        "[0:1]setpts=PTS-0.500/TB,pad=ceil(iw/2)*2:ceil(ih/2)*2,null[v0];"
        "[v0]subtitles=filename=track0.ass:fontsdir=fonts,setpts=PTS+0.500/TB[o0]"
    )
    assert argv[argv.index("-pix_fmt") + 1] == "yuv420p10le"
    assert argv.count("-x264-params") == 1  # one, merged: a second would replace the field order
    assert argv[argv.index("-x264-params") + 1] == "tff=1:threads=4:sliced-threads=0"
    assert "-t" not in argv  # every stream as long as in the source: a player plays an AVI's longer sound
