"""The manual's generated reference names every command, option, job key, exit code, error class and language.

The generators live in ``docs/hooks/``; ``make reference`` writes their Markdown into the pages (committed, so
the reference reads on GitHub and in a clone). These tests run them directly (no MkDocs needed) and fail when
something the code defines is missing from the pages, has no hand-written words, or when a committed section
differs from a fresh generation.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "hooks"))
# docs/hooks is not a package of the project (MkDocs loads it by path): its modules, untyped here.
cliref = importlib.import_module("cliref")
jobref = importlib.import_module("jobref")
reference = importlib.import_module("reference")


def _section(page: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same level."""
    level = heading.split(" ")[0]
    start = page.index(heading + "\n")
    rest = page[start + len(heading) + 1 :]
    end = re.search(rf"^{level} ", rest, flags=re.M)
    return rest[: end.start()] if end else rest


def test_every_command_and_option_is_in_the_cli_reference() -> None:
    page = cliref.cli_md()
    for name, parser in cliref.commands().items():
        section = _section(page, f"## `subpipe {name}`")
        assert "**Example**" in section and f"subpipe {name}" in section.split("**Example**")[1], name
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help", "-q", "--quiet", "-v", "--verbose"):
                    assert f"`{option}" in section, f"{name} {option}"
            if not action.option_strings:
                assert f"`{action.metavar or action.dest}`" in section, f"{name} {action.dest}"
    assert "`--quiet`" in page and "`--verbose`" in page


def test_every_job_key_is_in_the_job_file_reference() -> None:
    page = jobref.job_keys_md()
    titles = {"top": "### Top level", "videos": "### `[[videos]]`"}
    for table, keys, _, _ in jobref.tables():
        section = _section(page, titles.get(table, f"### `[{table}]`"))
        for key, kind in keys.items():
            row = next((r for r in section.splitlines() if r.startswith(f"| `{key}` |")), None)
            assert row is not None, f"{table}.{key}"
            cells = [c.strip() for c in row.split(" | ")]
            assert cells[1] == kind.what and all(cells[2:]), f"{table}.{key}: {row}"
    for name in jobref.PRESETS:
        assert f"| `{name}` |" in page


def test_every_exit_code_and_error_class_is_on_the_errors_page() -> None:
    page = cliref.errors_md()
    codes = cliref.exit_codes()
    assert {0, 1, 2, 130, 143} <= set(codes)
    for code in codes:
        assert f"| `{code}` |" in _section(page, "## Exit codes")
    classes = cliref.error_classes()
    assert {"PipelineError", "InputError", "UsageError", "FfmpegError", "SharedPathError"} <= {
        c.__name__ for c in classes
    }
    for cls in classes:
        section = _section(page, f"### `{cls.__name__}`")
        assert f"exit {cls.exit_code}." in section
        assert all(f"**{part}:**" in section for part in ("Means", "Cause", "Fix")), cls.__name__


def test_every_language_of_profiles_toml_is_on_the_languages_page() -> None:
    page = jobref.languages_md()
    tables = jobref.profiles()
    for tag in tables:
        if tag != "default":
            assert f"| `{tag}` |" in page and f"- **`{tag}`**" in page, tag
    for field in tables["default"]:
        assert f"| `{field}` |" in page, field


def test_every_name_import_pipeline_exports_has_an_api_entry() -> None:
    import pipeline

    page, index = cliref.api_md(), cliref.api_index_md()
    for name, module in pipeline._EXPORTS.items():
        assert f"::: {module}.{name}\n" in page and f"| `{name}` | " in index, name


def test_every_marker_in_the_pages_has_a_generator_and_each_generator_a_page() -> None:
    paired, single = set(), set()
    for page in (ROOT / "docs").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        paired |= {m.group(2) for m in reference.SECTION.finditer(text)}
        single |= set(reference.MARKER.findall(reference.SECTION.sub("", text)))
        reference.expand(text)  # an unpaired marker without a build-time generator raises
    assert paired == set(reference.GENERATORS) and single == set(reference.BUILD_ONLY)


@pytest.mark.parametrize("page", reference.pages(), ids=lambda p: p.name)
def test_the_committed_reference_is_what_the_code_generates(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert not reference.stale(text), f"docs/{page.name}: out of date; run {reference.COMMAND}"
    for match in reference.SECTION.finditer(text):
        assert len(match.group(3).strip()) > 200, f"docs/{page.name}: {match.group(2)} is empty"


def test_a_stale_section_is_found_and_written_afresh() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    old = text.replace("## `subpipe burn`", "## `subpipe burn-old`")
    assert reference.stale(old) == ["cli"] and reference.fill(old) == text
    with pytest.raises(ValueError, match="make reference"):
        reference.on_page_markdown(old)


@pytest.mark.parametrize(
    ("module", "data", "drop", "expected"),
    [
        (cliref, "examples.toml", ("burn",), "example for `burn`"),
        (cliref, "errors.toml", ("exit", "143"), "exit code 143"),
        (cliref, "errors.toml", ("errors", "SharedPathError"), "error SharedPathError"),
    ],
)
def test_a_missing_example_or_error_text_fails_the_build(
    monkeypatch: pytest.MonkeyPatch, module: Any, data: str, drop: tuple[str, ...], expected: str
) -> None:
    load = module._load

    def without(name: str) -> dict[str, Any]:
        doc: dict[str, Any] = load(name)
        if name == data:
            table = doc
            for key in drop[:-1]:
                table = table[key]
            del table[drop[-1]]
        return doc

    monkeypatch.setattr(module, "_load", without)
    assert module.missing() == [expected]
    with pytest.raises(ValueError, match=re.escape(expected)):
        module.cli_md()


def test_a_job_key_without_words_fails_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    words = jobref.texts()
    del words["outputs.hls"]
    monkeypatch.setattr(jobref, "texts", lambda: words)
    assert jobref.missing() == ["outputs.hls"]
    with pytest.raises(ValueError, match=r"outputs\.hls"):
        jobref.job_keys_md()
