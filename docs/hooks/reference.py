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

GENERATORS: dict[str, Callable[[], str]] = {
    "job-keys": jobref.job_keys_md,
    "languages": jobref.languages_md,
    "cli": cliref.cli_md,
    "errors": cliref.errors_md,
    "api": cliref.api_md,
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
