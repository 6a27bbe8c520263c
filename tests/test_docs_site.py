"""The built manual loads nothing from other origins, and every page of the nav is built.

``make docs`` builds the site with ``--strict`` and then runs this module on it (``SUBPIPE_DOCS_SITE``);
under ``make test`` it builds the site itself when MkDocs (the ``docs`` extra) is installed.

Material's script can fetch from unpkg.com in two cases only, neither of which this site has: a
ResizeObserver polyfill for browsers without one, and mermaid for a ``mermaid`` diagram; and
api.github.com only with a ``repo_url``. The tests hold the site to that.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OTHER_ORIGIN = re.compile(
    r"""<(?:link|script|img|iframe|source|video|audio)\b[^>]*\b(?:href|src)=["']?(?:https?:)?//""", re.I
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("SUBPIPE_DOCS_SITE")
    if given:
        return Path(given)
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed (make docs installs it)")
    out = tmp_path_factory.mktemp("site")
    argv = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)]
    subprocess.run(argv, cwd=ROOT, check=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return out


def test_no_page_loads_anything_from_another_origin(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not OTHER_ORIGIN.search(html), f"{page.name}: {OTHER_ORIGIN.search(html)}"
        assert 'class="mermaid"' not in html and "fonts.googleapis" not in html, page.name
    for css in site.rglob("*.css"):
        assert not re.search(r"@import|url\(\s*[\"']?(?:https?:)?//", css.read_text(encoding="utf-8")), css.name
    assert "repo_url" not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")


def test_every_page_is_built_with_its_generated_sections(site: Path) -> None:
    for page in (ROOT / "docs").glob("*.md"):
        assert (site / page.with_suffix(".html").name).is_file(), page.name
    html = (site / "cli.html").read_text(encoding="utf-8")
    assert "subpipe cache" in html and "<!-- subpipe:" not in html
    assert "InputProblemsError" in (site / "errors.html").read_text(encoding="utf-8")
    assert 'class="doc doc-heading"' in (site / "api.html").read_text(encoding="utf-8")
    assert (site / "img" / "review.png").is_file() and (site / "img" / "studio-editor.png").is_file()
