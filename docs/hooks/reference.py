"""MkDocs hook: fills the generated sections of the manual at build time.

A page marks a section with ``<!-- subpipe:NAME -->``; this hook replaces it with the Markdown that
:mod:`jobref` or :mod:`cliref` generate from the code (the job keys, the CLI, the errors, the
languages, the Python API), so the reference cannot drift from what subpipe does. A marker without a
generator, or a generator whose hand-written words are missing, fails the build.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOOKS = Path(__file__).resolve().parent
# The hooks' modules, and the package of this very tree (before any installed copy): the manual documents
# the code it is built with.
sys.path[:0] = [str(HOOKS), str(HOOKS.parent.parent)]

import cliref  # noqa: E402
import jobref  # noqa: E402


def _unmake(line: str) -> str:
    """A recipe line as a person types it: make's variables and conditionals spelled out."""
    for made, typed in (
        ("$(BIN)/", ".venv/bin/"),
        ("$(BENCH_VENV)", ".venv/bench"),
        ("$(SPEECH_EVAL)", "<the recordings' folder>"),
        ("$(if $(AENEAS),--aeneas $(AENEAS))", "[--aeneas PYTHON]"),
    ):
        line = line.replace(made, typed)
    return line


def bench_md() -> str:
    """The commands ``make bench`` and ``make eval`` run, read from the Makefile's recipes."""
    lines = (HOOKS.parent.parent / "Makefile").read_text(encoding="utf-8").splitlines()
    out = ["```sh"]
    for target in ("bench", "eval"):
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
        recipe = []
        for line in lines[start + 1 :]:
            if not line.startswith("\t"):
                break
            recipe.append(_unmake(line.strip()))
        out += [f"# make {target}", *recipe]
    return "\n".join([*out, "```"]) + "\n"


GENERATORS: dict[str, Callable[[], str]] = {
    "job-keys": jobref.job_keys_md,
    "languages": jobref.languages_md,
    "cli": cliref.cli_md,
    "errors": cliref.errors_md,
    "api": cliref.api_md,
    "bench": bench_md,
}
MARKER = re.compile(r"<!-- subpipe:([\w-]+) -->")


def expand(markdown: str) -> str:
    """``markdown`` with every marker replaced by its generated section."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            raise ValueError(f"no generator for <!-- subpipe:{name} -->; known: {', '.join(GENERATORS)}")
        return GENERATORS[name]()

    return MARKER.sub(one, markdown)


def on_page_markdown(markdown: str, **_kwargs: Any) -> str:
    """MkDocs event: each page's Markdown before it is rendered."""
    return expand(markdown)
