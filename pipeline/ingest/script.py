"""Scripts without times, for ``subpipe align``: plain text (one segment per non-empty line), a
transcript JSON whose segments have no times (or times to be replaced), or a CSV/TSV sheet whose
start and end cells are empty (:func:`pipeline.ingest.sheet.parse_untimed_sheet`).

The result keeps everything a JSON script had (ids, speakers, the other languages' texts, the
document's other keys), so that the aligned transcript is the script with times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.langtags import find_key, same_tag
from pipeline.core.textio import read_text
from pipeline.ingest.sheet import parse_untimed_sheet

SHEET_SUFFIXES = (".csv", ".tsv")


@dataclass(frozen=True)
class Script:
    """A script's document (a transcript JSON's shape) and the text of each segment in the language aligned."""

    doc: dict[str, Any]
    lines: tuple[str, ...]
    lang: str = "en"


def _from_text(text: str, lang: str) -> dict[str, Any]:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    segments = [{"id": f"s{n:02d}", "text": {lang: line}} for n, line in enumerate((ln for ln in lines if ln), 1)]
    return {"source_language": lang, "languages": [lang], "segments": segments}


def _from_sheet(text: str, path: str | Path, lang: str | None) -> tuple[dict[str, Any], list[int]]:
    """A sheet's rows as a transcript document: every language column keeps its text; its source
    language is ``lang``'s column, or the first language column (as for a timed sheet); and the file
    line of each row."""
    langs, rows = parse_untimed_sheet(text, path)
    column = langs[0] if lang is None else _column(lang, langs)
    if column is None:
        raise InputError(path, f"the sheet has no {lang} column (its languages: {', '.join(langs)})")
    segments = [{"id": r.id, **({"speaker": r.speaker} if r.speaker else {}), "text": dict(r.text)} for r in rows]
    return {"source_language": column, "languages": list(langs), "segments": segments}, [r.line for r in rows]


def _column(lang: str, langs: tuple[str, ...]) -> str | None:
    """The language column that ``lang`` names: the same tag (case aside), else the closest (``en`` -> ``en-US``)."""
    return next((c for c in langs if same_tag(c, lang)), None) or find_key(lang, langs)


def _text_of(seg: Mapping[str, Any], lang: str, default_lang: str) -> str | None:
    text = seg.get("text")
    if isinstance(text, str):
        return text if lang == default_lang else None
    if isinstance(text, Mapping):
        value = text.get(lang)
        return value if isinstance(value, str) else None
    return None


def parse_script(text: str, path: str | Path, lang: str | None, default: str = "en") -> Script:
    """Parse a script's decoded text: a sheet when ``path`` ends in ``.csv`` or ``.tsv``, JSON when
    the text starts with ``{``, else one segment per line.

    The lines aligned are those in ``lang``; when ``lang`` is None (a job: its languages are the
    subtitles', not the audio's), those in the script's own source language: a sheet's first
    language column, a JSON's ``source_language``, else ``default``.

    Raises:
        InputError: on invalid JSON, a JSON without a ``segments`` list, or a segment without text
            in ``lang``.
    """
    at: list[int] = []  # a sheet's rows' file lines
    if Path(path).suffix.lower() in SHEET_SUFFIXES:
        doc, at = _from_sheet(text, path, lang)
        lang = str(doc["source_language"])  # the column's own spelling (en-US for en)
    elif text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise InputError(path, f"invalid JSON: {exc}") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("segments"), list):
            raise InputError(path, "expected a JSON object with a 'segments' list")
    else:
        doc = _from_text(text, lang or default)
    default_lang = str(doc.get("source_language") or doc.get("language") or lang or default)
    lang = lang or default_lang
    lines = []
    for n, seg in enumerate(doc["segments"], 1):
        found = _text_of(seg, lang, default_lang) if isinstance(seg, Mapping) else None
        if found is None or not found.strip():
            if at:
                raise InputError(path, f"the row has no text in {lang} (the language aligned)", at[n - 1])
            raise InputError(path, f"segment {n}: no text in {lang}")
        lines.append(" ".join(found.split()))
    if not lines:
        raise InputError(path, "the script has no lines")
    return Script(doc, tuple(lines), lang)


def load_script(path: str | Path, lang: str | None, encoding: str | None = None, *, default: str = "en") -> Script:
    """Read and parse a script file (see :func:`parse_script`).

    Raises:
        InputError: when the file cannot be read or parsed.
    """
    sheet = Path(path).suffix.lower() in SHEET_SUFFIXES
    text = read_text(path, encoding, ascii_start=sheet, langs=[lang or default])
    return parse_script(text, path, lang, default)
