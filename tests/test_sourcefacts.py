"""A source remembered between runs (pipeline.batch.sourcefacts, the frame table, the picture check): what the
cache gives back is what measuring gives, for every kind of source; a changed or rewritten file, a damaged
entry and ``--force`` (measured_afresh) measure again; each entry is salted with the code that measures it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from pipeline.batch import sourcefacts
from pipeline.batch.sourcefacts import media_json, media_of, probe_source, source_frame_times
from pipeline.core.filecache import cache_root, file_identity, measured_afresh, sha256_file, source_entry
from pipeline.media.frames import FrameTimes, frame_times
from pipeline.media.probe import MediaInfo, probe
from pipeline.render import chunkengine, chunks
from pipeline.render.chunkcache import source_digest
from pipeline.render.chunkengine import inproc_picture
from pipeline.render.chunks import FrameTable, read_frame_table, source_frame_table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo import ZOO, build_zoo


@pytest.fixture(scope="module")
def zoo(zoo_dir: Path) -> dict[str, Path]:
    return build_zoo(zoo_dir)


@pytest.mark.parametrize("name", [s.name for s in ZOO])
def test_the_cached_probe_is_the_probe(zoo: dict[str, Path], name: str) -> None:
    media = probe(zoo[name])
    assert media_of(json.loads(json.dumps(media_json(media)))) == media


def _marked(entry: Path | None, field: str, key: str, value: object) -> None:
    """Change one value of a cache entry: what comes back from the cache is then recognisable."""
    assert entry is not None and entry.is_file()
    doc = json.loads(entry.read_text("utf-8"))
    if key:
        doc[field][key] = value
    else:
        doc[field] = value
    entry.write_text(json.dumps(doc), "utf-8")


def _facts(video: Path) -> tuple[MediaInfo, FrameTimes, FrameTable, bool]:
    """The four cached facts of a source, from the cache when it has them (not this process's memo)."""
    probed = sourcefacts._probe_source.__wrapped__(video)  # type: ignore[attr-defined]
    times = sourcefacts._frame_times.__wrapped__(video)  # type: ignore[attr-defined]
    return probed, times, source_frame_table(video), chunkengine._inproc_picture.__wrapped__(video)  # type: ignore[attr-defined]


def _mark_all(video: Path) -> None:
    _marked(source_entry(video, "probe", sourcefacts._salt("probe")), "media", "chapters", 99)
    _marked(source_entry(video, "frames", sourcefacts._salt("frames")), "frames", "end_ms", 1)
    _marked(_table_entry(video), "table", "start_us", 12345)
    _marked(_picture_entry(video), "inproc", "", False)


def _table_entry(video: Path) -> Path:
    return source_entry(video, "frametable", chunks._table_salt())


def _picture_entry(video: Path) -> Path:
    return source_entry(video, "picture", chunkengine.picture_salt())


@pytest.fixture()
def measured(tmp_path: Path, clip15: Path) -> tuple[Path, tuple[MediaInfo, FrameTimes, FrameTable, bool]]:
    video = tmp_path / "v.mp4"
    shutil.copy2(clip15, video)
    facts = _facts(video)
    assert facts == (probe(video), frame_times(video), read_frame_table(video), True)
    _mark_all(video)
    return video, facts


def test_a_rerun_reads_the_source_from_the_cache(
    measured: tuple[Path, tuple[MediaInfo, FrameTimes, FrameTable, bool]],
) -> None:
    video, facts = measured
    probed, times, table, picture = _facts(video)
    assert probed == dataclasses.replace(facts[0], chapters=99) and times == FrameTimes(facts[1].times_ms, 1)
    assert table == dataclasses.replace(facts[2], start_us=12345) and picture is False


def test_a_file_rewritten_with_its_size_and_mtime_kept_is_measured_again(
    measured: tuple[Path, tuple[MediaInfo, FrameTimes, FrameTable, bool]],
) -> None:
    video, facts = measured
    _rewritten_in_place(video)
    assert _facts(video) == facts


def test_forced_runs_read_nothing_from_the_cache_and_write_it_fresh(
    measured: tuple[Path, tuple[MediaInfo, FrameTimes, FrameTable, bool]],
) -> None:
    video, facts = measured
    with measured_afresh():
        assert (probe_source(video), source_frame_times(video)) == facts[:2]  # not this process's memo either
        assert (source_frame_table(video), inproc_picture(video)) == facts[2:]
        assert _facts(video) == facts
    assert _facts(video) == facts  # the marked entries were written over


def _rewritten_in_place(video: Path) -> None:
    """The middle written over (with the same bytes: only the ctime tells), size and mtime as they were."""
    stat = video.stat()
    with video.open("r+b") as fh:
        fh.seek(stat.st_size // 2)
        middle = fh.read(4096)
        fh.seek(stat.st_size // 2)
        fh.write(middle)
    os.utime(video, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (video.stat().st_size, video.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)


def test_the_sources_digest_is_hashed_again_when_rewritten_or_forced(
    tmp_path: Path, clip15: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUBPIPE_CACHE", str(tmp_path / "cache"))  # this test's entries alone
    video = tmp_path / "v.mp4"
    shutil.copy2(clip15, video)
    real = sha256_file(video)
    assert source_digest(video) == real
    memo = cache_root() / "sources" / f"sha256-{hashlib.sha256(str(video.resolve()).encode()).hexdigest()}"
    ident = ":".join(map(str, file_identity(video.stat())))
    memo.write_text(f"{ident} {'0' * 64}", "ascii")  # marks what comes from the cache
    assert source_digest(video) == "0" * 64
    with measured_afresh():
        assert source_digest(video) == real
    memo.write_text(f"{ident} {'0' * 64}", "ascii")
    _rewritten_in_place(video)
    assert source_digest(video) == real
    # one entry per path, however often the file is made again (a cut after each edit)
    for n in range(3):
        video.write_bytes(b"cut %d" % n)
        assert source_digest(video) == sha256_file(video)
    assert [p.name for p in (cache_root() / "sources").iterdir()] == [memo.name]


def test_a_changed_source_is_measured_again(tmp_path: Path, clip15: Path, zoo: dict[str, Path]) -> None:
    video = tmp_path / "v.mp4"
    shutil.copy2(clip15, video)
    assert probe_source(video) == probe(video)
    before = source_frame_times(video)
    shutil.copyfile(zoo["vfr_mp4"], video)  # another video under the same name
    assert probe_source(video) == probe(video) and probe_source(video).vfr
    assert source_frame_times(video) == frame_times(video) != before


DAMAGE: dict[str, tuple[str, str, object]] = {  # entry, key (or whole), value
    "probe: not an object": ("probe", "", [1, 2]),
    "probe: a zero frame rate": ("probe", "fps", [25, 0]),
    "probe: a width in text": ("probe", "width", "1920"),
    "probe: no streams": ("probe", "streams", None),
    "probe: streams of lists": ("probe", "streams", [[0, "video"]]),
    "probe: spans of texts": ("probe", "spans", [["a", "b", "c"]]),
    "frames: times in text": ("frames", "times_ms", ["0", "40"]),
    "frames: no end": ("frames", "end_ms", None),
    "table: a zero time base": ("table", "time_base", [1, 0]),
    "table: one frame": ("table", "pts", [0]),
    "table: keyframes of floats": ("table", "keyframes", [0.5]),
    "picture: a text": ("picture", "", "yes"),
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_entry_is_measured_again(
    measured: tuple[Path, tuple[MediaInfo, FrameTimes, FrameTable, bool]], how: str
) -> None:
    video, facts = measured
    what, key, value = DAMAGE[how]
    entries = {
        "probe": (source_entry(video, "probe", sourcefacts._salt("probe")), "media"),
        "frames": (source_entry(video, "frames", sourcefacts._salt("frames")), "frames"),
        "table": (_table_entry(video), "table"),
        "picture": (_picture_entry(video), "inproc"),
    }
    _mark_all(video)
    _marked(*entries[what], key, value)
    assert _facts(video)[list(entries).index(what)] == facts[list(entries).index(what)]


def test_the_caches_are_salted_with_the_code_that_measures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "pipeline"
    for rel in sourcefacts._CODE:
        (package / rel).parent.mkdir(parents=True, exist_ok=True)
        (package / rel).write_text("# v1\n", "utf-8")
    monkeypatch.setattr(sourcefacts, "_PACKAGE", package)
    assert {"media/probe.py", "media/scan.py", "media/frames.py", "batch/sourcefacts.py"} <= set(sourcefacts._CODE)
    seen = [sourcefacts._salt.__wrapped__("probe")]
    for rel in sourcefacts._CODE:
        (package / rel).write_text(f"# {rel} edited\n", "utf-8")
        seen.append(sourcefacts._salt.__wrapped__("probe"))
    assert len(set(seen)) == len(seen)
    table_code = tmp_path / "chunks.py"
    table_code.write_text("# v1\n", "utf-8")
    monkeypatch.setattr(chunks, "_TABLE_CODE", table_code)
    first = chunks._table_salt.__wrapped__()
    table_code.write_text("# v2\n", "utf-8")
    assert chunks._table_salt.__wrapped__() != first


def test_the_picture_check_is_salted_with_its_code(monkeypatch: pytest.MonkeyPatch) -> None:
    before = chunkengine.picture_salt.__wrapped__()

    def full_range_too(video: Path) -> bool | None:
        return True

    monkeypatch.setattr(chunkengine, "_opened_picture", full_range_too)
    assert chunkengine.picture_salt.__wrapped__() != before


def test_a_file_that_cannot_be_opened_is_not_cached_as_no(tmp_path: Path, clip15: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(clip15.read_bytes()[:2000])  # the header cut short: opening it fails
    assert inproc_picture(video) is False
    assert not _picture_entry(video).exists()


@pytest.mark.parametrize("name", ["vfr_mp4", "camcorder_ts", "prores_timecode", "avi_wma"])
def test_the_cached_frame_table_is_the_frame_table(tmp_path: Path, zoo: dict[str, Path], name: str) -> None:
    video = tmp_path / zoo[name].name
    shutil.copy2(zoo[name], video)
    table = read_frame_table(video)
    assert source_frame_table(video) == table  # read, then kept
    assert source_frame_table(video) == table  # from the cache
    shutil.copyfile(zoo["vp8_webm" if name != "vp8_webm" else "vfr_mp4"], video)  # another file, same name
    assert source_frame_table(video) == read_frame_table(video) != table
