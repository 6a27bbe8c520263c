"""Transcript sheets: CSV or TSV as a spreadsheet exports it.

Columns ``id, start, end, speaker``, then one per language (its BCP 47 tag as the header)::

    id,start,end,speaker,en,ko
    s01,00:00:02,010,00:00:04,365,narrator,"The world changes.",세상은 변합니다.

Times are ``HH:MM:SS,mmm``, ``HH:MM:SS.mmm`` or seconds (``2.01``). A script for ``subpipe align``
(:func:`parse_untimed_sheet`) leaves every start and end empty, or leaves the two columns out
(``id, speaker, <languages>``). The file is UTF-8 or UTF-16,
with or without a BOM (the ASCII header makes UTF-16 without a BOM certain); ``.tsv`` is
tab-separated, ``.csv`` is separated by whichever of comma, semicolon or tab its header uses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.core.errors import InputError, UsageError
from pipeline.core.profiles import canonical_tag
from pipeline.core.scripts import join_lines
from pipeline.core.textio import Repair
from pipeline.core.timecode import clock_to_ms

FIXED_COLUMNS = ("id", "start", "end", "speaker")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[,.](\d{1,3}))?$")
_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_TIME_FORMS = "HH:MM:SS,mmm, HH:MM:SS.mmm or seconds"
_UNTIMED_LAYOUTS = "id, start, end, speaker (start and end empty) or id, speaker, then the languages"


@dataclass(frozen=True)
class SheetRow:
    """One segment row: the file line it starts on, its times and its text per language."""

    line: int
    id: str
    start_ms: int
    end_ms: int
    speaker: str
    text: dict[str, str]


@dataclass(frozen=True)
class Sheet:
    """A parsed sheet: its languages in column order, its rows, and what was repaired."""

    languages: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    repairs: tuple[Repair, ...] = ()


def parse_time(value: str) -> int | None:
    """Milliseconds of a sheet time, or None when it is not one of the accepted forms.

    >>> parse_time("00:01:02,5"), parse_time("1:02.250"), parse_time("62.5"), parse_time("soon")
    (62500, 62250, 62500, None)
    """
    text = value.strip()
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds, frac = clock.groups()
        if int(minutes) >= 60 or int(seconds) >= 60:
            return None
        return clock_to_ms(hours, minutes, seconds, frac)
    if _SECONDS.match(text):
        try:
            return int((Decimal(text) * 1000).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
        except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
            return None
    return None


def _delimiter(text: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    header = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=header.count)


def _records(text: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty record with the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text, path), strict=True)
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                yield line, record
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"not a readable CSV/TSV record: {exc}", reader.line_num or line) from None


def _languages(header: list[str], path: Path, line: int) -> tuple[str, ...]:
    names = [cell.strip() for cell in header]
    while names and not names[-1]:
        names.pop()  # a trailing separator after the last column
    if [n.lower() for n in names[:4]] != list(FIXED_COLUMNS):
        raise InputError(path, f"expected the header to start with {', '.join(FIXED_COLUMNS)}, got {names[:4]}", line)
    langs = tuple(names[4:])
    if not langs:
        raise InputError(path, "expected at least one language column after id, start, end, speaker", line)
    for lang in langs:
        if not _LANG_TAG.match(lang):
            raise InputError(path, f"column {lang!r} is not a language tag (like en, ko, zh-Hans)", line)
    if len(set(langs)) != len(langs):
        raise InputError(path, f"a language column appears twice: {list(langs)}", line)
    return langs


def _time_cell(cell: str, what: str, path: Path, line: int) -> int:
    ms = parse_time(cell)
    if ms is None:
        raise InputError(path, f"{what}: expected {_TIME_FORMS}, got {cell.strip()!r}", line)
    return ms


def _cell_text(cell: str) -> str:
    """A cell's text: white space collapsed, line breaks joined by script, speakers' turns kept."""
    return join_lines([" ".join(line.split()) for line in cell.splitlines()])


def _row(record: list[str], langs: Sequence[str], path: Path, line: int) -> SheetRow:
    width = 4 + len(langs)
    if len(record) < width or any(cell.strip() for cell in record[width:]):
        columns = ", ".join((*FIXED_COLUMNS, *langs))
        raise InputError(path, f"expected {width} cells ({columns}), got {len(record)}", line)
    start = _time_cell(record[1], "start", path, line)
    end = _time_cell(record[2], "end", path, line)
    if end <= start:
        raise InputError(path, f"end ({record[2].strip()}) must come after start ({record[1].strip()})", line)
    texts = {lang: _cell_text(cell) for lang, cell in zip(langs, record[4:width], strict=True)}
    seg_id = record[0].strip() or str(line)
    return SheetRow(line, seg_id, start, end, record[3].strip(), {k: v for k, v in texts.items() if v})


def parse_sheet(text: str, path: str | Path, *, lenient: bool = False) -> Sheet:
    """Parse a sheet's decoded text.

    A row with no text in any language fails in strict mode and is dropped (with a repair) in
    lenient mode; everything else that is wrong fails in both, naming the line.

    Raises:
        InputError: naming the file, the line and what was expected.
    """
    p = Path(path)
    records = _records(text, p)
    first = next(records, None)
    if first is None:
        raise InputError(p, "the sheet has no header row (id, start, end, speaker, <languages>)")
    langs = _languages(first[1], p, first[0])
    rows: list[SheetRow] = []
    repairs: list[Repair] = []
    seen: dict[str, int] = {}
    for line, record in records:
        row = _row(record, langs, p, line)
        _unique(row.id, line, seen, p)
        if not row.text:
            if not lenient:
                raise InputError(p, "the row has no text in any language (lenient mode drops it: --lenient)", line)
            repairs.append(Repair(str(p), line, f"row {row.id!r} with no text dropped"))
            continue
        rows.append(row)
    if not rows:
        raise InputError(p, "the sheet has no segment rows")
    return Sheet(langs, tuple(rows), tuple(repairs))


def _unique(seg_id: str, line: int, seen: dict[str, int], path: Path) -> None:
    """Note ``seg_id`` as seen on ``line``; refuse it, naming both lines, when it was seen before."""
    if seg_id in seen:
        raise InputError(path, f"id {seg_id!r} is used twice: on line {seen[seg_id]} and here", line)
    seen[seg_id] = line


@dataclass(frozen=True)
class ScriptRow:
    """One row of a sheet without times: the file line it starts on, its id, speaker and texts."""

    line: int
    id: str
    speaker: str
    text: dict[str, str]


def _untimed_header(header: list[str], path: Path, line: int) -> tuple[tuple[str, ...], int]:
    """The languages of an untimed sheet's header (canonical tags: ``EN`` is ``en``), and how many
    fixed columns come before them."""
    names = [cell.strip().lower() for cell in header]
    fixed = 2 if names[:2] == ["id", "speaker"] else 4
    if fixed == 4 and names[:4] != list(FIXED_COLUMNS):
        raise InputError(path, f"expected the header to start with {_UNTIMED_LAYOUTS}, got {names[:4]}", line)
    cells = [cell.strip() for cell in header[fixed:]]
    while cells and not cells[-1]:
        cells.pop()  # a trailing separator after the last column
    if not cells:
        raise InputError(path, f"expected at least one language column after {', '.join(names[:fixed])}", line)
    langs = _languages([*FIXED_COLUMNS, *cells], path, line)
    try:
        tags = tuple(canonical_tag(lang) for lang in langs)
    except UsageError as exc:
        raise InputError(path, str(exc), line) from None
    if len(set(tags)) != len(tags):
        raise InputError(path, f"a language column appears twice: {list(langs)}", line)
    return tags, fixed


def parse_untimed_sheet(text: str, path: str | Path) -> tuple[tuple[str, ...], tuple[ScriptRow, ...]]:
    """Parse a sheet whose rows have no times yet (a script for ``subpipe align``): its languages
    and rows. The header is the timed sheet's (every start and end cell empty) or ``id, speaker,
    <languages>``.

    Raises:
        InputError: naming the line: a row with a time, with no text, or with the wrong number of cells.
    """
    p = Path(path)
    records = _records(text, p)
    first = next(records, None)
    if first is None:
        raise InputError(p, f"the sheet has no header row ({_UNTIMED_LAYOUTS})")
    langs, fixed = _untimed_header(first[1], p, first[0])
    rows: list[ScriptRow] = []
    seen: dict[str, int] = {}
    for line, record in records:
        width = fixed + len(langs)
        if len(record) < width or any(cell.strip() for cell in record[width:]):
            raise InputError(p, f"expected {width} cells, got {len(record)}", line)
        if fixed == 4 and (record[1].strip() or record[2].strip()):
            raise InputError(p, "a script to align has no times: leave start and end empty", line)
        texts = {lang: _cell_text(cell) for lang, cell in zip(langs, record[fixed:width], strict=True)}
        if not any(texts.values()):
            raise InputError(p, "the row has no text in any language", line)
        seg_id = record[0].strip() or str(line)
        _unique(seg_id, line, seen, p)
        speaker = record[fixed - 1].strip()
        rows.append(ScriptRow(line, seg_id, speaker, {k: v for k, v in texts.items() if v}))
    if not rows:
        raise InputError(p, "the sheet has no segment rows")
    return langs, tuple(rows)
