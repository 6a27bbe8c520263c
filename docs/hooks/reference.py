"""The manual's generated sections: written into the pages by ``make reference``, checked by the build.

A page holds each generated section between ``<!-- subpipe:NAME -->`` and ``<!-- /subpipe:NAME -->``,
committed, so it reads on GitHub and in a clone too; the Markdown comes from :mod:`jobref` or
:mod:`cliref`, generated from the code (the job keys, the CLI, the errors, the languages, the Python
API's index), so the reference cannot drift from what subpipe does:

- ``python docs/hooks/reference.py --write`` (``make reference``) writes every section afresh;
- ``python docs/hooks/reference.py --check`` and the MkDocs build (this file is its hook) fail when a
  committed section differs from a fresh generation, naming that command;
- a generator whose hand-written words are missing fails either way.

One section is the built site's only: the single marker ``<!-- subpipe:api -->`` becomes mkdocstrings'
``:::`` blocks at build time (they are no reading matter on GitHub; the committed index above it is).
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


# Committed between a pair of markers.
GENERATORS: dict[str, Callable[[], str]] = {
    "job-keys": jobref.job_keys_md,
    "languages": jobref.languages_md,
    "cli": cliref.cli_md,
    "errors": cliref.errors_md,
    "api-index": cliref.api_index_md,
    "bench": bench_md,
}
# Expanded at build time only, from a single marker.
BUILD_ONLY: dict[str, Callable[[], str]] = {"api": cliref.api_md}
MARKER = re.compile(r"<!-- subpipe:([\w-]+) -->")
SECTION = re.compile(r"(<!-- subpipe:([\w-]+) -->\n)(.*?)(<!-- /subpipe:\2 -->)", re.S)
DOCS = HOOKS.parent
COMMAND = "make reference (or: python docs/hooks/reference.py --write)"


def _fresh(name: str) -> str:
    if name not in GENERATORS:
        raise ValueError(f"no generator for <!-- subpipe:{name} -->; known: {', '.join(GENERATORS)}")
    return "\n" + GENERATORS[name]().strip("\n") + "\n\n"


def fill(markdown: str) -> str:
    """``markdown`` with every committed section generated afresh."""
    return SECTION.sub(lambda m: m.group(1) + _fresh(m.group(2)) + m.group(4), markdown)


def stale(markdown: str) -> list[str]:
    """The names of the committed sections of ``markdown`` that differ from a fresh generation."""
    return [m.group(2) for m in SECTION.finditer(markdown) if m.group(3) != _fresh(m.group(2))]


def pages() -> list[Path]:
    """The manual's pages that hold a generated section."""
    return sorted(p for p in DOCS.glob("*.md") if MARKER.search(p.read_text(encoding="utf-8")))


def expand(markdown: str) -> str:
    """``markdown`` as the site shows it: each build-only marker replaced by its section."""
    unpaired = sorted({m.group(1) for m in MARKER.finditer(SECTION.sub("", markdown))} - set(BUILD_ONLY))
    if unpaired:
        name = unpaired[0]
        raise ValueError(f"<!-- subpipe:{name} --> has no <!-- /subpipe:{name} --> or generator; run {COMMAND}")
    markdown = SECTION.sub(lambda m: m.group(3), markdown)  # the committed text, without its markers
    return MARKER.sub(lambda m: BUILD_ONLY[m.group(1)]() if m.group(1) in BUILD_ONLY else m.group(0), markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """MkDocs event: each page's Markdown before it is rendered; a stale committed section fails the build."""
    old = stale(markdown)
    if old:
        page = kwargs.get("page")
        where = page.file.src_path if page is not None else "a page"
        raise ValueError(f"{where}: generated section(s) {', '.join(old)} out of date; run {COMMAND}")
    return expand(markdown)


def main(argv: list[str]) -> int:
    """``--write``: write every generated section into its page; ``--check``: list the stale ones (exit 1)."""
    if argv not in (["--write"], ["--check"]):
        print("usage: python docs/hooks/reference.py --write | --check", file=sys.stderr)
        return 2
    bad = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        if argv == ["--write"]:
            page.write_text(fill(text), encoding="utf-8")
        elif stale(text):
            bad.append(f"docs/{page.name}: {', '.join(stale(text))}")
    for line in bad:
        print(f"out of date: {line}; run {COMMAND}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
