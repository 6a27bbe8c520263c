"""The manual's generated reference names every command, option, job key, exit code, error class and language.

The generators live in ``docs/hooks/``; ``make reference`` writes their Markdown into the pages (committed, so
the reference reads on GitHub and in a clone). These tests run them directly (no MkDocs needed) and fail when
something the code defines is missing from the pages, has no hand-written words, or when a committed section
differs from a fresh generation.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from pipeline.ingest import jobkeys

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


def _accepted(table: str) -> set[str]:
    """The keys the job file's validator accepts in ``table`` (``top``: at the top level), read from the
    "valid: ..." list it gives for an unknown key, whatever shape the table has (table, per language, array)."""
    video: dict[str, Any] = {"transcript": "t.json", "languages": ["en"]}
    probe: dict[str, Any] = {"zzqq": 1}
    shapes: list[dict[str, Any]] = [probe]
    if table != "top":
        shapes = [{table: probe}, {table: {"en": probe}}, {table: [{**video, **probe}]}]
    for shape in shapes:
        doc = shape if table == "top" else {"videos": [video], **shape}
        for _, problem in jobkeys.job_problems(doc, {}):
            found = re.search(r"unknown key 'zzqq'.*\(valid: ([^)]*)\)", problem)
            if found:
                return set(found.group(1).split(", "))
    raise AssertionError(f"the validator names no valid keys of [{table}]: teach _accepted its shape")


def _rows(page: str, heading: str) -> dict[str, list[str]]:
    """The reference table under ``heading``: each key's cells (key, type, default, example, meaning)."""
    rows = [r for r in _section(page, heading).splitlines() if r.startswith("| `")]
    return {cells[0].strip("`"): cells for cells in ([c.strip() for c in r.strip("|").split(" | ")] for r in rows)}


def _heading(table: str) -> str:
    return {"top": "### Top level", "videos": "### `[[videos]]`"}.get(table, f"### `[{table}]`")


def test_every_key_the_validator_accepts_is_in_the_job_file_reference() -> None:
    page = jobref.job_keys_md()
    top, videos = _rows(page, "### Top level"), _rows(page, "### `[[videos]]`")
    tables = [key for key, kind in jobkeys.TOP_KEYS.items() if kind is None]
    assert {"videos", "outputs", "render", "style", "profile"} <= set(tables)
    assert _accepted("top") == set(top) | set(videos) | set(tables)
    for table in tables:
        rows = _rows(page, _heading(table))
        assert set(rows) == _accepted(table), table
        for key, cells in rows.items():
            kind = jobkeys.TOP_KEYS.get(key) if table == "top" else None
            assert all(cells) and (kind is None or cells[1] == kind.what), f"{table}.{key}: {cells}"
    for name in jobref.PRESETS:
        assert f"| `{name}` |" in page


def test_a_default_says_none_only_where_the_code_has_none() -> None:
    page = jobref.job_keys_md()
    for table in ["top", *(key for key, kind in jobkeys.TOP_KEYS.items() if kind is None)]:
        defaults = jobref.code_defaults(table)
        for key, cells in _rows(page, _heading(table)).items():
            assert cells[2] != "none" or (key in defaults and defaults[key] is None), f"{table}.{key}: {cells}"
    style = _rows(page, "### `[style]`")
    assert style["outline"][2] == "`2.5`" and style["bold"][2] == "`false`"  # from AssStyle
    assert style["font_size"][2].startswith("6 %")  # the hand-written words win


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
        if cls.__module__.startswith("pipeline.studio."):  # raised while serving a request: an HTTP answer
            assert (
                "studio only: the studio answers it with HTTP 4" in section and f"exit {cls.exit_code}." not in section
            )
        else:
            assert f"exit {cls.exit_code}." in section or "studio only" in section, cls.__name__
        assert all(f"**{part}:**" in section for part in ("Means", "Cause", "Fix")), cls.__name__


def _exit_values(source: str, module: Any) -> set[int]:
    """The ints ``return`` and ``sys.exit`` in ``source`` can give: literals and ``module``'s constants,
    also as the arms of ``a if c else b`` and ``a or b`` (not a call's arguments: ``m.group(1)``)."""

    def ints(expr: ast.expr) -> set[int]:
        if isinstance(expr, ast.IfExp):
            return ints(expr.body) | ints(expr.orelse)
        if isinstance(expr, ast.BoolOp):
            return set().union(*(ints(v) for v in expr.values))
        if isinstance(expr, ast.Constant):
            value = expr.value
        elif isinstance(expr, (ast.Name, ast.Attribute)):
            value = module
            for name in ast.unparse(expr).split("."):
                value = getattr(value, name, None)
        else:
            return set()
        return {value} if type(value) is int else set()

    found: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Return) and node.value is not None:
            found |= ints(node.value)
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.exit", "exit", "SystemExit"):
            found |= set().union(*(ints(a) for a in node.args))
    return found


def test_every_exit_code_the_cli_can_give_is_documented() -> None:
    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = {int(c) for c in re.findall(r"^\| `(\d+)` \|", _section(page, "## Exit codes"), flags=re.M)}
    assert {0, 1, 2, 130, 143} <= documented
    for path in sorted((ROOT / "pipeline" / "cli").glob("*.py")):
        module = importlib.import_module(f"pipeline.cli.{path.stem}")
        given = _exit_values(path.read_text(encoding="utf-8"), module)
        assert given <= documented, f"cli//{path.name} exits with {sorted(given - documented)}: not on errors.md"
    for cls in cliref.error_classes():
        assert cls.exit_code in documented, cls.__name__
    # the scan sees a module constant and both arms of a conditional, in a return and in sys.exit
    source = "import sys\ndef f(x):\n    return EX_BUSY if x else 3\nsys.exit(cfg.EX_SOFT)\nreturn m.group(4)"
    constants = types.SimpleNamespace(EX_BUSY=75, cfg=types.SimpleNamespace(EX_SOFT=70))
    assert _exit_values(source, constants) == {75, 3, 70}
    assert cliref._outcomes(ast.parse("0 if ok else EX", mode="eval").body)[1].id == "EX"


def test_every_language_of_profiles_toml_is_on_the_languages_page() -> None:
    page = jobref.languages_md()
    tables = jobref.profiles()
    for tag in tables:
        if tag != "default":
            assert f"| `{tag}` |" in page and f"- **`{tag}`**" in page, tag
    rows = _rows(page, "### `[default]`: every field")
    assert set(rows) == set(tables["default"])
    for field, (_, default, meaning) in rows.items():
        assert default and meaning, f"{field}: no meaning"


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
    with pytest.raises(ValueError, match="no <!-- /subpipe:cli -->"):
        reference.expand("<!-- subpipe:cli -->\n")  # a section whose end marker was lost


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


def test_a_table_jobkeys_gains_is_in_the_reference_by_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(jobkeys.TOP_KEYS, "storage", None)
    monkeypatch.setattr(jobkeys, "STORAGE_KEYS", {"endpoint": jobkeys.STR}, raising=False)
    words = {**jobref.texts(), "storage.endpoint": {"what": "the S3 endpoint", "example": 'endpoint = "http://s3"'}}
    monkeypatch.setattr(jobref, "texts", lambda: words)
    section = _section(jobref.job_keys_md(), "### `[storage]`")
    assert '| `endpoint` | a string | none | `endpoint = "http://s3"` | the S3 endpoint |' in section
    del words["storage.endpoint"]
    assert jobref.missing() == ["storage.endpoint"]
