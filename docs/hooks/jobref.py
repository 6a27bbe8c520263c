"""The job file reference and the languages page, generated from the code's own definitions.

The keys, their tables and types come from :mod:`pipeline.ingest.jobkeys`; the defaults from the job's
dataclasses (:mod:`pipeline.ingest.job`), the presets from :mod:`pipeline.ingest.presets` and the
profile fields from ``pipeline/core/profiles.toml``. Only the words are hand-written
(``jobkeys.toml`` beside this file); a key without them fails the build.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pipeline.core.profiles import get_profile
from pipeline.ingest import job, jobkeys
from pipeline.ingest.presets import PRESETS
from pipeline.tracks.formats import AssStyle

HERE = Path(__file__).resolve().parent
PROFILES_TOML = resources.files("pipeline.core").joinpath("profiles.toml").read_text(encoding="utf-8")


def texts() -> dict[str, dict[str, str]]:
    """The hand-written words of every key, by ``table.key`` (``videos.name``, ``outputs.burn``...)."""
    with (HERE / "jobkeys.toml").open("rb") as f:
        keys: dict[str, dict[str, str]] = tomllib.load(f)["keys"]
    return keys


def profile_fields() -> dict[str, str]:
    """The profile fields' meanings, from the comment block at the top of ``profiles.toml``."""
    meanings: dict[str, str] = {}
    last = ""
    for line in PROFILES_TOML.splitlines():
        if not line.startswith("#"):
            break
        m = re.match(r"#   (\w+(?:, \w+)*)\s{2,}(.*)", line) or re.match(r"#   (\w+(?:, \w+)*)$", line)
        if m:
            for name in m.group(1).split(", "):
                meanings[name] = m.group(2).strip() if m.lastindex == 2 else ""
            last = m.group(1).split(", ")[-1]
        elif last and re.match(r"#\s{10,}", line):
            meanings[last] += " " + line.lstrip("# ").strip()
    return meanings


def field_meaning(name: str) -> str:
    """What profile field ``name`` means: ``jobkeys.toml``'s ``profile.<name>``, else ``profiles.toml``'s comment."""
    return texts().get(f"profile.{name}", {}).get("what") or profile_fields().get(name, "")


def profiles() -> dict[str, dict[str, Any]]:
    """Every table of ``profiles.toml`` (``default`` first)."""
    return tomllib.loads(PROFILES_TOML)


def _dataclass_defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}


# How each table is introduced; a table jobkeys gains later is listed all the same, as `[name]`.
WHERE = {
    "top": "at the top of the file, above the first `[table]`",
    "videos": "one `[[videos]]` table per video; a job of one video may put these keys at the top instead",
    "outputs": "`[outputs]`: which files to make",
    "render": "`[render]`: the encoder",
    "style": "`[style]` for every language, `[style.<lang>]` for one: the burned-in look, sizes in pixels of the video",
    "profile": "`[profile.<lang>]`: any field of a language's profile (its default here is the `[default]` profile's; "
    "each language's own values are on the [languages](languages.md) page)",
}


def schema() -> dict[str, dict[str, jobkeys.Kind]]:
    """Every table of the job file, as ``jobkeys.TOP_KEYS`` lists them, with its keys' kinds (``top``: the
    top level's own keys; the video keys it also takes are ``videos``'). A table is ``jobkeys.<NAME>_KEYS``
    (``videos``: ``VIDEO_KEYS``)."""
    found = {"top": {k: v for k, v in jobkeys.TOP_KEYS.items() if v is not None and k not in jobkeys.VIDEO_KEYS}}
    for name, kind in jobkeys.TOP_KEYS.items():
        if kind is not None:
            continue
        names = (f"{name.upper()}_KEYS", f"{name.upper().removesuffix('S')}_KEYS")
        keys = next((getattr(jobkeys, n) for n in names if isinstance(getattr(jobkeys, n, None), dict)), None)
        if keys is None:
            raise ValueError(f"table {name!r} of jobkeys.TOP_KEYS: no jobkeys.{names[0]} to document it from")
        found[name] = keys
    return found


def code_defaults(table: str) -> dict[str, Any]:
    """The defaults the code gives the keys of ``table``: its dataclass's (the job's field of that name),
    the burned style's, or the ``[default]`` profile's."""
    if table == "profile":
        return profiles()["default"]
    known: dict[str, type] = {"top": job.Job, "videos": job.VideoJob, "style": AssStyle}
    field = next((f for f in dataclasses.fields(job.Job) if f.name == table), None)
    if table not in known and field is not None and dataclasses.is_dataclass(field.default):
        known[table] = type(field.default)
    return _dataclass_defaults(known[table]) if table in known else {}


def tables() -> list[tuple[str, dict[str, jobkeys.Kind], dict[str, Any], str]]:
    """The job file's tables as the reference shows them, with their keys' kinds and code defaults."""
    return [(name, keys, code_defaults(name), WHERE.get(name, f"`[{name}]`")) for name, keys in schema().items()]


def missing() -> list[str]:
    """Keys of the schema that the reference has no words for (each must have `what` and `example`)."""
    words, fields = texts(), profile_fields()
    gaps = []
    for table, keys, _, _ in tables():
        for key in keys:
            entry = words.get(f"{table}.{key}", {})
            if table == "profile":
                if not (entry.get("what") or fields.get(key)):
                    gaps.append(f"{table}.{key}")
            elif not (entry.get("what") and entry.get("example")):
                gaps.append(f"{table}.{key}")
    return gaps


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(table: str, key: str, kind: jobkeys.Kind, defaults: dict[str, Any]) -> str:
    entry = texts().get(f"{table}.{key}", {})
    what = entry.get("what") or profile_fields().get(key, "")
    if "default" in entry:
        default = entry["default"]
    elif key in defaults and defaults[key] is not None:
        default = f"`{_toml(defaults[key])}`"
    else:
        default = "none"
    example = entry.get("example") or f"{key} = {_toml(defaults.get(key, ''))}"
    return f"| `{key}` | {kind.what} | {_cell(default)} | `{_cell(example)}` | {_cell(what)} |"


def job_keys_md() -> str:
    """The reference of every job key: per table, each key's type, default, example and meaning."""
    gaps = missing()
    if gaps:
        raise ValueError(f"docs/hooks/jobkeys.toml: no words for {', '.join(gaps)}")
    out = []
    for table, keys, defaults, where in tables():
        title = "Top level" if table == "top" else f"`[{table}]`" if table != "videos" else "`[[videos]]`"
        out += [
            f"### {title}",
            "",
            where[0].upper() + where[1:] + ".",
            "",
            "| key | type | default | example | meaning |",
            "| --- | --- | --- | --- | --- |",
        ]
        out += [_row(table, key, kind, defaults) for key, kind in keys.items()]
        out.append("")
    out += [
        "### Presets",
        "",
        '`preset = "<name>"` at the top picks these `[outputs]` and profile rules; what the job sets itself wins.',
        "",
        "| preset | what it writes | `[outputs]` | rules |",
        "| --- | --- | --- | --- |",
    ]
    for name, preset in PRESETS.items():
        outputs = ", ".join(f"{k} = {_toml(v)}" for k, v in preset.outputs.items())
        rules = ", ".join(f"{k} = {_toml(v)}" for k, v in preset.rules.items()) or "the profiles"
        out.append(f"| `{name}` | {_cell(preset.what)} | `{outputs}` | `{rules}` |")
    return "\n".join(out) + "\n"


def languages_md() -> str:
    """Every profile of ``profiles.toml``: a summary table, the defaults, and what each language changes."""
    tables_ = profiles()
    base = tables_["default"]
    unsaid = [k for k in base if not field_meaning(k)]
    if unsaid:
        raise ValueError(f"profiles.toml's comment or docs/hooks/jobkeys.toml: no words for {', '.join(unsaid)}")
    shown = ("name", "script", "direction", "max_line_chars", "max_lines", "max_cps", "count", "breaking", "font")
    out = ["| tag | " + " | ".join(shown) + " |", "| --- |" + " --- |" * len(shown)]
    for tag in tables_:
        if tag == "default":
            continue
        merged = dataclasses.asdict(get_profile(tag))  # as the code merges it: zh-HK over zh-Hant over [default]
        out.append(f"| `{tag}` | " + " | ".join(_cell(str(merged.get(f, ""))) for f in shown) + " |")
    out += ["", "### `[default]`: every field", "", "| field | default | meaning |", "| --- | --- | --- |"]
    out += [f"| `{k}` | `{_toml(v)}` | {_cell(field_meaning(k))} |" for k, v in base.items()]
    out += ["", "### What each language sets", ""]
    for tag, table in tables_.items():
        if tag != "default":
            values = ", ".join(f"`{k} = {_toml(v)}`" for k, v in table.items())
            out.append(f"- **`{tag}`**: {values}")
    out += ["", "A regional table (`pt-BR`, `zh-HK`) holds only what differs from its language's table."]
    return "\n".join(out) + "\n"
