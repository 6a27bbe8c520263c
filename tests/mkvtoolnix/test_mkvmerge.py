"""The MKV mux's language tags read by an independent tool: mkvtoolnix's ``mkvmerge -J`` and ``mkvinfo``.

Run by ``make test-mkvtoolnix`` (``.ci/run`` installs Debian's ``mkvtoolnix``); ``make test`` leaves it out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.cli.main import main
from pipeline.media.probe import probe
from pipeline.render.mux import MuxTrack, mux
from pipeline.render.outputs import commit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from zoo import build_zoo, full_cues_srt

pytestmark = pytest.mark.mkvtoolnix
NEW = [("chi", "zh-Hans"), ("chi", "zh-Hant"), ("por", "pt-BR")]


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found, f"{name} is needed: apt-get install -y mkvtoolnix (the CI script does)"
    return found


def _identify(path: Path) -> dict[str, Any]:
    done = subprocess.run([_tool("mkvmerge"), "-J", str(path)], capture_output=True, text=True, check=True)
    found: dict[str, Any] = json.loads(done.stdout)
    assert found["errors"] == [] and found["warnings"] == [], found
    return found


def _languages(found: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(t["type"], t["properties"].get("language"), t["properties"].get("language_ietf")) for t in found["tracks"]]


def _mkvinfo_is_clean(path: Path) -> None:
    done = subprocess.run([_tool("mkvinfo"), "-C", str(path)], capture_output=True, text=True, check=True)
    lines = (done.stdout + done.stderr).lower().splitlines()
    assert [line for line in lines if "error" in line or "warn" in line] == []


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


def test_mkvmerge_reads_every_tracks_bcp47_tag(zoo: dict[str, Path], tmp_path: Path) -> None:
    source = zoo["mkv_subs_fonts"]
    srt = full_cues_srt(5.0)
    tracks = [MuxTrack(srt, iso, tag, i == 0, tag) for i, (iso, tag) in enumerate(NEW)]
    target = tmp_path / "out.mkv"
    commit(mux(source, probe(source), tracks, target).partial, target)
    found = _identify(target)
    assert _languages(found) == [
        ("video", "und", None), ("audio", "und", None), ("subtitles", "fre", "fr"), ("subtitles", "eng", "en"),
        ("subtitles", "chi", "zh-Hans"), ("subtitles", "chi", "zh-Hant"), ("subtitles", "por", "pt-BR"),
    ]  # fmt: skip
    _mkvinfo_is_clean(target)


def test_the_cli_mux_tags_the_sources_audio_and_the_new_track(
    zoo: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    srt = tmp_path / "x.fr.srt"
    srt.write_text(full_cues_srt(5.0), encoding="utf-8")
    target = tmp_path / "out.mkv"
    assert main(["-q", "mux", str(zoo["two_audio"]), str(srt), "-o", str(target)]) == 0, capsys.readouterr().err
    assert _languages(_identify(target)) == [
        ("video", "und", None), ("audio", "eng", "en"), ("audio", "fre", "fr"), ("subtitles", "fre", "fr")
    ]  # fmt: skip
    _mkvinfo_is_clean(target)


def test_mkvmerge_sees_no_tag_in_what_ffmpeg_alone_writes(zoo: dict[str, Path]) -> None:
    """The twin: the same check on an MKV straight from ffmpeg finds the legacy codes only."""
    languages = _languages(_identify(zoo["mkv_subs_fonts"]))
    assert [lang for _kind, lang, _ietf in languages] == ["und", "und", "fre", "eng"]
    assert all(ietf is None for _kind, _lang, ietf in languages)
