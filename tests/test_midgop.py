"""Clips cut with `ffmpeg -ss X -t Y -i src -c copy` (issue 18 item 1): MKV and MP4 play what the source plays.

Such a clip starts between keyframes; its MP4 edit lists hide the frames and the sound before the first frame
shown. The outputs are judged as a player shows them, by this file's own PyAV decode (not the pipeline's probe):
the first and last displayed frames (pixels in display geometry, times from the file's first timestamp) and
where the sound starts. Broken outputs (the pre-roll shown, the first GOP dropped, the sound shifted) are refused.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest

from pipeline.media.mkvcheck import layout_problems
from pipeline.media.mkvduration import lower_duration
from pipeline.media.probe import probe
from pipeline.render.verify import KeptStreams, verify_mux

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import SAMPLE_VIDEO, quiet_cli, run_ffmpeg, two_cue_srt
from zoo import BY_NAME, build_zoo

pytestmark = pytest.mark.render

MIDGOP = ["midgop_h264_aac", "midgop_hevc", "midgop_rotated", "midgop_anamorphic", "recut_audio_copied"]
Gray = npt.NDArray[np.uint8]
CHANGED_LEVELS = 40  # a pixel differs when its grey level moved by more than this (codec noise moves less)
SAME_PICTURE = 0.01  # at most this share of changed pixels: the same picture


@dataclass(frozen=True)
class Played:
    """What a player shows of a file: first and last frame (time from the file's first shown timestamp,
    grey picture as displayed) and when the sound starts (same clock)."""

    first_s: float
    first: Gray
    last_s: float
    last: Gray
    sound_s: float | None


def _picture(frame: Any, sar: Fraction) -> Gray:
    gray = frame.reformat(width=max(round(frame.width * sar), 1), height=frame.height, format="gray").to_ndarray()
    return np.ascontiguousarray(np.rot90(np.asarray(gray, np.uint8), k=round((frame.rotation or 0) / 90) % 4))


def played(path: Path) -> Played:
    """Decode ``path`` as a player does (libav drops what an edit list hides, skips a codec delay)."""
    with av.open(str(path)) as container:
        video = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
        sar = Fraction(video.sample_aspect_ratio or 1)
        frames = [(float(f.time or 0), _picture(f, sar)) for f in container.decode(video)]
    sound = None
    with av.open(str(path)) as container:
        if container.streams.audio:
            sound = float(next(container.decode(container.streams.audio[0])).time or 0)
    frames.sort(key=lambda f: f[0])
    zero = min(frames[0][0], sound if sound is not None else frames[0][0])
    return Played(
        frames[0][0] - zero, frames[0][1], frames[-1][0] - zero, frames[-1][1], None if sound is None else sound - zero
    )


def changed(a: Gray, b: Gray) -> float:
    """Share of pixels whose grey level differs by more than :data:`CHANGED_LEVELS` (the common part)."""
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    return float((np.abs(a[:h, :w].astype(np.int16) - b[:h, :w].astype(np.int16)) > CHANGED_LEVELS).mean())


def plays_as(out: Path, source: Path, frame_s: float = 0.04) -> list[str]:
    """How ``out`` plays differently from ``source`` (empty: the same first and last frame, the sound in sync)."""
    got, want = played(out), played(source)
    problems = []
    for what, g, w in (("first", got.first, want.first), ("last", got.last, want.last)):
        if changed(g, w) > SAME_PICTURE:
            problems.append(f"{what} frame differs ({changed(g, w):.1%} of pixels)")
    if abs(got.first_s - want.first_s) > frame_s / 2 or abs(got.last_s - want.last_s) > frame_s / 2:
        problems.append(
            f"frames at {got.first_s:.3f}..{got.last_s:.3f} s, the source's {want.first_s:.3f}..{want.last_s:.3f}"
        )
    if (got.sound_s is None) != (want.sound_s is None) or (
        got.sound_s is not None and want.sound_s is not None and abs(got.sound_s - want.sound_s) > 0.05
    ):
        problems.append(f"sound starts at {got.sound_s} s, the source's at {want.sound_s} s")
    return problems


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir, MIDGOP)


@pytest.mark.parametrize("container", ["mkv", "mp4"])
@pytest.mark.parametrize("name", MIDGOP)
def test_mux_plays_what_the_cut_plays(
    zoo: dict[str, Path],
    name: str,
    container: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source, out = zoo[name], tmp_path / f"out.{container}"
    code, err = quiet_cli(["mux", str(source), str(two_cue_srt(tmp_path)), "-o", str(out)], capsys)
    assert code == 0, err
    assert plays_as(out, source) == []
    # the note says why Matroska got the picture encoded again (and only there)
    assert ("encoded again: it starts between keyframes" in caplog.text) == (
        container == "mkv" and BY_NAME[name].hidden
    )


@pytest.mark.parametrize("name", ["midgop_h264_aac", "recut_audio_copied"])
def test_burn_to_mkv_plays_what_the_cut_plays(
    zoo: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = zoo[name], tmp_path / "out.mkv"
    code, err = quiet_cli(["burn", str(source), str(two_cue_srt(tmp_path)), "-o", str(out)], capsys)
    assert code == 0, err
    got, want = played(out), played(source)
    # the text sits in the bottom third (the last frame shows no cue): the top half is the source's
    assert changed(got.first[: got.first.shape[0] // 2], want.first[: want.first.shape[0] // 2]) <= SAME_PICTURE
    assert changed(got.last, want.last) <= SAME_PICTURE
    assert (got.first_s, got.last_s) == pytest.approx((want.first_s, want.last_s), abs=0.02)
    assert got.sound_s == pytest.approx(want.sound_s, abs=0.05)


def test_the_sample_cut_as_a_user_cuts_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's case: 3 s of the sample from 30 s (6.5 s after a keyframe), cut with -c copy, muxed to MKV."""
    clip = tmp_path / "clip.mp4"
    run_ffmpeg("-ss", "30", "-t", "3", "-i", str(SAMPLE_VIDEO), "-c", "copy", str(clip))
    assert probe(clip).hidden_frames > 0
    out = tmp_path / "clip.mkv"
    code, err = quiet_cli(["mux", str(clip), str(two_cue_srt(tmp_path)), "-o", str(out)], capsys)
    assert code == 0, err
    assert plays_as(out, clip) == []


@pytest.fixture(scope="module")
def broken(zoo: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Outputs a careless mux writes, each of them wrong in what a player shows."""
    cut, recut = str(zoo["midgop_h264_aac"]), str(zoo["recut_audio_copied"])
    folder = tmp_path_factory.mktemp("broken")
    made = {name: folder / f"{name}.mkv" for name in ("preroll", "no_first_gop", "sound_late", "sound_cut")}
    run_ffmpeg("-i", cut, "-map", "0", "-c", "copy", str(made["preroll"]))  # the hidden frames shown
    run_ffmpeg("-i", cut, "-map", "0", "-c", "copy", "-ss", "0", str(made["no_first_gop"]))  # starts at the next key
    # the sound 200 ms late
    run_ffmpeg(
        "-i",
        recut,
        "-itsoffset",
        "0.2",
        "-i",
        recut,
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c",
        "copy",
        str(made["sound_late"]),
    )
    # the hidden pre-roll dropped but its CodecDelay kept: players skip a second of real sound
    run_ffmpeg("-i", recut, "-map", "0", "-c", "copy", "-ss", "0", str(made["sound_cut"]))
    return made


@pytest.mark.parametrize(
    ("name", "source", "refusal"),
    [
        ("preroll", "midgop_h264_aac", "video lasts"),
        ("no_first_gop", "midgop_h264_aac", "video lasts"),
        ("sound_late", "recut_audio_copied", "out of sync"),
        ("sound_cut", "recut_audio_copied", "out of sync"),
    ],
)
def test_verification_refuses_what_plays_otherwise(
    zoo: dict[str, Path], broken: dict[str, Path], name: str, source: str, refusal: str
) -> None:
    out = broken[name]
    assert plays_as(out, zoo[source]) != []  # this file's own judgement agrees that it is broken
    problems = verify_mux(probe(out), [], probe(zoo[source]), [], KeptStreams())
    assert any(refusal in p for p in problems), problems


def test_a_copied_sound_preroll_plays_in_sync_and_the_header_says_how_long(
    zoo: dict[str, Path], tmp_path: Path
) -> None:
    """ffmpeg copies a hidden sound pre-roll into Matroska with a CodecDelay as long: the sound plays in sync,
    but its Duration counts the pre-roll (a seek bar 1 s too long) until it is lowered to what plays."""
    source, out = zoo["recut_audio_copied"], tmp_path / "copy.mkv"
    run_ffmpeg("-i", str(source), "-map", "0", "-c", "copy", str(out))
    assert plays_as(out, source) == []
    problems = verify_mux(probe(out), [], probe(source), [], KeptStreams())
    assert len(problems) == 1 and "the header says the file lasts" in problems[0], problems
    assert lower_duration(out, max(end for _, _, end in probe(out).spans))
    assert verify_mux(probe(out), [], probe(source), [], KeptStreams()) == []
    assert layout_problems(out) == []  # the Info element's CRC-32 still matches
