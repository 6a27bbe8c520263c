"""A video's output folder is its own, and a run removes only its own old outputs there.

Two videos sharing ``<output_dir>/<name>/`` (or a name reaching outside it) are refused when the job
is read; an input inside its video's output folder is refused before any work; the commit
(:mod:`pipeline.render.staging`) refuses a staged file gone missing, and never removes an input, nor
an old path that is the same file as a new one (``Clip/`` and ``clip/`` on a case-insensitive file
system: simulated here with a folder link, which gives the same aliasing on Linux).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.batch.preflight import input_problems
from pipeline.cli.main import main
from pipeline.core.errors import InputProblemsError, OutputError
from pipeline.ingest.job import parse_job
from pipeline.render import staging
from pipeline.render.outputs import write_text


def _problems(text: str, tmp_path: Path) -> list[tuple[int | None, str]]:
    with pytest.raises(InputProblemsError) as caught:
        parse_job(text, tmp_path / "job.toml")
    return caught.value.problems


def _videos(*tables: str) -> str:
    return "".join(f'[[videos]]\n{t}\nlanguages = ["en"]\n\n' for t in tables)


@pytest.mark.parametrize(
    "tables",
    [
        ('transcript = "a/t.csv"', 'transcript = "b/t.csv"'),  # the default name: both stems are "t"
        ('video = "ep1/video.mp4"\ntranscript = "ep1/t.json"', 'video = "ep2/video.mp4"\ntranscript = "ep2/t.json"'),
        ('name = "Intro"\ntranscript = "a.json"', 'name = "intro"\ntranscript = "b.json"'),  # case aside
    ],
)
def test_two_videos_with_one_output_folder_are_refused_naming_both_lines(
    tables: tuple[str, str], tmp_path: Path
) -> None:
    text = _videos(*tables)
    ((line, problem),) = _problems(text, tmp_path)
    first, second = (text.splitlines().index(t.splitlines()[0]) + 1 for t in tables)
    assert line == second
    assert f"line {first} and line {second}" in problem and "set a different 'name'" in problem


def test_the_cli_refuses_a_shared_output_folder_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.toml"
    job.write_text(_videos('transcript = "a/t.json"', 'transcript = "b/t.json"'), encoding="utf-8")
    assert main(["run", str(job)]) == 2
    assert "job.toml:6: [[videos]] #1 and [[videos]] #2 both write to the output folder 't'" in capsys.readouterr().err
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "/abs", "a/b", "a\\b", "C:x", " x"])
def test_a_name_that_is_not_one_ordinary_folder_name_is_refused(name: str, tmp_path: Path) -> None:
    text = f'transcript = "t.json"\nlanguages = ["en"]\nname = {json.dumps(name)}\n'
    ((line, problem),) = _problems(text, tmp_path)
    assert line == 3 and f"name {name!r}" in problem and "<output_dir>/<name>/" in problem


def test_a_default_name_that_is_no_folder_name_says_to_set_name(tmp_path: Path) -> None:
    ((line, problem),) = _problems('transcript = "."\nlanguages = ["en"]\n', tmp_path)
    assert line == 1 and "set 'name'" in problem


def test_distinct_ordinary_names_are_accepted(tmp_path: Path) -> None:
    text = _videos('transcript = "a/t.json"', 'name = "t2"\ntranscript = "b/t.json"', 'transcript = "c/clip.v2.json"')
    assert [v.name for v in parse_job(text, tmp_path / "job.toml").videos] == ["t", "t2", "clip.v2"]


def _job_with_files(tmp_path: Path, text: str, *files: str) -> list[tuple[int | None, str]]:
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    return input_problems(parse_job(text, tmp_path / "job.toml"))


def test_a_transcript_inside_its_output_folder_is_refused(tmp_path: Path) -> None:
    text = (
        'output_dir = "."\nname = "clip"\nvideo = "clip.mp4"\ntranscript = "clip/en/clip.en.srt"\nlanguages = ["en"]\n'
    )
    ((line, problem),) = _job_with_files(tmp_path, text, "clip.mp4", "clip/en/clip.en.srt")
    assert line == 4 and "lies inside this video's output folder" in problem and "move it out" in problem


def test_a_video_inside_its_output_folder_is_refused_through_a_link(tmp_path: Path) -> None:
    (tmp_path / "out" / "clip").mkdir(parents=True)
    (tmp_path / "media").symlink_to(tmp_path / "out" / "clip")
    text = 'output_dir = "out"\nvideo = "media/clip.mp4"\ntranscript = "clip.json"\nlanguages = ["en"]\n'
    ((line, problem),) = _job_with_files(tmp_path, text, "out/clip/clip.mp4", "clip.json")
    assert line == 2 and problem.startswith("video ") and "output folder" in problem


def test_the_usual_layout_is_accepted(tmp_path: Path) -> None:
    text = 'video = "clip.mp4"\ntranscript = "clip.json"\nlanguages = ["en"]\n'
    assert _job_with_files(tmp_path, text, "clip.mp4", "clip.json") == []
    # output_dir "." is fine while the inputs are outside the video's own folder
    text = 'output_dir = "."\nvideo = "media/clip.mp4"\ntranscript = "media/clip.json"\nlanguages = ["en"]\n'
    assert _job_with_files(tmp_path, text, "media/clip.mp4", "media/clip.json") == []


def _old_run(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_a_commit_with_a_staged_file_gone_is_refused_and_the_old_run_stays(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _old_run(root, {"a.srt": "old a", "b.srt": "old b", "manifest.json": "old manifest"})
    with pytest.raises(OutputError, match=r"a\.srt"), staging.transaction(root) as txn:
        write_text(root / "a.srt", "new a")
        write_text(root / "manifest.json", "new manifest")
        staging.readable(root / "a.srt").unlink()  # e.g. another run's sweep of the same folder
        txn.finish(["a.srt", "b.srt"], ["a.srt"])
    found = {p.name: p.read_text(encoding="utf-8") for p in root.iterdir()}
    assert found == {"a.srt": "old a", "b.srt": "old b", "manifest.json": "old manifest"}


def test_a_commit_never_removes_an_input_the_old_manifest_listed(tmp_path: Path) -> None:
    root = tmp_path / "clip"
    _old_run(root, {"en/clip.en.srt": "the transcript", "gone.vtt": "old", "manifest.json": "old manifest"})
    with staging.transaction(root, [tmp_path / "clip" / "en" / ".." / "en" / "clip.en.srt"]) as txn:
        write_text(root / "manifest.json", "new manifest")
        txn.finish(["en/clip.en.srt", "gone.vtt"], [])
    assert (root / "en" / "clip.en.srt").read_text(encoding="utf-8") == "the transcript"
    assert not (root / "gone.vtt").exists()


def test_an_old_path_that_is_the_new_file_under_another_case_is_kept(tmp_path: Path) -> None:
    root = tmp_path / "c"
    _old_run(root, {"clip/a.srt": "old a", "manifest.json": "old manifest"})
    os.symlink("clip", root / "Clip")  # Clip/a.srt and clip/a.srt: one file, as on a case-insensitive system
    with staging.transaction(root) as txn:
        write_text(root / "clip" / "a.srt", "new a")
        write_text(root / "manifest.json", "new manifest")
        txn.finish(["Clip/a.srt"], ["clip/a.srt"])
    assert (root / "clip" / "a.srt").read_text(encoding="utf-8") == "new a"
    assert (root / "manifest.json").read_text(encoding="utf-8") == "new manifest"
