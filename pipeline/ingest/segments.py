"""Timed transcript segments, loaded from subpipe transcript JSON, Whisper JSON, a CSV/TSV sheet, SRT or WebVTT.

subpipe transcript JSON (docs/formats.md documents it)::

    {"video": "promo", "source_language": "en",
     "segments": [{"id": "s01", "start_ms": 2000, "end_ms": 4100, "speaker": "narrator",
                   "text": {"en": "...", "ko": "..."}}]}

Whisper / faster-whisper JSON: ``{"language": "en", "segments": [{"start": 0.0, "end": 2.1, "text": "..."}]}``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.errors import InputError
from pipeline.core.scripts import join_lines
from pipeline.core.textio import read_text
from pipeline.core.timecode import seconds_to_ms
from pipeline.ingest.delivery_read import FORMATS as DELIVERY_SUFFIXES
from pipeline.ingest.delivery_read import read_delivery_track
from pipeline.ingest.sheet import parse_sheet
from pipeline.ingest.sublang import name_language
from pipeline.ingest.subparse import parse_subtitles

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    """A stretch of speech with its text in each language."""

    id: str
    start_ms: int
    end_ms: int
    text: Mapping[str, str]
    speaker: str = ""


@dataclass(frozen=True)
class Transcript:
    """The segments of one video, in time order."""

    segments: tuple[Segment, ...]
    source_language: str = "en"
    languages: tuple[str, ...] = field(default=())


def _time(seg: Mapping[str, Any], key: str, path: str | Path, where: str) -> int:
    if f"{key}_ms" in seg:
        value = seg[f"{key}_ms"]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(path, f"{where}: '{key}_ms' must be an integer of milliseconds, got {value!r}")
        return value
    value = seg.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(path, f"{where}: needs '{key}_ms' (integer ms) or '{key}' (seconds), got {value!r}")
    if abs(value) > 10**9:
        raise InputError(path, f"{where}: '{key}' of {value!r} seconds is out of range")
    return seconds_to_ms(float(value))


def _texts(raw: Any, default_lang: str, path: str | Path, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {default_lang: raw.strip()}
    if isinstance(raw, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        return {k: v.strip() for k, v in raw.items()}
    raise InputError(path, f"{where}: 'text' must be a string or an object of language -> string")


def _segment(raw: Any, index: int, default_lang: str, path: str | Path) -> Segment:
    where = f"segment {index + 1}"
    if not isinstance(raw, Mapping):
        raise InputError(path, f"{where}: expected an object, got {type(raw).__name__}")
    seg_id = str(raw.get("id", f"{index + 1}"))
    where = f"segment {index + 1} (id {seg_id!r})"
    start, end = _time(raw, "start", path, where), _time(raw, "end", path, where)
    if start < 0 or end <= start:
        raise InputError(path, f"{where}: end ({end} ms) must come after start ({start} ms) and start must be >= 0")
    speaker = raw.get("speaker") or ""
    return Segment(seg_id, start, end, _texts(raw.get("text"), default_lang, path, where), str(speaker))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_transcript_json(text: str, path: str | Path) -> Transcript:
    """Parse subpipe or Whisper JSON.

    Raises:
        InputError: on invalid JSON (with its line) or a malformed segment.
    """
    try:
        doc = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"invalid JSON: {exc.msg}", exc.lineno) from None
    except (RecursionError, ValueError) as exc:  # nesting too deep; NaN/Infinity; huge integers
        raise InputError(path, f"invalid JSON: {exc}") from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("segments"), list):
        raise InputError(path, "expected a JSON object with a 'segments' list")
    lang = str(doc.get("source_language") or doc.get("language") or "en")
    segments = tuple(_segment(raw, i, lang, path) for i, raw in enumerate(doc["segments"]))
    if not segments:
        raise InputError(path, "the transcript has no segments")
    ordered = tuple(sorted(segments, key=lambda s: s.start_ms))
    langs: list[str] = []
    for seg in ordered:
        langs.extend(k for k in seg.text if k not in langs)
    return Transcript(ordered, lang, tuple(langs))


def load_sheet(
    path: str | Path, encoding: str | None = None, *, lenient: bool = False, hint_langs: Sequence[str] = ()
) -> Transcript:
    """Load a CSV/TSV sheet (see :mod:`pipeline.ingest.sheet`); repairs are logged as warnings.

    Raises:
        InputError: when the file cannot be read or parsed.
    """
    sheet = parse_sheet(read_text(path, encoding, ascii_start=True, langs=hint_langs), path, lenient=lenient)
    for repair in sheet.repairs:
        logger.warning("%s", repair)
    segs = tuple(Segment(r.id, r.start_ms, r.end_ms, r.text, r.speaker) for r in sheet.rows)
    return Transcript(tuple(sorted(segs, key=lambda s: s.start_ms)), sheet.languages[0], sheet.languages)


def load_transcript(
    path: str | Path,
    lang: str | None = None,
    encoding: str | None = None,
    *,
    lenient: bool = False,
    hint_langs: Sequence[str] = (),
) -> Transcript:
    """Load segments from ``.json`` (subpipe or Whisper), ``.csv``/``.tsv``, ``.srt``, ``.vtt``, or a
    delivery format (``.ttml``/``.dfxp``, ``.scc``, ``.stl``).

    For subtitle files each cue becomes a segment; ``lang`` names its language (default: the file name's
    ``<stem>.<lang>.srt`` suffix, else ``en``). A legacy encoding must be declared (``encoding``, or
    ``"auto"`` for the best guess, which ``hint_langs``, the languages expected, inform). ``lenient``
    repairs what the SRT/VTT and sheet readers can repair without guessing, logging each repair;
    strict (the default) refuses it.

    Raises:
        InputError: when the file cannot be read or parsed.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return parse_transcript_json(read_text(p, encoding, langs=hint_langs), p)
    if suffix in (".csv", ".tsv"):
        return load_sheet(p, encoding, lenient=lenient, hint_langs=hint_langs)
    if suffix in (".srt", ".vtt", *DELIVERY_SUFFIXES):
        known = lang or language_from_name(p)  # the default "en" is no hint: it would be contradicted
        language = known or "en"
        if suffix in DELIVERY_SUFFIXES:
            track = read_delivery_track(p, language)
        else:
            text = read_text(p, encoding, langs=[*([known] if known else []), *hint_langs])
            parsed = parse_subtitles(text, p, language, lenient=lenient)
            for repair in parsed.repairs:
                logger.warning("%s", repair)
            track = parsed.track
        segs = tuple(
            Segment(str(i), c.start_ms, c.end_ms, {language: join_lines(c.lines)})
            for i, c in enumerate(track.cues, start=1)
        )
        return Transcript(segs, language, (language,))
    expected = ".json, .csv, .tsv, .srt, .vtt, .ttml, .scc or .stl"
    raise InputError(p, f"unknown transcript format {suffix!r}: expected {expected}")


def language_from_name(path: str | Path) -> str | None:
    """The ``<lang>`` of a ``<stem>.<lang>.<ext>`` file name, if it has one: read as ``burn``, ``mux`` and
    ``check`` read it (:func:`pipeline.ingest.sublang.name_language`: flags such as ``.forced`` skipped, a word
    such as ``clip.new.srt`` no tag).

    Raises:
        UsageError: when the name holds a language's name where its tag belongs (``subs.english.srt``).
    """
    return name_language(Path(path))
