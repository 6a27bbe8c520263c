"""The zoo of generated sources (tests/zoo.py) through burn, mux to .mkv and .mp4, and run.

Outputs are probed by the zoo's own PyAV probe (`probe_facts`), never by the pipeline's: streams,
durations, geometry, and burned text visible where the displayed picture has its bottom.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from pipeline.batch.files import burn_file
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe, subtitle_texts
from pipeline.render.burn import Encoder
from pipeline.render.verify import BurnCheck, ExpectedTrack, KeptStreams, verify_burn, verify_mux

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import quiet_cli
from zoo import BY_NAME, SHORT_CUES_SRT, build_zoo, full_cues_srt, past_end_srt, probe_facts

pytestmark = pytest.mark.render

MP4_AUDIO = {"aac", "mp3", "ac3", "eac3", "opus", "flac", "alac", "mp2"}
REFUSED_IN_MP4 = {"prores_timecode": "prores", "vp8_webm": "vp8", "webm_browser": "vp8", "wmv2_asf": "wmv2",
                  "mjpeg_avi": "mjpeg", "mjpeg_long_pcm": "mjpeg"}  # fmt: skip
BURN_CASES = [
    "phone_rotated", "vertical_1080x1920", "uhd_4k", "camcorder_ts", "dvd_vob", "anamorphic_sd", "interlaced_h264",
    "odd_1279x719", "avi_wma", "dashcam_pcm_u8", "hevc_hlg", "two_audio", "webm_browser", "vfr_mp4",
    "avi_long_audio", "mkv_subs_fonts", "no_audio", "wmv2_asf", "prores_timecode", "mjpeg_avi",
]  # fmt: skip
# The cuts and the sources of unequal stream lengths have their own tests (test_midgop, test_stream_lengths).
OWN_TESTS = {"recut_audio_copied", "mjpeg_long_pcm", "video_outlasts_audio", "subs_outlast_both"}
MUX_CASES = [
    name
    for name in BY_NAME
    if name not in ("audio_only_m4a", "uhd_4k", "vertical_1080x1920", *OWN_TESTS) and not name.startswith("midgop")
]
Gray = npt.NDArray[np.uint8]
FAST = Encoder(crf=30, preset="ultrafast")


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


def _srt(folder: Path, name: str, kind: str) -> Path:
    duration = BY_NAME[name].duration
    text = {"full": full_cues_srt(duration), "short": SHORT_CUES_SRT, "long": past_end_srt(duration)}[kind]
    path = folder / f"x.{kind}.en.srt"
    path.write_text(text, encoding="utf-8")
    return path


def _played(name: str) -> float:
    """How long a player plays the source: its picture, or its sound or subtitles when they last longer."""
    source = BY_NAME[name]
    return max(source.duration, source.audio_duration or 0.0, source.subtitle_end or 0.0)


def shown(path: Path, t: float) -> Gray:
    """The grey picture on screen ``t`` s after the first video frame, as displayed (pixel aspect, rotation)."""
    with av.open(str(path)) as container:
        stream = next(s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic)
        first = None
        for frame in container.decode(stream):
            first = frame.time if first is None else first
            if frame.time - first >= t:
                break
        sar = Fraction(stream.sample_aspect_ratio or 1)
        width = round(frame.width * sar)
        gray = np.asarray(frame.reformat(width=width, height=frame.height, format="gray").to_ndarray(), np.uint8)
        return np.rot90(gray, k=round((frame.rotation or 0) / 90) % 4)


def text_rows(source: Path, burned: Path, t: float) -> tuple[float, float]:
    """Share of changed pixels in the bottom third and in the top half of the displayed picture."""
    a, b = shown(source, t), shown(burned, t)
    h, w = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
    changed = np.abs(a[:h, :w].astype(np.int16) - b[:h, :w].astype(np.int16)) > 60
    return float(changed[2 * h // 3 :].mean()), float(changed[: h // 2].mean())


@pytest.mark.parametrize("name", BURN_CASES)
def test_burn(zoo: dict[str, Path], name: str, tmp_path: Path) -> None:
    source, out = zoo[name], tmp_path / "out.mp4"
    burn_file(source, _srt(tmp_path, name, "short"), out, "en", encoder=FAST)
    src, got = probe_facts(source), probe_facts(out)
    want = (1280, 720) if name == "odd_1279x719" else (src["display_width"], src["display_height"])
    assert (got["display_width"], got["display_height"]) == want
    assert got["rotation"] == 0 and got["audio_streams"] == src["audio_streams"]
    assert all(c in MP4_AUDIO for c in got["audio_codecs"])
    assert got["duration"] is not None and got["duration"] == pytest.approx(src["duration"], abs=0.15)
    assert (got["header_duration"] or 0) <= _played(name) + 0.15  # a sound that outlasts the picture plays on
    assert got["interlaced"] == src["interlaced"] and got["chapters"] == src["chapters"]
    if src["pix_fmt"] and "10" in src["pix_fmt"]:
        assert got["pix_fmt"] == "yuv420p10le" and got["color_transfer"] == src["color_transfer"]
    bottom, top = text_rows(source, out, 1.0)
    assert bottom > 0.0005 and top < bottom / 4, (bottom, top)


@pytest.mark.parametrize("name", ["camcorder_ts", "dvd_vob", "avi_long_audio", "phone_rotated"])
def test_burn_cues_past_the_end(
    zoo: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.mp4"
    code, err = quiet_cli(["burn", str(zoo[name]), str(_srt(tmp_path, name, "long")), "-o", str(out)], capsys)
    assert code == 0, err
    assert (probe_facts(out)["header_duration"] or 0) <= _played(name) + 0.15


@pytest.mark.parametrize("container", ["mkv", "mp4"])
@pytest.mark.parametrize("name", MUX_CASES)
def test_mux(
    zoo: dict[str, Path], name: str, container: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = zoo[name], tmp_path / f"out.{container}"
    code, err = quiet_cli(["mux", str(source), str(_srt(tmp_path, name, "full")), "-o", str(out)], capsys)
    if container == "mp4" and name in REFUSED_IN_MP4:
        assert code == 2 and REFUSED_IN_MP4[name] in err and ".mkv" in err and len(err.strip().splitlines()) == 1
        assert not out.exists()
        return
    assert code == 0, err
    src, got = probe_facts(source), probe_facts(out)
    assert got["video_codec"] == src["video_codec"] and got["audio_streams"] == src["audio_streams"]
    assert got["subtitle_streams"] == src["subtitle_streams"] + 1
    assert got["attached_pics"] == src["attached_pics"] and got["chapters"] == src["chapters"]
    assert got["attachments"] == (src["attachments"] if container == "mkv" else 0)
    assert got["duration"] is not None and got["duration"] == pytest.approx(src["duration"], abs=0.15)
    assert (got["header_duration"] or 0) <= _played(name) + 0.15  # a sound that outlasts the picture plays on
    if name == "prores_timecode":
        assert "01:00:00:00" in json.dumps([dict(s.metadata) for s in av.open(str(out)).streams])


# The smallest job on every other source: tests/test_smallest_job.py.
@pytest.mark.parametrize("name", ["mkv_subs_fonts"])
def test_run(zoo: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    srt = _srt(tmp_path, name, "full")
    job = tmp_path / "job.toml"
    job.write_text(f'video = "{zoo[name]}"\ntranscript = "{srt.name}"\nlanguages = ["en"]\n', encoding="utf-8")
    code, err = quiet_cli(["run", str(job)], capsys)
    assert code == 0, err
    manifest = json.loads(next(tmp_path.rglob("manifest.json")).read_text(encoding="utf-8"))
    assert sorted(f["kind"] for f in manifest["files"] if f["kind"] not in ("srt", "vtt", "ass")) == [
        "burned", "review", "soft-mkv", "soft-mp4"
    ]  # fmt: skip
    if name == "mkv_subs_fonts":  # what the MP4 could not carry is in the manifest
        assert any("left out: MP4 has no attachments" in n for n in manifest["notes"]["mux/mp4"])
        assert "mux/mkv" not in manifest["notes"]


def test_audio_only_burn_is_refused(zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = zoo["audio_only_m4a"]
    code, err = quiet_cli(
        ["burn", str(source), str(_srt(tmp_path, "audio_only_m4a", "full")), "-o", str(tmp_path / "o.mp4")], capsys
    )
    assert code == 2 and str(source) in err and "audio only" in err


@pytest.mark.parametrize("name", ["phone_rotated", "uhd_4k", "anamorphic_sd"])
def test_verification_fails_a_cut_without_its_text(zoo: dict[str, Path], name: str, tmp_path: Path) -> None:
    """The source itself, offered as the burned cut of one-word cues: every cue is missing."""
    from pipeline.batch.files import read_lang_tracks
    from pipeline.batch.steps import style_for
    from pipeline.media.commands import burn_size
    from pipeline.tracks.formats import compose_ass

    media = probe(zoo[name])
    item = read_lang_tracks([_srt(tmp_path, name, "short")], ["en"])[0]
    width, height = burn_size(media)
    ass = compose_ass(item.track, style_for(item.profile, {}, height), width, height, fps=media.fps)
    check = BurnCheck(ass, (item.profile.font,), [(c.start_ms, c.end_ms) for c in item.track.cues])
    if media.rotation:
        # offered as is, the sideways picture is refused; turned upright, its missing text is
        assert "the output still carries a -90 degree rotation" in verify_burn(media, media, check)
        upright = tmp_path / "upright.mp4"
        argv = [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(zoo[name]),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            str(upright),
        ]
        subprocess.run(argv, check=True)
        problems = verify_burn(probe(upright), media, check)
    else:
        problems = verify_burn(media, media, check)
    on_screen = [c for c in item.track.cues if c.start_ms < media.video_duration_ms - 100]  # 4K: 2 s long
    assert sum("text missing" in p for p in problems) == len(on_screen), problems


@pytest.mark.parametrize("kind", ["full", "long"])
def test_mux_verification_measures_every_stream_against_the_video(
    zoo: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    """An MP4 whose subtitle track runs past the video (its header says 5 s) must fail; the control passes."""
    source, out = zoo["two_audio"], tmp_path / "out.mp4"
    srt = _srt(tmp_path, "two_audio", kind)
    argv = [ffmpeg_exe(), "-v", "error", "-i", str(source), "-i", str(srt), "-map", "0", "-map", "1", "-c", "copy"]
    subprocess.run([*argv, "-c:s", "mov_text", "-metadata:s:s:0", "language=eng", str(out)], check=True)
    texts = subtitle_texts(out)
    expected = [ExpectedTrack("eng", "SubtitleHandler", False, texts[0])]
    problems = verify_mux(probe(out), texts, probe(source), expected, KeptStreams())
    assert [p for p in problems if "title" not in p and "default" not in p] == (
        []
        if kind == "full"
        else [
            "the file plays from 0 to 8000 ms, the source from 0 to 5000 ms (counted from the first frame): "
            "a stream runs past it"
        ]
    )


@pytest.fixture(scope="module")
def audio_first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s clip whose audio starts 0.5 s before its picture (as in many MPEG-TS recordings)."""
    out = tmp_path_factory.mktemp("lead") / "lead.ts"
    argv = [ffmpeg_exe(), "-v", "error", "-itsoffset", "0.5", "-f", "lavfi", "-i"]
    argv += ["testsrc2=size=320x240:rate=25:duration=3", "-f", "lavfi", "-i", "sine=duration=3.5"]
    subprocess.run([*argv, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(out)], check=True)
    return out


def test_cue_times_count_from_the_first_frame(
    audio_first: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srt = tmp_path / "x.en.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,400\nFirst\n\n2\n00:00:01,000 --> 00:00:02,000\nSecond\n")
    burned, muxed = tmp_path / "b.mp4", tmp_path / "m.mkv"
    assert quiet_cli(["burn", str(audio_first), str(srt), "-o", str(burned)], capsys)[0] == 0
    bottom, top = text_rows(audio_first, burned, 0.0)  # the very first frame shows the first cue
    assert bottom > 0.0005 and top < bottom / 4, (bottom, top)
    assert quiet_cli(["mux", str(audio_first), str(srt), "-o", str(muxed)], capsys)[0] == 0
    with av.open(str(muxed)) as container:
        times = [
            (p.stream.type, float(p.pts * p.time_base)) for p in container.demux() if p.pts is not None and p.time_base
        ]
        video = min(t for kind, t in times if kind == "video")
        cues = sorted(t for kind, t in times if kind == "subtitle")
    assert cues == pytest.approx([video, video + 1.0], abs=0.002)


@pytest.mark.parametrize("ext", ["mkv", "mp4"])
def test_mux_of_audio_only_clips_cues_to_the_sound(
    zoo: dict[str, Path], ext: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = zoo["audio_only_m4a"]
    out = tmp_path / f"o.{ext}"
    code, err = quiet_cli(["mux", str(source), str(_srt(tmp_path, "audio_only_m4a", "long")), "-o", str(out)], capsys)
    assert code == 0, err
    span = probe_facts(out)["span"]
    assert span is not None and span <= BY_NAME["audio_only_m4a"].duration + 0.1, span


def test_mkv_mux_is_byte_identical_run_to_run(
    zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srt = _srt(tmp_path, "mkv_subs_fonts", "full")
    outs = [tmp_path / "a.mkv", tmp_path / "b.mkv"]
    for out in outs:
        assert quiet_cli(["mux", str(zoo["mkv_subs_fonts"]), str(srt), "-o", str(out)], capsys)[0] == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
