from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.core.errors import InputError
from pipeline.ingest.job import load_job, parse_job

ROOT = Path(__file__).resolve().parents[1]


def test_smallest_job(tmp_path: Path) -> None:
    job = parse_job('video = "clip.mp4"\ntranscript = "clip.json"\nlanguages = ["en", "ko"]\n', tmp_path / "job.toml")
    (v,) = job.videos
    assert v.name == "clip" and v.video == tmp_path / "clip.mp4" and v.default_language == "en"
    # burn and mux not named: None, the defaults that adapt to each source (pipeline.batch.defaults)
    assert job.outputs.burn is None and job.outputs.mux is None and job.output_dir == tmp_path / "output"


def test_embedded_default_job_parses() -> None:
    job = load_job(ROOT / "subpipe.toml")
    assert job.videos[0].languages == ("en", "ko", "ja", "zh-Hans", "ar", "es", "fr", "ru", "vi", "id")
    assert job.videos[0].video is not None and job.videos[0].video.is_file()
    assert job.videos[0].transcript.is_file()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("languages = [", "invalid TOML"),
        ('transcript = "t.json"\n', "missing key 'languages'"),
        ('transcript = "t.json"\nlanguages = []\n', "empty"),
        ('transcript = "t.json"\nlanguages = ["en"]\ndefault_language = "ko"\n', "not in languages"),
        ('transcript = "t.json"\nlanguages = ["en"]\n[outputs]\nmux = ["avi"]\n', "not among"),
        ('transcript = "t.json"\nlanguages = ["en"]\n[render]\ncrf = "high"\n', "expected int"),
        ("", "no video"),
    ],
    ids=["syntax", "no-languages", "empty-languages", "bad-default", "bad-container", "bad-crf", "empty"],
)
def test_bad_jobs(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(InputError) as info:
        parse_job(text, tmp_path / "job.toml")
    assert problem in str(info.value) and info.value.path == str(tmp_path / "job.toml")
