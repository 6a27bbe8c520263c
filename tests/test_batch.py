"""A whole job on the 15 s excerpt: tracks, burned cuts, soft tracks, manifest, failure isolation."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.batch.run import run_job
from pipeline.core.filecache import sha256_file
from pipeline.ingest.job import parse_job
from pipeline.media.mkvcheck import read_tracks


def _job(tmp_path: Path, clip: Path, transcript: Path, extra: str = "") -> str:
    return (
        f'output_dir = "{tmp_path / "out"}"\n'
        "[[videos]]\n"
        f'name = "clip"\nvideo = "{clip}"\ntranscript = "{transcript}"\n'
        'languages = ["en", "ko", "vi"]\ndefault_language = "ko"\n'
        '[render]\ncrf = 30\npreset = "ultrafast"\nburn_group = 3\n' + extra
    )


def test_job_produces_verified_outputs_and_manifest(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    job = parse_job(_job(tmp_path, clip15, clip15_transcript), tmp_path / "job.toml")
    result = run_job(job)
    assert result.ok, result.videos[0].failures
    root = tmp_path / "out" / "clip"
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    files = {f["path"]: f for f in manifest["files"]}
    for lang in ("en", "ko", "vi"):
        for ext in ("srt", "vtt", "ass", "mp4"):
            assert f"{lang}/clip.{lang}.{ext}" in files
    assert {"clip.subs.mkv", "clip.subs.mp4"} <= set(files)
    for rel, entry in files.items():
        path = root / rel
        assert entry["size"] == path.stat().st_size and entry["sha256"] == sha256_file(path)
    assert manifest["inputs"]["video"]["sha256"] == sha256_file(clip15)
    assert manifest["failures"] == {}
    assert not [p for p in root.rglob("*") if ".partial-" in p.name]


def test_one_failing_language_does_not_stop_the_others(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    # Korean forced onto a Latin-only font: its burn must fail, the others must still be produced.
    extra = '[profile.ko]\nfont = "noto-sans"\n[outputs]\nmux = ["mkv"]\n'
    job = parse_job(_job(tmp_path, clip15, clip15_transcript, extra), tmp_path / "job.toml")
    video = run_job(job).videos[0]
    assert not video.ok
    assert list(video.failures) == ["ko/burn"] and "lacks" in video.failures["ko/burn"]
    root = tmp_path / "out" / "clip"
    assert (root / "en" / "clip.en.mp4").is_file() and (root / "vi" / "clip.vi.mp4").is_file()
    assert not (root / "ko" / "clip.ko.mp4").exists()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert "ko/clip.ko.mp4" not in {f["path"] for f in manifest["files"]}
    assert "ko/burn" in manifest["failures"]


def test_run_muxes_each_language_with_its_full_tag(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    """zh-Hans is ``chi`` in the legacy element (as zh-Hant would be); the run's MKV carries the full tag."""
    text = _job(tmp_path, clip15, clip15_transcript, '[outputs]\nburn = false\nreview = false\nmux = ["mkv"]\n')
    text = text.replace('["en", "ko", "vi"]', '["zh-Hans", "es", "en"]').replace('"ko"', '"en"')
    result = run_job(parse_job(text, tmp_path / "job.toml"))
    assert result.ok, result.videos[0].failures
    subs = [t for t in read_tracks(tmp_path / "out" / "clip" / "clip.subs.mkv") if t.kind == "subtitle"]
    assert [(t.language, t.bcp47) for t in subs] == [("chi", "zh-Hans"), ("spa", "es"), ("eng", "en")]
