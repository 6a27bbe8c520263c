"""A job's source remembered between runs (pipeline.batch.sourcefacts): what the cache gives back is what
probing and reading the frame times give, for every kind of source; a changed file is measured again."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import pytest

from pipeline.batch import sourcefacts
from pipeline.batch.sourcefacts import media_json, media_of, probe_source, source_frame_times
from pipeline.media.frames import frame_times
from pipeline.media.probe import probe
from pipeline.render.chunks import read_frame_table, source_frame_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ZOO, build_zoo


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


@pytest.mark.parametrize("name", [s.name for s in ZOO])
def test_the_cached_probe_is_the_probe(zoo: dict[str, Path], name: str) -> None:
    media = probe(zoo[name])
    assert media_of(json.loads(json.dumps(media_json(media)))) == media


def test_a_rerun_reads_the_source_from_the_cache(tmp_path: Path, zoo: dict[str, Path]) -> None:
    source = zoo["vfr_mp4"]
    first = tmp_path / "a" / source.name
    first.parent.mkdir()
    shutil.copy2(source, first)
    media, frames = probe_source(first), source_frame_times(first)
    assert media == probe(first) and frames == frame_times(first) and media.vfr
    entry = sourcefacts._entry(first, "probe")
    assert entry is not None and entry.is_file()
    doc = json.loads(entry.read_text("utf-8"))
    doc["media"]["chapters"] = 99  # marks what comes from the cache
    entry.write_text(json.dumps(doc), "utf-8")
    again = tmp_path / "b" / source.name  # the same bytes and mtime elsewhere: not in this process's memo
    again.parent.mkdir()
    shutil.copy2(source, again)
    cached = probe_source(again)
    assert cached.chapters == 99 and cached.path == str(again.resolve())
    assert cached == dataclasses.replace(probe(again), chapters=99)
    assert source_frame_times(again) == frames


def test_a_changed_source_is_measured_again(tmp_path: Path, clip15: Path, zoo: dict[str, Path]) -> None:
    video = tmp_path / "v.mp4"
    shutil.copy2(clip15, video)
    assert probe_source(video) == probe(video)
    before = source_frame_times(video)
    shutil.copyfile(zoo["vfr_mp4"], video)  # another video under the same name
    assert probe_source(video) == probe(video) and probe_source(video).vfr
    assert source_frame_times(video) == frame_times(video) != before


def test_a_damaged_entry_is_measured_again(tmp_path: Path, clip15: Path) -> None:
    video = tmp_path / "v.mp4"
    shutil.copy2(clip15, video)
    entry = sourcefacts._entry(video, "probe")
    assert entry is not None
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(json.dumps({"media": {"path": "x", "fps": "nonsense"}}), "utf-8")
    assert probe_source(video) == probe(video)


@pytest.mark.parametrize("name", ["vfr_mp4", "camcorder_ts", "prores_timecode", "avi_wma"])
def test_the_cached_frame_table_is_the_frame_table(tmp_path: Path, zoo: dict[str, Path], name: str) -> None:
    video = tmp_path / zoo[name].name
    shutil.copy2(zoo[name], video)
    table = read_frame_table(video)
    assert source_frame_table(video) == table  # read, then kept
    assert source_frame_table(video) == table  # from the cache
    shutil.copyfile(zoo["vp8_webm" if name != "vp8_webm" else "vfr_mp4"], video)  # another file, same name
    assert source_frame_table(video) == read_frame_table(video) != table
