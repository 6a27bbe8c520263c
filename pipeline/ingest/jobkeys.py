"""The job file's keys: which exist in which table, of which type, and every problem with its line.

:func:`job_problems` walks a parsed job file against this schema and returns every problem found
(unknown keys and tables with the closest valid name, wrong types, missing required keys, values
out of range), each with the line that :mod:`pipeline.ingest.tomllines` found for it. Nothing is
silently ignored: a typo such as ``langauges`` or ``[rendr]`` would otherwise let the job run
with defaults the user did not ask for.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath, PureWindowsPath
from typing import Any

from pipeline.core.langtags import fallbacks, tag_key
from pipeline.core.profiles import OVERRIDABLE, Profile
from pipeline.ingest.presets import PRESETS
from pipeline.ingest.tomllines import KeyPath, line_of


@dataclass(frozen=True)
class Kind:
    """What a key's value must be: its description for messages, and the test."""

    what: str
    test: Callable[[Any], bool]


def _is(*types: type) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, types) and (bool in types or not isinstance(v, bool))


STR = Kind("a string", _is(str))
INT = Kind("an integer", _is(int))
NUMBER = Kind("a number", _is(int, float))
BOOL = Kind("true or false", _is(bool))
STR_LIST = Kind("a list of strings", lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v))
_BY_TYPE = {str: STR, int: INT, float: NUMBER, bool: BOOL}

FORMATS = frozenset({"srt", "vtt", "ass", "ttml", "imsc", "scc", "stl"})
CONTAINERS = frozenset({"mkv", "mp4"})
VIDEO_KEYS: dict[str, Kind] = {
    "name": STR,
    "video": STR,
    "transcript": STR,
    "languages": STR_LIST,
    "default_language": STR,
    "encoding": STR,
    "lenient": BOOL,
    "align": BOOL,
}
OUTPUTS_KEYS: dict[str, Kind] = {
    "formats": STR_LIST, "burn": BOOL, "mux": STR_LIST, "review": BOOL, "hls": BOOL
}  # fmt: skip
RENDER_KEYS: dict[str, Kind] = {"crf": INT, "preset": STR, "burn_group": INT}
STYLE_KEYS: dict[str, Kind] = {"font_size": NUMBER, "outline": NUMBER, "shadow": NUMBER, "margin_v": INT, "bold": BOOL}
# The profile's fields a job may override: not ``tag`` (the table's own name) nor ``key`` (set by subpipe).
PROFILE_KEYS: dict[str, Kind] = {
    f.name: _BY_TYPE[typing.get_type_hints(Profile)[f.name]]
    for f in dataclasses.fields(Profile)
    if f.name in OVERRIDABLE
}
_TABLES = ("videos", "outputs", "render", "style", "profile")
TOP_KEYS: dict[str, Kind | None] = {  # None: a table
    "output_dir": STR, "preset": STR, **VIDEO_KEYS, **dict.fromkeys(_TABLES)
}  # fmt: skip
_TOP = "at the top level, above the first [table]"
_HOMES = {  # where a key misplaced in another table belongs
    **dict.fromkeys(STYLE_KEYS, "in [style] or [style.<lang>]"),
    **dict.fromkeys(RENDER_KEYS, "in [render]"),
    **dict.fromkeys(OUTPUTS_KEYS, "in [outputs]"),
    **dict.fromkeys(VIDEO_KEYS, f"in [[videos]], or {_TOP}"),
    "output_dir": _TOP,
}
_HOMES.pop("preset")  # [render] preset (the encoder's) and the top level's (the delivery's) are both valid


def table_name(path: KeyPath) -> str:
    """How a message names the table at ``path``: ``the top level``, ``[outputs]``, ``[[videos]] #2``."""
    if not path:
        return "the top level"
    if path[0] == "videos" and len(path) > 1 and isinstance(path[1], int):
        return f"[[videos]] #{path[1] + 1}"
    return "[" + ".".join(str(p) for p in path) + "]"


def _in(path: KeyPath) -> str:
    return f"in {table_name(path)}" if path else "at the top level"


class _Walk:
    """One pass over a parsed job file, collecting its problems."""

    def __init__(self, lines: Mapping[KeyPath, int]) -> None:
        self.lines = lines
        self.problems: list[tuple[int | None, str]] = []

    def add(self, path: KeyPath, problem: str) -> None:
        self.problems.append((line_of(self.lines, path), problem))

    def keys(self, path: KeyPath, table: Mapping[str, Any], spec: Mapping[str, Kind | None]) -> None:
        """Every key of ``table`` known to ``spec`` and of its type."""
        for key, value in table.items():
            if key not in spec:
                self.unknown(path, key, value, spec)
            elif (kind := spec[key]) is not None and not kind.test(value):
                self.add((*path, key), f"{key!r} {_in(path)}: expected {kind.what}, got {value!r}")

    def unknown(self, path: KeyPath, key: str, value: Any, spec: Mapping[str, Kind | None], hint: str = "") -> None:
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            what = f"table [{table_name((*path, key))}]"  # [[vidoes]]
        else:
            what = f"table {table_name((*path, key))}" if isinstance(value, Mapping) else f"key {key!r}"
        where = f" in {table_name(path)}" if path else ""
        close = difflib.get_close_matches(key, list(spec), n=1)
        if key in _HOMES:  # a valid key in the wrong table: more likely than a typo of another
            hint = f"{key!r} belongs {_HOMES[key]}"
        elif close:
            name = repr(close[0]) if spec[close[0]] is not None else table_name((*path, close[0]))
            hint = f"did you mean {'[[videos]]' if close[0] == 'videos' and not path else name}?"
        elif not hint:
            hint = "valid: " + ", ".join(sorted(spec))
        self.add((*path, key), f"unknown {what}{where} ({hint})")

    def table(self, doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = doc.get(key, {})
        if isinstance(value, Mapping):
            return value
        self.add((key,), f"{key!r}: expected a table ([{key}]), got {value!r}")
        return {}


def _video_tables(walk: _Walk, doc: Mapping[str, Any]) -> list[tuple[KeyPath, Mapping[str, Any]]]:
    """The video tables: the top level when it holds video keys, then each ``[[videos]]``."""
    found: list[tuple[KeyPath, Mapping[str, Any]]] = []
    if any(k in doc for k in VIDEO_KEYS):
        found.append(((), doc))
    raw = doc.get("videos", [])
    if not isinstance(raw, list):
        got = "a table ([videos])" if isinstance(raw, Mapping) else repr(raw)
        walk.add(("videos",), f"'videos': expected an array of tables ([[videos]]), got {got}")
        return found
    for i, item in enumerate(raw):
        if isinstance(item, Mapping):
            found.append((("videos", i), item))
        else:
            walk.add(("videos", i), f"[[videos]] #{i + 1}: expected a table, got {item!r}")
    return found


def _check_video(walk: _Walk, path: KeyPath, table: Mapping[str, Any]) -> None:
    if path:
        walk.keys(path, table, VIDEO_KEYS)
    for key in ("transcript", "languages"):
        if key not in table:
            given = next((k for k in VIDEO_KEYS if k in table), None)
            if path:
                walk.add(path, f"{table_name(path)} has no {key!r}")
            else:  # the top level's video keys make a video only with both
                walk.add((given or key,), f"the top level has {given!r} but no {key!r} (or give [[videos]] tables)")
    langs = table.get("languages")
    if STR_LIST.test(langs) and not langs:
        walk.add((*path, "languages"), f"'languages' {_in(path)}: the list is empty")
    default = table.get("default_language")
    if STR_LIST.test(langs) and langs and isinstance(default, str) and tag_key(default) not in map(tag_key, langs):
        problem = f"default_language {default!r} {_in(path)} is not in languages {langs}"
        walk.add((*path, "default_language"), problem)


def _check_choices(walk: _Walk, outputs: Mapping[str, Any], preset: Any) -> None:
    if isinstance(preset, str) and preset not in PRESETS:
        close = difflib.get_close_matches(preset, list(PRESETS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "valid: " + ", ".join(PRESETS)
        walk.add(("preset",), f"unknown preset {preset!r} ({hint})")
    for key, allowed in (("formats", FORMATS), ("mux", CONTAINERS)):
        values = outputs.get(key)
        if isinstance(values, list) and STR_LIST.test(values) and not set(values) <= allowed:
            bad = sorted(set(values) - allowed)
            walk.add(("outputs", key), f"{key!r} in [outputs]: {bad} not among {sorted(allowed)}")


def _check_languages(walk: _Walk, path: KeyPath, tables: Mapping[str, Any], langs: set[str]) -> None:
    """Each ``[style.<lang>]`` / ``[profile.<lang>]`` must serve a language of the job as the runs
    apply them (:func:`pipeline.core.langtags.tables_for`: ``[profile.zh-Hant]`` and ``[profile.zh]``
    serve ``zh-TW``, ``[profile.zh-Hans]`` does not), else the table is a typo that nothing reads."""
    served = {tag_key(key) for lang in langs for key in fallbacks(lang)}
    for tag, value in tables.items():
        if isinstance(value, Mapping) and langs and tag_key(tag) not in served:
            alike = sorted(lang for lang in langs if lang[:1].lower() == tag[:1].lower())  # jp -> ja, not ar -> ja
            close = difflib.get_close_matches(tag, alike, n=1, cutoff=0.5)
            hint = f"did you mean [{path[0]}.{close[0]}]?" if close else "languages: " + ", ".join(sorted(langs))
            walk.add((*path, tag), f"{table_name((*path, tag))} names no language of this job ({hint})")


def _check_style_and_profile(walk: _Walk, doc: Mapping[str, Any], langs: set[str]) -> None:
    style, profile = walk.table(doc, "style"), walk.table(doc, "profile")
    for key, value in style.items():
        if isinstance(value, Mapping):
            walk.keys(("style", key), value, STYLE_KEYS)
        else:
            walk.keys(("style",), {key: value}, STYLE_KEYS)
    for key, value in profile.items():
        if isinstance(value, Mapping):
            walk.keys(("profile", key), value, PROFILE_KEYS)
        else:
            hint = "[profile] holds one table per language: put it in [profile.<lang>]"
            walk.unknown(("profile",), key, value, {}, hint)
    _check_languages(walk, ("style",), style, langs)
    _check_languages(walk, ("profile",), profile, langs)


def _folder_name(table: Mapping[str, Any]) -> str | None:
    """The output folder's name of a video table: its ``name``, else its video's or transcript's stem
    (as :mod:`pipeline.ingest.job` gives it); None when its keys are of the wrong type (reported elsewhere)."""
    if "name" in table:
        return table["name"] if isinstance(table["name"], str) else None
    source = table.get("video", table.get("transcript"))
    return PurePath(source).stem if isinstance(source, str) else None


def _bad_name(name: str) -> str | None:
    """Why ``name`` cannot be a folder of its own directly under ``output_dir``, or None when it can."""
    if name in ("", ".", "..") or name != name.strip():
        return "is not a folder name"
    if any(c in name for c in "/\\\0") or PurePath(name).is_absolute() or PureWindowsPath(name).drive:
        return "is not a single folder name (no '/', '\\', NUL or drive)"
    return None


def _check_names(walk: _Walk, videos: list[tuple[KeyPath, Mapping[str, Any]]]) -> None:
    """Each video's output folder is its own: a single ordinary name under ``output_dir``, no two the
    same (case aside, as a case-insensitive file system sees them): else one's run deletes the other's outputs."""
    seen: dict[str, tuple[KeyPath, KeyPath]] = {}
    for path, table in videos:
        name = _folder_name(table)
        if name is None:
            continue
        at = (*path, next(k for k in ("name", "video", "transcript") if k in table))
        why = _bad_name(name)
        if why:
            given = "" if "name" in table else " (the default, its file's stem: set 'name')"
            walk.add(at, f"name {name!r} {_in(path)}{given} {why}: the outputs go to <output_dir>/<name>/")
            continue
        first, first_at = seen.setdefault(name.casefold(), (path, at))
        if first != path:
            lines = f"line {line_of(walk.lines, first_at)} and line {line_of(walk.lines, at)}"
            problem = f"{table_name(first)} and {table_name(path)} both write to the output folder {name!r}"
            walk.add(at, f"{problem} ({lines}; case aside): set a different 'name' in one of them")


def job_problems(doc: Mapping[str, Any], lines: Mapping[KeyPath, int]) -> list[tuple[int | None, str]]:
    """Every problem of a parsed job file, as ``(line, message)`` pairs (line None: the whole file)."""
    walk = _Walk(lines)
    walk.keys((), doc, TOP_KEYS)
    videos = _video_tables(walk, doc)
    if not videos and not walk.problems:
        walk.problems.append((None, "no video: give 'transcript' and 'languages', or [[videos]] tables"))
    _check_names(walk, videos)
    langs: set[str] = set()
    for path, table in videos:
        _check_video(walk, path, table)
        if STR_LIST.test(table.get("languages")):
            langs.update(table["languages"])
    outputs = walk.table(doc, "outputs")
    walk.keys(("outputs",), outputs, OUTPUTS_KEYS)
    _check_choices(walk, outputs, doc.get("preset"))
    walk.keys(("render",), walk.table(doc, "render"), RENDER_KEYS)
    _check_style_and_profile(walk, doc, langs)
    return walk.problems
