"""Issue 19 item 1: outputs a job does not name adapt to the source; outputs it names stay strict.

The smallest job (video, transcript, languages) runs on sources MP4 cannot hold and on a file
without a picture: exit 0, every output it can have written and verified, and a note in the
manifest and the summary for each default left out. A job that names the impossible is refused
before any work, with exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pipeline.batch.defaults import SKIPPED, planned_outputs
from pipeline.cli.main import main
from pipeline.ingest.job import Outputs
from pipeline.media.probe import probe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import BY_NAME, build_zoo, full_cues_srt, probe_facts

pytestmark = pytest.mark.render

NOT_IN_MP4 = {"vp8_webm": "vp8", "prores_timecode": "prores", "wmv2_asf": "wmv2", "mjpeg_avi": "mjpeg"}
FAST = '[render]\npreset = "ultrafast"\ncrf = 35\n'  # not an output: the job still names no burn or mux


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir, [*NOT_IN_MP4, "audio_only_m4a", "no_audio"])


def _job(folder: Path, source: Path, name: str, outputs: str = "") -> Path:
    (folder / "t.en.srt").write_text(full_cues_srt(BY_NAME[name].duration), encoding="utf-8")
    job = folder / "job.toml"
    text = f'video = "{source}"\ntranscript = "t.en.srt"\nlanguages = ["en"]\n{FAST}{outputs}'
    job.write_text(text, encoding="utf-8")
    return job


def _run(job: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["-q", "run", str(job)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _manifest(folder: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads(next(folder.rglob("manifest.json")).read_text(encoding="utf-8"))
    return doc


@pytest.mark.parametrize("name", list(NOT_IN_MP4))
def test_smallest_job_skips_the_mp4_that_cannot_hold_the_video(
    zoo: dict[str, Path], name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(_job(tmp_path, zoo[name], name), capsys)
    assert code == 0, err
    manifest = _manifest(tmp_path)
    files = manifest["files"]
    assert isinstance(files, list)
    kinds = sorted(f["kind"] for f in files if f["kind"] not in ("srt", "vtt", "ass"))
    master = name == "prores_timecode"  # a ProRes master gets a MOV in place of the MP4
    assert kinds == ["burned", "review", "soft-mkv", *(["soft-mov"] if master else [])]
    notes = manifest["notes"]
    assert isinstance(notes, dict)
    (note,) = notes["mux/mp4"]
    assert note.startswith(SKIPPED) and f"{NOT_IN_MP4[name]} video cannot go into .mp4" in note
    assert ("written as .mov" in note) == master
    assert f"mux/mp4 {note}" in out  # the summary says it too
    for soft in tmp_path.rglob("*.subs.m[ko]v"):
        assert probe_facts(soft)["video_codec"] == probe_facts(zoo[name])["video_codec"]
    assert not list(tmp_path.rglob("*.subs.mp4"))


def test_a_mov_holds_prores_and_pcm_as_they_are(
    zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``mux -o .mov`` of a ProRes master: ProRes, PCM and the timecode as they are, the new track as mov_text."""
    (tmp_path / "t.en.srt").write_text(full_cues_srt(BY_NAME["prores_timecode"].duration), encoding="utf-8")
    out = tmp_path / "out.mov"
    code = main(["-q", "mux", str(zoo["prores_timecode"]), str(tmp_path / "t.en.srt"), "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    got = probe(out)
    assert [(s.kind, s.codec) for s in got.streams if s.kind != "data"] == [
        ("video", "prores"), ("audio", "pcm_s16le"), ("subtitle", "mov_text")
    ]  # fmt: skip
    assert got.video is not None and got.video.timecode == "01:00:00:00"


def test_smallest_job_on_audio_only_skips_the_burn(
    zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(_job(tmp_path, zoo["audio_only_m4a"], "audio_only_m4a"), capsys)
    assert code == 0, err
    manifest = _manifest(tmp_path)
    files = manifest["files"]
    assert isinstance(files, list)
    assert sorted(f["kind"] for f in files) == ["ass", "review", "soft-mkv", "soft-mp4", "srt", "vtt"]
    notes = manifest["notes"]
    assert isinstance(notes, dict)
    (note,) = notes["burn"]
    assert note.startswith(SKIPPED) and "no video stream (audio only)" in note
    assert f"burn {note}" in out
    assert manifest["failures"] == {}
    assert main(["-q", "run", str(tmp_path / "job.toml"), "--json"]) == 0  # the result as JSON says it too
    (video,) = json.loads(capsys.readouterr().out)["videos"]
    assert video["notes"]["burn"] == [note]


@pytest.mark.parametrize(
    ("name", "outputs", "problem"),
    [
        ("vp8_webm", '[outputs]\nmux = ["mkv", "mp4"]\n', "vp8 video cannot go into .mp4"),
        ("mjpeg_avi", '[outputs]\nmux = ["mp4"]\nburn = false\n', "mjpeg video cannot go into .mp4"),
        ("audio_only_m4a", "[outputs]\nburn = true\n", "no video stream (audio only)"),
    ],
    ids=["mp4-of-vp8", "mp4-of-mjpeg", "burn-of-audio"],
)
def test_named_outputs_the_source_cannot_give_exit_2(
    zoo: dict[str, Path], name: str, outputs: str, problem: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(_job(tmp_path, zoo[name], name, outputs), capsys)
    assert code == 2 and problem in err and str(zoo[name]) in err and "[outputs]" in err, err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "output").exists()  # refused before any work


def test_named_outputs_that_fit_run_as_named(
    zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = _job(tmp_path, zoo["vp8_webm"], "vp8_webm", '[outputs]\nmux = ["mkv"]\nburn = false\n')
    code, _out, err = _run(job, capsys)
    assert code == 0, err
    manifest = _manifest(tmp_path)
    files = manifest["files"]
    assert isinstance(files, list)
    assert sorted(f["kind"] for f in files if f["kind"] not in ("srt", "vtt", "ass")) == ["review", "soft-mkv"]
    assert manifest["notes"] == {}


def test_planned_outputs(zoo: dict[str, Path]) -> None:
    """Named outputs pass through as named (the mux step then refuses what cannot be); defaults adapt."""
    webm, m4a, h264 = probe(zoo["vp8_webm"]), probe(zoo["audio_only_m4a"]), probe(zoo["no_audio"])
    assert planned_outputs(Outputs(), h264) == planned_outputs(Outputs(burn=True, mux=("mkv", "mp4")), h264)
    assert planned_outputs(Outputs(), h264).notes == {}
    adapted = planned_outputs(Outputs(), webm)
    assert (adapted.burn, adapted.mux, list(adapted.notes)) == (True, ("mkv",), ["mux/mp4"])
    adapted = planned_outputs(Outputs(), probe(zoo["prores_timecode"]))
    assert (adapted.burn, adapted.mux, list(adapted.notes)) == (True, ("mkv", "mov"), ["mux/mp4"])
    adapted = planned_outputs(Outputs(), m4a)
    assert (adapted.burn, adapted.mux, list(adapted.notes)) == (False, ("mkv", "mp4"), ["burn"])
    named = planned_outputs(Outputs(burn=True, mux=("mp4",)), m4a)
    assert (named.burn, named.mux, named.notes) == (True, ("mp4",), {})
