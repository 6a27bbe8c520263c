"""The cookbook's code blocks run, in order, in one folder holding a 35 s excerpt of the sample.

The excerpt is long enough for ``subpipe sync`` to accept its fit (the sample's first 12 s are refused:
too few pauses), and scaled down to 240 lines so that the burns stay quick.

A block runs unless an HTML comment right above it says ``<!-- skip: reason -->`` (a server, a browser or
other machines); ``<!-- exit: N -->`` is the exit code it must end with (default 0), and a TOML block
under ``<!-- file: NAME -->`` is written as that file. Shell blocks run in bash with ``subpipe`` being
this tree's CLI; Python blocks run in-process in the folder.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.media.ffmpeg import ffmpeg_exe

ROOT = Path(__file__).resolve().parent.parent
COOKBOOK = ROOT / "docs" / "cookbook.md"
BLOCK = re.compile(r"(?:<!-- (?P<tag>skip|exit|file): (?P<arg>[^>]*?) -->\n)?```(?P<lang>\w+)\n(?P<code>.*?)```", re.S)
CLIP_MS = 35_000  # 30 s still has too few pauses (5 stretches of speech, 6 needed) for sync to accept it


@dataclass(frozen=True)
class Block:
    """One code block of the cookbook and what its comment asks."""

    lang: str
    code: str
    skip: str | None = None
    exit: int = 0
    file: str | None = None


def blocks() -> list[Block]:
    """The cookbook's code blocks, in page order."""
    found = []
    for m in BLOCK.finditer(COOKBOOK.read_text(encoding="utf-8")):
        tag, arg = m.group("tag"), (m.group("arg") or "").strip()
        found.append(
            Block(
                m.group("lang"),
                m.group("code"),
                skip=arg if tag == "skip" else None,
                exit=int(arg) if tag == "exit" else 0,
                file=arg if tag == "file" else None,
            )
        )
    return found


@pytest.fixture(scope="module")
def kitchen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with talk.mp4 (the sample's first 35 s, 240 lines), talk.json (its segments) and a `subpipe` command."""
    folder = tmp_path_factory.mktemp("cookbook")
    sample = ROOT / "assets" / "promo" / "promo.mp4"
    argv = [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(sample), "-t", str(CLIP_MS / 1000)]
    small = ["-vf", "scale=-2:240", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy"]
    subprocess.run([*argv, *small, str(folder / "talk.mp4")], check=True)
    doc = json.loads((ROOT / "subtitles" / "promo" / "transcript.json").read_text(encoding="utf-8"))
    doc["segments"] = [s for s in doc["segments"] if s["end_ms"] <= CLIP_MS - 300]
    (folder / "talk.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    bin_dir = folder / ".bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "subpipe"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pipeline "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    return folder


def _env(folder: Path) -> dict[str, str]:
    path = f"{folder / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, "PYTHONPATH": str(ROOT), "SUBPIPE_CACHE": str(folder / ".cache")}


def test_the_cookbook_has_a_block_per_recipe_and_says_why_it_skips() -> None:
    found = blocks()
    assert len(found) >= 12
    assert all(b.skip is None or len(b.skip) > 20 for b in found)
    assert sum(b.skip is None for b in found) >= 10
    # a block that hides its exit code (`cmd || echo ...`) would pass whatever the command did
    assert not [b.code for b in found if b.lang == "sh" and "||" in b.code]


def test_every_recipe_has_a_code_block_or_says_why_not() -> None:
    """Each ``## `` section holds a code block (run, or skipped with its reason), or ``<!-- no code: why -->``."""
    recipes = re.split(r"^## ", COOKBOOK.read_text(encoding="utf-8"), flags=re.M)[1:]
    assert len(recipes) >= 9
    for recipe in recipes:
        title = recipe.splitlines()[0]
        assert BLOCK.search(recipe) or re.search(r"<!-- no code: .{20,} -->", recipe), f"## {title}: no code block"
    storage = next(r for r in recipes if r.startswith("Use object storage"))
    found = [b for b in BLOCK.finditer(storage) if b.group("lang") in ("sh", "toml")]
    assert len(found) == 2 and all(b.group("tag") == "skip" for b in found)
    assert "SUBPIPE_CACHE=s3://" in storage and 'video = "s3://' in storage and 'output_dir = "s3://' in storage


@pytest.mark.parametrize("block", blocks(), ids=lambda b: b.code.split("\n")[0][:40])
def test_cookbook_block(block: Block, kitchen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if block.skip:
        pytest.skip(block.skip)
    if block.file:
        (kitchen / block.file).write_text(block.code, encoding="utf-8")
    elif block.lang == "sh":
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", block.code],
            cwd=kitchen,
            env=_env(kitchen),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == block.exit, f"{block.code}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    elif block.lang == "python":
        monkeypatch.chdir(kitchen)
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block.code, str(COOKBOOK), "exec"), {})
    else:
        assert block.lang in ("yaml", "toml"), block.lang  # shown, not run (a CI file; a job used by a later block)
