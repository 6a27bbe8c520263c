"""Where each key of a TOML document is written: tomllib gives values, never line numbers.

:func:`key_lines` reads a document that tomllib has already accepted and returns, for every key
path, the line (1-based) that first names it: ``("outputs", "formats")`` for ``formats = [...]``
under ``[outputs]``, ``("videos", 0)`` for the first ``[[videos]]`` header, ``("profile", "ja",
"max_cps")`` for a dotted key. Quoted keys are decoded by tomllib itself. A key inside an inline
table is not listed: :func:`line_of` then gives the line of the nearest enclosing key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping

KeyPath = tuple[str | int, ...]

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class _Value:
    """Where a value stands after the characters seen so far: inside which string, how deep in brackets."""

    def __init__(self) -> None:
        self.quote = ""  # '"', "'", '\"\"\"' or "'''" while inside a string
        self.depth = 0

    @property
    def open(self) -> bool:
        """Whether the value goes on past the end of the line."""
        return bool(self.quote) or self.depth > 0

    def feed(self, line: str, i: int = 0) -> None:
        """Read ``line`` from ``i`` up to its end or its comment."""
        while i < len(line):
            if self.quote:
                i = self._in_string(line, i)
                continue
            ch = line[i]
            if ch == "#":
                return
            if ch in "\"'":
                self.quote = ch * 3 if line.startswith(ch * 3, i) else ch
                i += len(self.quote)
                continue
            self.depth += 1 if ch in "[{" else -1 if ch in "]}" else 0
            i += 1
        if len(self.quote) == 1:  # a single-line string cannot go on (tomllib accepted the text)
            self.quote = ""

    def _in_string(self, line: str, i: int) -> int:
        if line[i] == "\\" and self.quote[0] == '"':
            return i + 2
        if line.startswith(self.quote, i):
            end = i + len(self.quote)
            while end < len(line) and len(self.quote) == 3 and line[end] == self.quote[0]:
                end += 1  # a closing run of 4 or 5 quotes ends with the last three
            self.quote = ""
            return end
        return i + 1


def _read_key(line: str, i: int) -> tuple[list[str], int]:
    """The parts of the (dotted, maybe quoted) key starting at ``line[i]``, and where it ends.

    Raises:
        ValueError: when no key starts there.
    """
    parts: list[str] = []
    while True:
        while i < len(line) and line[i] in " \t":
            i += 1
        start = i
        if i < len(line) and line[i] in "\"'":
            quote = line[i]
            i += 1
            while i < len(line) and line[i] != quote:
                i += 2 if line[i] == "\\" and quote == '"' else 1
            i += 1
            parts.append(str(tomllib.loads(f"k = {line[start:i]}")["k"]))
        else:
            while i < len(line) and line[i] in _BARE:
                i += 1
            if i == start:
                raise ValueError(line)
            parts.append(line[start:i])
        while i < len(line) and line[i] in " \t":
            i += 1
        if i >= len(line) or line[i] != ".":
            return parts, i
        i += 1


class _Lines:
    """The document's tables and keys as they are read, line by line."""

    def __init__(self) -> None:
        self.lines: dict[KeyPath, int] = {}
        self.table: KeyPath = ()
        self.arrays: dict[KeyPath, int] = {}  # [[array]] path -> how many tables so far

    def resolve(self, parts: list[str], base: KeyPath = ()) -> KeyPath:
        """The key path of ``parts`` under ``base``, with the current index after each [[array]]."""
        out: list[str | int] = list(base)
        for part in parts:
            out.append(part)
            count = self.arrays.get(tuple(out))
            if count:
                out.append(count - 1)
        return tuple(out)

    def note(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self.lines.setdefault(path[:end], line)

    def header(self, text: str, line: int) -> None:
        array = text.startswith("[[")
        parts, _ = _read_key(text, 2 if array else 1)
        if array:
            whole = (*self.resolve(parts[:-1]), parts[-1])
            self.arrays[whole] = self.arrays.get(whole, 0) + 1
            self.table = (*whole, self.arrays[whole] - 1)
        else:
            self.table = self.resolve(parts)
        self.note(self.table, line)

    def key(self, text: str, line: int) -> int:
        """Note the key of a ``key = value`` line; return where its value starts."""
        parts, i = _read_key(text, 0)
        self.note(self.resolve(parts, self.table), line)
        return i + 1  # past the "="


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line that first names each key path (table headers and dotted prefixes too) of a
    TOML document that tomllib accepted. A line this reader cannot follow is skipped."""
    seen = _Lines()
    value = _Value()
    for number, raw in enumerate(text.split("\n"), start=1):
        if value.open:
            value.feed(raw)
            continue
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            if stripped.startswith("["):
                seen.header(stripped, number)
            else:
                value.feed(stripped, seen.key(stripped, number))
        except (ValueError, tomllib.TOMLDecodeError):
            continue
    return seen.lines


def line_of(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest enclosing key that has one (an inline table's)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
