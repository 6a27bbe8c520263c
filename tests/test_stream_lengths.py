"""Streams of unequal length (issue 19 item 3): outputs play as long as the source plays, stream by stream.

A camera AVI whose sound outlasts its picture, a picture that outlasts its sound, and subtitles that outlast
both are burned and muxed as a player plays them: every stream keeps its length. Lengths are read by the zoo's
own probe; verification refuses an output whose sound was trimmed, padded, or whose subtitles run on further.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pipeline.media.probe import probe, subtitle_texts
from pipeline.render.verify import KeptStreams, verify_mux

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import quiet_cli, run_ffmpeg, two_cue_srt
from zoo import BY_NAME, build_zoo, probe_facts

pytestmark = pytest.mark.render

UNEQUAL = ["mjpeg_long_pcm", "video_outlasts_audio", "subs_outlast_both", "avi_long_audio"]


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir, UNEQUAL)


def _lengths(path: Path) -> tuple[float, list[float]]:
    facts = probe_facts(path)
    return facts["duration"] or 0.0, facts["audio_durations"]


@pytest.mark.parametrize(
    ("name", "command", "container"),
    [
        ("mjpeg_long_pcm", "burn", "mkv"),
        ("mjpeg_long_pcm", "burn", "mp4"),
        ("mjpeg_long_pcm", "mux", "mkv"),
        ("video_outlasts_audio", "burn", "mkv"),
        ("video_outlasts_audio", "mux", "mkv"),
        ("video_outlasts_audio", "mux", "mp4"),
        ("subs_outlast_both", "burn", "mkv"),
        ("subs_outlast_both", "mux", "mkv"),
        ("subs_outlast_both", "mux", "mp4"),
        ("avi_long_audio", "mux", "mkv"),
    ],
)
def test_every_stream_keeps_its_length(
    zoo: dict[str, Path], name: str, command: str, container: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = zoo[name], tmp_path / f"out.{container}"
    code, err = quiet_cli([command, str(source), str(two_cue_srt(tmp_path)), "-o", str(out)], capsys)
    assert code == 0, err
    (video, sounds), (src_video, src_sounds) = _lengths(out), _lengths(source)
    assert video == pytest.approx(src_video, abs=0.1)
    assert sounds == pytest.approx(src_sounds, abs=0.1)  # an AVI's longer sound plays on, a short one stays short
    if command == "mux" and BY_NAME[name].subtitle_end:  # the source's subtitles are carried as long as they run
        assert probe_facts(out)["span"] == pytest.approx(BY_NAME[name].subtitle_end, abs=0.1)


@pytest.fixture(scope="module")
def wrong(zoo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Outputs whose streams do not last as the source's."""
    folder = tmp_path_factory.mktemp("lengths")
    made = {name: folder / f"{name}.mkv" for name in ("trimmed", "padded", "subs_later")}
    run_ffmpeg("-i", str(zoo["mjpeg_long_pcm"]), "-c", "copy", "-t", "4", str(made["trimmed"]))
    padded = ["-c:v", "copy", "-af", "apad", "-c:a", "aac", "-t", "5", str(made["padded"])]
    run_ffmpeg("-i", str(zoo["video_outlasts_audio"]), *padded)  # the sound made as long as the picture
    src = str(zoo["subs_outlast_both"])
    later = ["-map", "0:v", "-map", "0:a", "-map", "1:s", "-c", "copy", str(made["subs_later"])]
    run_ffmpeg("-i", src, "-itsoffset", "2", "-i", src, *later)  # the subtitles 2 s later: they run to 8 s
    return made


@pytest.mark.parametrize(
    ("name", "source", "refusal"),
    [
        ("trimmed", "mjpeg_long_pcm", "audio stream 0 ends"),
        ("padded", "video_outlasts_audio", "audio stream 0 ends"),
        ("subs_later", "subs_outlast_both", "a stream runs past it"),
    ],
)
def test_verification_refuses_other_lengths(
    zoo: dict[str, Path], wrong: dict[str, Path], name: str, source: str, refusal: str
) -> None:
    out = wrong[name]
    kept = KeptStreams(subtitles=len(probe(out).subtitle_streams()))
    problems = verify_mux(probe(out), subtitle_texts(out), probe(zoo[source]), [], kept)
    assert any(refusal in p for p in problems), problems


def test_verification_passes_a_stream_copy_of_each(zoo: dict[str, Path], tmp_path: Path) -> None:
    """The control: a plain copy of every stream passes the checks the wrong outputs fail."""
    for name in ("mjpeg_long_pcm", "video_outlasts_audio", "subs_outlast_both"):
        out = tmp_path / f"{name}.mkv"
        run_ffmpeg("-i", str(zoo[name]), "-map", "0", "-c", "copy", str(out))
        kept = KeptStreams(subtitles=len(probe(out).subtitle_streams()))
        assert verify_mux(probe(out), subtitle_texts(out), probe(zoo[name]), [], kept) == [], name
