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
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# As `make docs` runs it. Never --quiet: MkDocs 1.6 then logs at ERROR only and --strict counts no warning.
BUILD = ["mkdocs", "build", "--strict"]
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
    done = _build(ROOT, out)
    assert done.returncode == 0, done.stdout
    return out


def _build(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of the manual under ``root``, its log (stdout and stderr) in ``stdout``."""
    argv = [sys.executable, "-m", *BUILD, "--site-dir", str(out)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(argv, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_make_docs_builds_as_the_tests_do_and_never_quietly() -> None:
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    build = next(line for line in recipe.splitlines() if "mkdocs build" in line)
    assert " ".join(BUILD) in build and not re.search(r"\s(-q|--quiet)\b", build), build


def test_a_broken_link_or_anchor_fails_the_build(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="the docs extra is not installed (make docs installs it)")
    pytest.importorskip("mkdocstrings", reason="the docs extra is not installed (make docs installs it)")
    copy = tmp_path / "tree"
    shutil.copytree(ROOT / "docs", copy / "docs")
    for name in ("mkdocs.yml", "Makefile"):
        shutil.copy(ROOT / name, copy / name)
    (copy / "pipeline").symlink_to(ROOT / "pipeline")
    page = copy / "docs" / "getting-started.md"
    broken = "\n[a page](no-such-page.md) and [an anchor](cli.md#no-such-heading)\n"
    page.write_text(page.read_text(encoding="utf-8") + broken, encoding="utf-8")
    done = _build(copy, tmp_path / "site")
    assert done.returncode != 0, done.stdout
    assert "no-such-page.md" in done.stdout and "no-such-heading" in done.stdout, done.stdout


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
