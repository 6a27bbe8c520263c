"""Issue 11: a rerun redoes only what changed. An unchanged job rewrites no cut, soft file or still
(its manifest proves them); a changed or deleted output, an edited cue and ``--force`` are redone,
an edited cue re-encoding exactly the chunks where it is visible. Real ffmpeg renders throughout."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch.rerun import SAME_CUT, PreviousCut, load_previous, verify_window
from pipeline.batch.run import run_job
from pipeline.cli.render_commands import ProgressBar
from pipeline.core.filecache import sha256_file
from pipeline.ingest.job import parse_job
from pipeline.media.probe import probe
from pipeline.render import chunks
from pipeline.render.chunkburn import ChunkProgress
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunkpath import CHUNKED, CutRecord, chunk_blockers
from pipeline.render.manifest import ManifestEntry

LANGS = ("en", "ko")


@pytest.fixture(autouse=True)
def short_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 2-4 s here (the default is longer), so the 15 s clip holds several."""
    monkeypatch.setattr(chunks, "TARGET_MS", 3000)
    monkeypatch.setattr(chunks, "MAX_MS", 4000)


def _run(tmp_path: Path, clip: Path, transcript: Path, force: bool = False) -> Any:
    text = (
        f'output_dir = "{tmp_path / "out"}"\n[[videos]]\nname = "clip"\nvideo = "{clip}"\n'
        f'transcript = "{transcript}"\nlanguages = ["en", "ko"]\ndefault_language = "en"\n'
        '[outputs]\nmux = ["mkv"]\n[render]\ncrf = 30\npreset = "ultrafast"\n'
    )
    result = run_job(parse_job(text, tmp_path / "job.toml"), force=force).videos[0]
    assert result.ok, result.failures
    return result


def _stamps(root: Path) -> dict[str, int]:
    """Every produced file's modification time (a rewritten file gets a new one)."""
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def _manifest(root: Path) -> dict[str, Any]:
    return dict(json.loads((root / "manifest.json").read_text(encoding="utf-8")))


@pytest.fixture()
def done(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> Path:
    """A finished first run (its own copy of the transcript, so a test may edit it)."""
    transcript = tmp_path / "transcript.json"
    transcript.write_bytes(clip15_transcript.read_bytes())
    _run(tmp_path, clip15, transcript)
    return tmp_path


def test_an_unchanged_rerun_rewrites_nothing(done: Path, clip15: Path) -> None:
    root = done / "out" / "clip"
    before, first = _stamps(root), _manifest(root)
    assert {lang: first["burns"][lang]["engine"] for lang in LANGS} == {"en": CHUNKED, "ko": CHUNKED}
    assert all(len(first["burns"][lang]["chunks"]) >= 4 for lang in LANGS) and "mkv" in first["muxes"]
    _run(done, clip15, done / "transcript.json")
    after = _stamps(root)
    assert {k: v for k, v in after.items() if k != "manifest.json" and before.get(k) != v} == {}
    again = _manifest(root)
    assert again["files"] == first["files"] and again["burns"] == first["burns"]


@pytest.mark.parametrize("damage", ["changed", "deleted"])
def test_a_changed_or_deleted_cut_is_made_again(done: Path, clip15: Path, damage: str) -> None:
    root = done / "out" / "clip"
    cut = root / "ko" / "clip.ko.mp4"
    recorded = {f["path"]: f["sha256"] for f in _manifest(root)["files"]}["ko/clip.ko.mp4"]
    if damage == "changed":
        with cut.open("r+b") as fh:  # same size, one byte flipped: only the hash can tell
            fh.seek(cut.stat().st_size // 2)
            byte = fh.read(1)
            fh.seek(-1, 1)
            fh.write(bytes([byte[0] ^ 0xFF]))
    else:
        cut.unlink()
    assert load_previous(root)["ko"].entry.sha256 == recorded
    _run(done, clip15, done / "transcript.json")
    assert sha256_file(cut) == recorded  # the chunks are cached: the same bytes again


def test_an_edited_cue_reencodes_exactly_the_chunks_where_it_is_visible(done: Path, clip15: Path) -> None:
    root = done / "out" / "clip"
    first = _manifest(root)
    stamps = _stamps(root)
    doc = json.loads((done / "transcript.json").read_text(encoding="utf-8"))
    doc["segments"][1]["text"]["en"] = "A different line."
    (done / "transcript.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    cache = ChunkCache()
    entries_before = {e.key for e in cache.entries()}
    _run(done, clip15, done / "transcript.json")
    again = _manifest(root)
    old, new = first["burns"]["en"]["chunks"], again["burns"]["en"]["chunks"]
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert 1 <= len(changed) <= 3, changed  # a 2-3 s cue touches one chunk or two neighbours
    assert {e.key for e in cache.entries()} - entries_before == {new[i] for i in changed}
    assert again["burns"]["ko"] == first["burns"]["ko"]
    after = _stamps(root)
    assert after["ko/clip.ko.mp4"] == stamps["ko/clip.ko.mp4"] and after["en/clip.en.mp4"] != stamps["en/clip.en.mp4"]


def test_force_makes_every_cut_again(done: Path, clip15: Path) -> None:
    root = done / "out" / "clip"
    stamps = _stamps(root)
    _run(done, clip15, done / "transcript.json", force=True)
    after = _stamps(root)
    assert all(after[f"{lang}/clip.{lang}.mp4"] != stamps[f"{lang}/clip.{lang}.mp4"] for lang in LANGS)


def _record(keys: list[str]) -> CutRecord:
    return CutRecord(CHUNKED, "r", {}, keys, 0, [(i * 3000, i * 3000 + 3000) for i in range(len(keys))])


def _previous(keys: list[str], sha: str) -> PreviousCut:
    return PreviousCut(ManifestEntry("en/c.mp4", "burned", "en", 1, sha, True), {"recipe": "r", "chunks": keys})


def test_verification_covers_only_the_changed_chunks(tmp_path: Path) -> None:
    partial = tmp_path / "cut.mp4"
    partial.write_bytes(b"cut")
    keys = ["a", "b", "c", "d"]
    assert verify_window(_record(["a", "x", "y", "d"]), _previous(keys, "0"), partial) == (3000, 9000)
    assert verify_window(_record(keys), _previous(keys, sha256_file(partial)), partial) == SAME_CUT
    # must-fail side: no previous cut, another plan, or the same keys but other bytes: verify it all
    assert verify_window(_record(keys), None, partial) is None
    assert verify_window(_record(keys[:3]), _previous(keys, "0"), partial) is None
    assert verify_window(_record(keys), _previous(keys, "0"), partial) is None


def test_chunk_path_is_refused_for_what_it_cannot_reproduce(clip15: Path, tmp_path: Path) -> None:
    import dataclasses

    media = probe(clip15)
    assert chunk_blockers(media, tmp_path / "c.mp4") == []
    rotated = dataclasses.replace(media, rotation=-90)
    assert chunk_blockers(rotated, tmp_path / "c.mp4") == ["rotated picture"]
    ten_bit = dataclasses.replace(media, bit_depth=10, pix_fmt="yuv420p10le")
    assert chunk_blockers(ten_bit, tmp_path / "c.mp4") == ["more than 8 bits"]


def test_progress_bar_shows_chunks_fps_and_eta() -> None:
    out = io.StringIO()
    line = ProgressBar(out, width=10)("burn clip [en]")
    line(0.5)
    line.chunks(ChunkProgress(3, 12, 240.0, 9.5))  # type: ignore[attr-defined]
    line(1.0)
    text = out.getvalue()
    assert "3/12 chunks" in text and "240 fps" in text and "ETA   10s" in text and text.endswith("\n")
