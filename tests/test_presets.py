"""Delivery presets: ``preset = "..."`` picks the outputs and the rules; the job's own keys win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch.run import run_job
from pipeline.core.errors import InputProblemsError
from pipeline.ingest.job import parse_job
from pipeline.ingest.presets import PRESETS

_SMALL = 'video = "c.mp4"\ntranscript = "c.json"\nlanguages = ["en", "fr"]\n'


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_sets_its_outputs(tmp_path: Path, name: str) -> None:
    job = parse_job(f'preset = "{name}"\n' + _SMALL, tmp_path / "job.toml")
    preset = PRESETS[name]
    assert list(job.outputs.formats) == preset.outputs["formats"]
    assert (job.outputs.burn, job.outputs.mux, job.outputs.hls) == (
        preset.outputs["burn"], tuple(preset.outputs["mux"]), preset.outputs["hls"]
    )  # fmt: skip
    assert {k: job.profile_table("fr")[k] for k in preset.rules} == dict(preset.rules)


def test_the_jobs_own_keys_win(tmp_path: Path) -> None:
    text = (
        'preset = "broadcast-us"\n'
        + _SMALL
        + '[outputs]\nformats = ["scc", "srt"]\n[profile.fr]\nmax_line_chars = 30\n'
    )
    job = parse_job(text, tmp_path / "job.toml")
    assert job.outputs.formats == ("scc", "srt") and job.outputs.burn is False
    assert job.profile_table("fr")["max_line_chars"] == 30 and job.profile_table("en")["max_line_chars"] == 32


def test_an_unknown_preset_names_its_line_and_the_closest(tmp_path: Path) -> None:
    with pytest.raises(InputProblemsError) as info:
        parse_job(_SMALL + 'preset = "broadcast_us"\n', tmp_path / "job.toml")
    assert "job.toml:4: unknown preset 'broadcast_us' (did you mean 'broadcast-us'?)" in str(info.value)


def test_broadcast_us_writes_scc_of_32_column_lines(tmp_path: Path, clip15: Path, clip15_transcript: Path) -> None:
    text = (
        f'preset = "broadcast-us"\noutput_dir = "{tmp_path / "out"}"\nname = "clip"\nvideo = "{clip15}"\n'
        f'transcript = "{clip15_transcript}"\nlanguages = ["en", "es"]\n[outputs]\nformats = ["scc", "srt"]\n'
    )
    result = run_job(parse_job(text, tmp_path / "job.toml"))
    assert result.ok, result.videos[0].failures
    root = tmp_path / "out" / "clip"
    files = {f["path"] for f in json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]}
    assert files - {"review.html"} == {f"{lang}/clip.{lang}.{ext}" for lang in ("en", "es") for ext in ("scc", "srt")}
    for lang in ("en", "es"):
        srt = (root / lang / f"clip.{lang}.srt").read_text(encoding="utf-8")
        lines = [line for line in srt.split("\n") if line and "-->" not in line and not line.isdigit()]
        assert max(map(len, lines)) <= 32
