"""The README (the front page) and the manual's hand-written examples match the code.

The README stays short (at most 150 lines), its links work in a clone and on GitHub, its job file is a
valid job and its commands exist; the Python API page's example runs, and the design page's package
tree lists every subpackage. The cookbook's blocks run in tests/test_docs_cookbook.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
from pathlib import Path

import pytest

from pipeline.cli.main import COMMANDS, main
from pipeline.ingest.job import parse_job
from pipeline.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_readme_is_a_front_page_of_at_most_150_lines() -> None:
    assert len(README.splitlines()) <= 150
    assert "make demo" in README and "make test" in README


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_relative_links_and_pictures_point_at_files(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.is_file(), f"{page.name}: {target}"
        assert ROOT in path.parents, f"{page.name}: {target} leaves the repository (dead in a clone)"
    assert "../shared/" not in page.read_text(encoding="utf-8")


def test_readme_job_file_is_a_valid_job_and_its_commands_exist() -> None:
    (job,) = _blocks(README, "toml")
    assert parse_job(job, ROOT / "my-job.toml").videos[0].languages == ("en", "ko", "ar")
    targets = set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), flags=re.M))
    for block in _blocks(README, "sh"):
        for line in block.splitlines():
            words = line.split("#")[0].split()
            if words and words[0] == "make":
                assert words[1] in targets, line
            elif words:
                assert words[0].endswith("subpipe") and words[1] in COMMANDS, line
    for command in COMMANDS:
        assert command in README, f"the README does not name `subpipe {command}`"


def test_readme_own_video_runs_and_makes_what_it_says(tmp_path: Path) -> None:
    """The README's job file, on an 8 s excerpt of the sample, makes every kind of file its table lists."""
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(ROOT / "assets" / "promo" / "promo.mp4")]
    subprocess.run([*argv, "-t", "8", "-c", "copy", str(tmp_path / "talk.mp4")], check=True)
    doc = json.loads((ROOT / "subtitles" / "promo" / "transcript.json").read_text(encoding="utf-8"))
    doc["segments"] = [s for s in doc["segments"] if s["end_ms"] <= 7_700]
    (tmp_path / "talk.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    (job,) = _blocks(README, "toml")
    (tmp_path / "my-job.toml").write_text(job, encoding="utf-8")
    assert main(["-q", "run", str(tmp_path / "my-job.toml")]) == 0
    out = tmp_path / "output" / "talk"
    table = README[README.index("## What comes out") :].split("\n\n")[2]
    for lang in ("en", "ko", "ar"):
        for ext in ("srt", "vtt", "ass", "mp4"):
            assert (out / lang / f"talk.{lang}.{ext}").is_file(), (lang, ext)
    for name in ("talk.subs.mkv", "talk.subs.mp4", "review.html", "manifest.json"):
        assert (out / name).is_file() and name.replace("talk", "<name>") in table, name
    assert (out / "review").is_dir()


def test_the_python_api_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    (block,) = _blocks((DOCS / "api.md").read_text(encoding="utf-8"), "python")
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "docs/api.md", "exec"), {})
    match = re.fullmatch(r"(\d+) cues; (\d+) errors\n", out.getvalue())
    assert match is not None, out.getvalue()
    assert int(match.group(1)) >= 36  # at least one cue per segment of the sample


def test_the_design_pages_tree_lists_every_subpackage() -> None:
    design = (DOCS / "design.md").read_text(encoding="utf-8")
    tree = design[design.index("```\npipeline/\n") :].split("```")[1]
    listed = re.findall(r"^  (\w+)/", tree, flags=re.M)
    actual = sorted(p.parent.name for p in (ROOT / "pipeline").glob("*/__init__.py"))
    assert sorted(listed) == actual
    top = sorted(p.name for p in (ROOT / "pipeline").glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]


# Pointers into the README that other branches still own (they moved to the manual with issue 26).
README_POINTERS_OWNED_ELSEWHERE = {"pipeline/media/speechgate.py", "benchmarks/scale_model.py"}


def _sources() -> list[Path]:
    found = [*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "assets").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    return sorted([*found, *DOCS.glob("*.md")])


def test_no_file_sends_readers_to_a_readme_section_that_moved_to_the_manual() -> None:
    stale = re.compile(r"see (?:the )?README|in the README|README[,:] \"|\(README\)")
    for path in _sources():
        name = path.relative_to(ROOT).as_posix()
        if name not in README_POINTERS_OWNED_ELSEWHERE:
            assert not stale.search(path.read_text(encoding="utf-8")), f"{name}: points at the README"


def test_every_quoted_section_of_the_manual_exists() -> None:
    """A pointer such as ``docs/studio.md, "A studio for a team"`` names a heading of that page (or its part
    before a colon or comma)."""
    pointer = re.compile(r"(?:docs/)?([\w-]+\.md), \"([^\"]+)\"")
    seen = 0
    for path in _sources():
        for page, title in pointer.findall(path.read_text(encoding="utf-8")):
            headings = re.findall(r"^#+ (.+)$", (DOCS / page).read_text(encoding="utf-8"), flags=re.M)
            assert any(h == title or h.startswith((title + ":", title + ",")) for h in headings), (
                f"{path.relative_to(ROOT)}: {page} has no section {title!r}"
            )
            seen += 1
    assert seen >= 5


def test_the_manual_cites_no_document_outside_the_repository_and_says_where_subpipe_is() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        assert "qc-rules" not in page.read_text(encoding="utf-8"), page.name  # shared/reference is not in a clone
    # a bare `subpipe` in a block comes after the README says how it gets on PATH
    first_bare = re.search(rf"^subpipe (?:{'|'.join(COMMANDS)}) ", README, flags=re.M)
    told = README.find("source .venv/bin/activate")
    assert first_bare is not None and 0 <= told < first_bare.start()
