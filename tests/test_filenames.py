"""Odd file names through every command and the real ffmpeg: spaces, quotes, colons, commas,
semicolons, brackets, a leading dash, Korean and Arabic letters, in inputs, outputs and folders."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pipeline.cli.main import main
from pipeline.media.ffmpeg import ffmpeg_exe
from pipeline.media.probe import probe

NAMES = {
    "space": "two words",
    "single-quote": "it's",
    "double-quote": 'say "hi"',
    "colon": "a:b",
    "comma": "a,b",
    "semicolon": "a;b",
    "brackets": "[x] (y) {z}",
    "leading-dash": "-dash",
    "korean": "한국어 자막",
    "arabic": "ترجمة عربية",
}
EVERYTHING = '-all it\'s "q" a:b,c;d [e] (f) 한국 عربي'
SRT = "1\n00:00:00,400 --> 00:00:01,600\nHello there\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s 320x180 clip with audio: cheap to burn many times."""
    out = tmp_path_factory.mktemp("tiny") / "tiny.mp4"
    argv = [
        ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "lavfi",
        "-i",
        "color=c=0x336699:s=320x180:r=25:d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=d=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        str(out),
    ]
    subprocess.run(argv, check=True)
    return out


def _stage(tmp_path: Path, tiny: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / f"dir {name}"
    folder.mkdir()
    (folder / f"{name}.mp4").write_bytes(tiny.read_bytes())
    (folder / f"{name}.en.srt").write_text(SRT, encoding="utf-8")
    monkeypatch.chdir(folder)  # relative names: a leading dash stays at the start of the argument
    return folder


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_burn_and_mux_with_odd_names(
    tmp_path: Path, tiny: Path, name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _stage(tmp_path, tiny, name, monkeypatch)
    video, sub = f"{name}.mp4", f"{name}.en.srt"
    assert main(["-q", "burn", f"--output={name} out.mp4", "--", video, sub]) == 0, capsys.readouterr().err
    burned = folder / f"{name} out.mp4"
    assert burned.is_file() and probe(burned).duration_ms > 1500
    assert main(["-q", "mux", f"--output={name} out.mkv", "--", video, sub]) == 0, capsys.readouterr().err
    assert [s.language for s in probe(folder / f"{name} out.mkv").subtitle_streams()] == ["eng"]
    assert not [p.name for p in folder.iterdir() if ".partial-" in p.name]


def test_tracks_and_run_with_every_odd_character_at_once(
    tmp_path: Path, tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _stage(tmp_path, tiny, EVERYTHING, monkeypatch)
    out = f"{EVERYTHING} tracks"
    assert main(["tracks", f"--output={out}", "--lang", "en", "--", f"{EVERYTHING}.en.srt"]) == 0
    assert sorted(p.suffix for p in (folder / out).iterdir()) == [".ass", ".srt", ".vtt"]
    job = folder / f"{EVERYTHING}.toml"
    job.write_text(
        f"output_dir = {json.dumps(EVERYTHING + ' out')}\n[[videos]]\nname = {json.dumps(EVERYTHING)}\n"
        f"video = {json.dumps(EVERYTHING + '.mp4')}\ntranscript = {json.dumps(EVERYTHING + '.en.srt')}\n"
        'languages = ["en"]\n[outputs]\nmux = ["mkv", "mp4"]\n[render]\npreset = "ultrafast"\n',
        encoding="utf-8",
    )
    assert main(["-q", "run", "--", job.name]) == 0, capsys.readouterr().err
    root = folder / f"{EVERYTHING} out" / EVERYTHING
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    paths = {f["path"] for f in manifest["files"]}
    assert {f"en/{EVERYTHING}.en.mp4", f"{EVERYTHING}.subs.mkv", f"{EVERYTHING}.subs.mp4"} <= paths
    assert all((root / p).is_file() for p in paths)
