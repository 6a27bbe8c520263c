"""The CLI reference and the exit codes and errors page, generated from the parser and the error tree.

Every command and option comes from :func:`pipeline.cli.main.build_parser`; every exit code from the
CLI's own ``return`` statements and the errors' ``exit_code``; every error class from the
:class:`pipeline.PipelineError` tree, found by importing every module of the package. Only the worked
examples (``examples.toml``) and the errors' meaning, cause and fix (``errors.toml``) are hand-written,
and a command, exit code or class without them fails the build.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import os
import pkgutil
import tomllib
from pathlib import Path
from typing import Any

import pipeline
from pipeline.cli.main import build_parser
from pipeline.core.errors import PipelineError

HERE = Path(__file__).resolve().parent
CLI_DIR = Path(pipeline.__file__).resolve().parent / "cli"


def _load(name: str) -> dict[str, Any]:
    with (HERE / name).open("rb") as f:
        return tomllib.load(f)


def commands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name, in the order ``subpipe --help`` lists them."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def error_classes() -> list[type[PipelineError]]:
    """Every class of the PipelineError tree, the base first, found by importing every module."""
    for info in pkgutil.walk_packages(pipeline.__path__, "pipeline."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found: list[type[PipelineError]] = []
    todo: list[type[PipelineError]] = [PipelineError]
    while todo:  # depth first: each class followed by its own subclasses
        cls = todo.pop()
        if cls not in found and cls.__module__.startswith("pipeline"):
            found.append(cls)
            todo += sorted(cls.__subclasses__(), key=lambda c: c.__name__, reverse=True)
    return found


def _int_of(node: ast.expr, module: Any) -> int | None:
    """The int ``node`` stands for: a literal, or a constant (``NAME``, ``mod.NAME``) of ``module``."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    value: Any = module
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    for name in [node.id, *parts]:
        value = getattr(value, name, None)
    return value if type(value) is int else None


def _outcomes(expr: ast.expr) -> list[ast.expr]:
    """The expressions ``expr`` can evaluate to: both arms of ``a if c else b``, each operand of ``or``/``and``."""
    if isinstance(expr, ast.IfExp):
        return _outcomes(expr.body) + _outcomes(expr.orelse)
    if isinstance(expr, ast.BoolOp):
        return [leaf for value in expr.values for leaf in _outcomes(value)]
    return [expr]


def cli_exit_values() -> dict[str, set[int]]:
    """Per module of ``pipeline/cli``, the ints its ``return`` statements and ``sys.exit`` calls can give:
    literals and module constants, also as the arms of ``0 if ok else 1``."""
    found: dict[str, set[int]] = {}
    for path in sorted(CLI_DIR.glob("*.py")):
        module = importlib.import_module(f"pipeline.cli.{path.stem}")
        codes: set[int] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Return) and node.value is not None:
                exprs = [node.value]
            elif isinstance(node, ast.Call) and ast.unparse(node.func) in ("sys.exit", "exit", "SystemExit"):
                exprs = node.args
            else:
                continue
            for expr in exprs:
                codes |= {code for leaf in _outcomes(expr) if (code := _int_of(leaf, module)) is not None}
        found[path.name] = codes
    return found


def exit_codes() -> list[int]:
    """Every exit code the CLI gives: 0, each error class's ``exit_code``, and the ints of its returns."""
    codes = {0} | {cls.exit_code for cls in error_classes()}
    for values in cli_exit_values().values():
        codes |= values
    return sorted(codes)


def missing() -> list[str]:
    """Commands without a worked example, exit codes and error classes without meaning, cause and fix."""
    examples, errors = _load("examples.toml"), _load("errors.toml")
    gaps = [f"example for `{name}`" for name in commands() if not examples.get(name, {}).get("example")]
    gaps += [f"exit code {code}" for code in exit_codes() if not errors["exit"].get(str(code))]
    for cls in error_classes():
        entry = errors["errors"].get(cls.__name__, {})
        if not all(entry.get(k) for k in ("meaning", "cause", "fix")):
            gaps.append(f"error {cls.__name__}")
    return gaps


def _check() -> None:
    gaps = missing()
    if gaps:
        raise ValueError("docs/hooks/examples.toml or errors.toml has no words for: " + ", ".join(gaps))


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _usage(parser: argparse.ArgumentParser) -> str:
    """The usage line as ``--help`` prints it, wrapped at 90 columns (argparse reads COLUMNS)."""
    before = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "90"
    try:
        return parser.format_usage().removeprefix("usage: ").rstrip()
    finally:
        if before is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = before


def _option_row(action: argparse.Action) -> str:
    if action.option_strings:
        value = f" {action.metavar or action.dest.upper()}" if action.nargs != 0 else ""
        names = ", ".join(f"`{o}{value}`" for o in action.option_strings)
    else:
        names = f"`{action.metavar or action.dest}`"
    notes = []
    if action.required:
        notes.append("required")
    if action.choices:
        notes.append("one of " + ", ".join(f"`{c}`" for c in action.choices))
    if isinstance(action, argparse._AppendAction) or action.nargs in ("+", "*"):
        notes.append("repeatable" if action.option_strings else "one or more")
    help_text = (action.help or "") % {"default": action.default} if action.help else ""
    extra = f" ({'; '.join(notes)})" if notes else ""
    return f"| {names} | {_cell(help_text)}{extra} |"


def cli_md() -> str:
    """Every command: what it does, its usage, each option, and its worked example."""
    _check()
    examples = _load("examples.toml")
    out = [
        "Options that every command takes, before or after its name: `-q`/`--quiet` (no progress bars) "
        "and `-v`/`--verbose` (log details to stderr). `subpipe --version` prints the version; "
        "`python -m pipeline` is the same CLI.",
        "",
    ]
    for name, parser in commands().items():
        actions = [
            a for a in parser._actions if not isinstance(a, argparse._HelpAction) and a.dest not in ("quiet", "verbose")
        ]
        out += [f"## `subpipe {name}`", "", parser.description or "", "", "```text", _usage(parser), "```", ""]
        if actions:
            out += ["| argument | meaning |", "| --- | --- |", *(_option_row(a) for a in actions), ""]
        entry = examples[name]
        out += ["**Example**", "", "```sh", entry["example"].strip(), "```", ""]
        if entry.get("note"):
            out += [entry["note"].strip(), ""]
    return "\n".join(out)


def _ends(cls: type[PipelineError], entry: dict[str, str]) -> str:
    """How the error reaches the user: an exit code, or (studio only) an HTTP response."""
    if entry.get("http"):
        return (
            f"; studio only: the studio answers it with HTTP {entry['http']} and a JSON `error`, "
            "so it never ends a command and has no exit code."
        )
    return f"; exit {cls.exit_code}."


def errors_md() -> str:
    """The exit codes, then every error class: its exit code, meaning, cause and fix."""
    _check()
    words = _load("errors.toml")
    out = ["## Exit codes", "", "| code | meaning |", "| --- | --- |"]
    out += [f"| `{code}` | {_cell(words['exit'][str(code)])} |" for code in exit_codes()]
    out += [
        "",
        "## Errors",
        "",
        "Every error subpipe raises on purpose is a `pipeline.PipelineError`; the CLI prints it as one "
        "`error: ...` line on stderr (no traceback) and exits with the code below. The studio's own errors "
        "(marked *studio only*) never end a command: the studio answers each request that raises one with "
        'an HTTP status and a JSON `{"error": ...}`, and goes on serving.',
        "",
    ]
    for cls in error_classes():
        entry = words["errors"][cls.__name__]
        bases = ", ".join(f"`{b.__name__}`" for b in cls.__bases__ if b is not Exception)
        out += [
            f"### `{cls.__name__}`",
            "",
            f"`{cls.__module__}.{cls.__name__}`" + (f", a subclass of {bases}" if bases else "") + _ends(cls, entry),
            "",
            f"- **Means:** {entry['meaning'].strip()}",
            f"- **Cause:** {entry['cause'].strip()}",
            f"- **Fix:** {entry['fix'].strip()}",
            "",
        ]
        if entry.get("example"):
            out += ["```text", entry["example"].strip(), "```", ""]
    return "\n".join(out)


def api_md() -> str:
    """One mkdocstrings block per name ``import pipeline`` exports (they load lazily, so are listed here)."""
    exports: dict[str, str] = pipeline._EXPORTS
    out = []
    for name in sorted(exports, key=lambda n: (n[0].isupper(), n.lower())):
        out += [
            f"::: {exports[name]}.{name}",
            "    options:",
            "      heading_level: 3",
            "      show_root_full_path: false",
            "",
        ]
    return "\n".join(out)


def api_index_md() -> str:
    """A table of every name ``import pipeline`` exports: what it is and its docstring's first line."""
    exports: dict[str, str] = pipeline._EXPORTS
    out = ["| name | from | what it does |", "| --- | --- | --- |"]
    for name in sorted(exports, key=lambda n: (n[0].isupper(), n.lower())):
        obj = getattr(importlib.import_module(exports[name]), name)
        summary = (inspect.getdoc(obj) or "").split("\n\n")[0]
        if not summary:
            raise ValueError(f"pipeline.{name} has no docstring")
        kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "value"
        out.append(f"| `{name}` | {kind} in `{exports[name]}` | {_cell(summary)} |")
    return "\n".join(out) + "\n"
