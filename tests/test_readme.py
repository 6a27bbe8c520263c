"""The README's Python example and package tree match the code."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert len(blocks) == 1
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], "README.md", "exec"), {})
    match = re.fullmatch(r"(\d+) cues; (\d+) errors\n", out.getvalue())
    assert match is not None, out.getvalue()
    assert int(match.group(1)) >= 36  # at least one cue per segment of the sample


def test_readme_tree_lists_every_subpackage() -> None:
    tree = README[README.index("```\npipeline/\n") :].split("```")[1]
    listed = re.findall(r"^  (\w+)/", tree, flags=re.M)
    actual = sorted(p.parent.name for p in (ROOT / "pipeline").glob("*/__init__.py"))
    assert sorted(listed) == actual
    top = sorted(p.name for p in (ROOT / "pipeline").glob("*.py"))
    assert top == ["__init__.py", "__main__.py"]
