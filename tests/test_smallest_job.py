"""Issue 19, done when: the smallest job file succeeds on every zoo source that has a picture or a sound.

The smallest job names `video`, `transcript` and `languages`, nothing else (no `[outputs]`, no `[render]`):
what a new user writes first. On every source of ``tests/zoo.py`` it must exit 0 with no failure in the
manifest, write the subtitle files, a burned cut when there is a picture, an MKV, and a note for each
default output it left out. Every zoo source has a picture or a sound, so none is left out here. The sample's
subpipe.toml-like job runs in tests/test_batch.py (on its first 15 s).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from pipeline.batch.defaults import SKIPPED
from pipeline.cli.main import main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ZOO, ZooSource, build_zoo

pytestmark = pytest.mark.render

SOURCES = [s for s in ZOO if s.video_codec is not None or s.audio_codec is not None]
NOT_IN_MP4 = frozenset({"vp8", "prores", "wmv2", "mjpeg"})
"""Video codecs of the zoo that an MP4 cannot hold as they are (its default is skipped, or a MOV for ProRes)."""
LANGUAGES = ["en"]  # one language and two short cues: 32 runs with the default encoder settings cost ~55 s CPU
# Two short cues inside the shortest source (2 s), in the project's transcript format.
TRANSCRIPT = {
    "source_language": "en",
    "languages": LANGUAGES,
    "segments": [
        {"id": "1", "start_ms": 200, "end_ms": 900, "text": {"en": "Hello."}},
        {"id": "2", "start_ms": 1000, "end_ms": 1800, "text": {"en": "Goodbye."}},
    ],
}


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir, [s.name for s in SOURCES])


def _expected_kinds(source: ZooSource) -> set[str]:
    """What the defaults write for ``source``: the tracks, a burn when it has a picture, the containers
    that hold its video as it is (an MKV always; an MP4, or a MOV for a ProRes master)."""
    kinds = {"srt", "vtt", "ass", "soft-mkv", "review"}
    if source.video_codec is not None:
        kinds.add("burned")
    if source.video_codec not in NOT_IN_MP4:
        kinds.add("soft-mp4")
    elif source.video_codec == "prores":
        kinds.add("soft-mov")
    return kinds


@pytest.mark.parametrize("source", SOURCES, ids=[s.name for s in SOURCES])
def test_smallest_job_succeeds(
    zoo: dict[str, Path], source: ZooSource, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.json").write_text(json.dumps(TRANSCRIPT), encoding="utf-8")
    job = tmp_path / "job.toml"
    text = f'video = "{zoo[source.name].as_posix()}"\ntranscript = "t.json"\nlanguages = {json.dumps(LANGUAGES)}\n'
    job.write_text(text, encoding="utf-8")
    code = main(["-q", "run", str(job)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    (found,) = tmp_path.rglob("manifest.json")
    manifest = json.loads(found.read_text(encoding="utf-8"))
    assert manifest["failures"] == {}
    files = manifest["files"]
    assert all(f["verified"] and (found.parent / f["path"]).is_file() for f in files)
    kinds = {f["kind"] for f in files}
    assert kinds == _expected_kinds(source)
    for lang in LANGUAGES:
        langs = {f["kind"] for f in files if f["language"] == lang}
        assert {"srt", "vtt", "ass"} <= langs and ("burned" in langs) == (source.video_codec is not None)
    notes = manifest["notes"]
    skipped = {what for what, lines in notes.items() if any(line.startswith(SKIPPED) for line in lines)}
    wanted = {"burn"} if "burned" not in kinds else set()
    wanted |= {f"mux/{c}" for c in ("mkv", "mp4") if f"soft-{c}" not in kinds}
    assert skipped == wanted, notes
