"""Reading the delivery formats, TTML/IMSC, SCC (CEA-608) and EBU-STL, with ttconv (the IMSC reference
converter): its model, rendered into intermediate synchronic documents (what shows when), becomes
cues with one of the 9 positions.

Before ttconv sees a file it is checked here, so that garbage is one error naming the file and the
line (SCC: a line that is no ``timecode<TAB>hex words``; TTML: where the XML breaks; STL: the block),
never a traceback, and never skipped in silence (ttconv's SCC reader skips lines it cannot read).
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.cues import Cue, Track
from pipeline.core.errors import InputError

FORMATS = {".ttml": "ttml", ".dfxp": "ttml", ".scc": "scc", ".stl": "stl"}
_SCC_LINE = re.compile(r"^\d{2}:\d{2}:\d{2}[:;.]\d{2}\t[0-9a-fA-F]{4}( [0-9a-fA-F]{4})*\s*$")
_STL_RATES = (b"STL23.01", b"STL24.01", b"STL25.01", b"STL30.01", b"STL50.01")
logging.getLogger("ttconv").setLevel(logging.ERROR)  # its warning for each style it does not map is noise here


@dataclass(frozen=True)
class Placed:
    """One cue: ``lines`` of plain text shown from ``start_ms`` to ``end_ms`` at ``align`` (1-9 as on a
    numeric keypad: 2 bottom centre, 8 top centre)."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    align: int = 2


def delivery_source(path: str | Path) -> str | None:
    """``ttml``, ``scc`` or ``stl`` when the file's name says it is one, else None."""
    return FORMATS.get(Path(path).suffix.lower())


def _read(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = "no such file" if isinstance(exc, FileNotFoundError) else f"cannot read: {exc.strerror}"
        raise InputError(path, problem) from None
    if not data.strip():
        raise InputError(path, "the file is empty")
    return data


def _scc_model(path: Path, data: bytes) -> Any:
    import ttconv.scc.reader as scc_reader  # ttconv is loaded only for these formats

    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise InputError(path, "not an SCC file: not ASCII text", data[: exc.start].count(b"\n") + 1) from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "Scenarist_SCC V1.0":
        raise InputError(path, "not an SCC file: the first line must be 'Scenarist_SCC V1.0'", 1)
    for number, line in enumerate(lines[1:], start=2):
        if line.strip() and not _SCC_LINE.match(line):
            raise InputError(path, f"not an SCC line (expected 'HH:MM:SS;FF<TAB>hex words'): {line[:40]!r}", number)
    return scc_reader.to_model(text)


def _ttml_model(path: Path, data: bytes) -> Any:
    import ttconv.imsc.reader as imsc_reader

    try:
        tree = ET.ElementTree(ET.fromstring(data))
    except ET.ParseError as exc:
        raise InputError(path, f"not well-formed XML: {exc.msg}", exc.position[0]) from None
    root = getattr(tree.getroot(), "tag", "")
    if root != "{http://www.w3.org/ns/ttml}tt":
        raise InputError(path, f"not a TTML document: its root element is {root!r}, not tt", 1)
    try:
        return imsc_reader.to_model(tree)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InputError(path, f"not a readable TTML document: {exc}") from None


def _stl_model(path: Path, data: bytes) -> Any:
    import ttconv.stl.reader as stl_reader

    if len(data) < 1024 or data[3:11] not in _STL_RATES:
        raise InputError(path, "not an EBU-STL file: no GSI block with a DFC of STL25.01, STL30.01, ...")
    if (len(data) - 1024) % 128:
        raise InputError(path, f"not an EBU-STL file: {len(data) - 1024} bytes after the GSI block, not 128 per TTI")
    rate = 24 if data[3:11] == b"STL23.01" else int(data[6:8])  # 23.976 fps counts frames 0-23
    for n, at in enumerate(range(1024, len(data), 128), start=1):
        for name, code in (("in", data[at + 5 : at + 9]), ("out", data[at + 9 : at + 13])):
            if code[0] > 23 or code[1] > 59 or code[2] > 59 or code[3] >= rate:
                shown = ":".join(f"{b:02d}" for b in code)
                raise InputError(path, f"TTI block {n} (byte {at}): time code {name} {shown} is not a time")
    try:
        return stl_reader.to_model(io.BytesIO(data))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, UnicodeDecodeError) as exc:
        raise InputError(path, f"a TTI block cannot be read ({exc})") from None


def _lines(element: Any) -> list[str]:
    """The lines of one paragraph of an ISD: its text, broken at ``<br/>``."""
    from ttconv import model

    lines = [""]
    for node in element.dfs_iterator():
        if isinstance(node, model.Br):
            lines.append("")
        elif isinstance(node, model.Text):
            lines[-1] += node.get_text()
    return [" ".join(line.split()) for line in lines if line.strip()]


def _align(region: Any, paragraph: Any) -> int:
    """Where a region shows its text (1-9): the height its text is anchored at (its display alignment);
    across, the text's alignment in a region as wide as the screen's safe area, else which side the
    region keeps to (SCC regions are drawn around their text)."""
    from ttconv.style_properties import DisplayAlignType, StyleProperties, TextAlignType

    origin, extent = region.get_style(StyleProperties.Origin), region.get_style(StyleProperties.Extent)
    if origin is None or extent is None:
        return 2
    x, y, width, height = origin.x.value, origin.y.value, extent.width.value, extent.height.value
    display = region.get_style(StyleProperties.DisplayAlign)
    anchor = (
        y
        if display == DisplayAlignType.before
        else y + height / 2
        if display == DisplayAlignType.center
        else y + height
    )
    row = 2 if anchor < 100 / 3 else 1 if anchor < 60 else 0
    if width >= 80:
        text_align = paragraph.get_style(StyleProperties.TextAlign)
        column = {TextAlignType.start: 1, TextAlignType.end: 3}.get(text_align, 2)
    else:
        left, right = x, 100 - x - width
        column = 2 if abs(left - right) < 8 else 1 if left < right else 3
    return 3 * row + column


def _shown(isd: Any) -> list[tuple[tuple[str, ...], int]]:
    """What one ISD shows: the lines and position of each region's text."""
    from ttconv import model

    out = []
    for region in isd.iter_regions():
        for paragraph in (e for e in region.dfs_iterator() if isinstance(e, model.P)):
            lines = tuple(_lines(paragraph))
            if lines:
                out.append((lines, _align(region, paragraph)))
    return out


def _ms(seconds: Fraction) -> int:
    return int(seconds * 1000 + Fraction(1, 2))


def placed_of_model(doc: Any) -> list[Placed]:
    """Cues of a ttconv document: what each ISD shows, from its time until something else shows. An ISD
    that shows just what the one before did marks where a cue ended and the same text began again (two
    back-to-back cues ``Hi``, ``Hi``): they stay two."""
    from ttconv.isd import ISD

    cues: list[Placed] = []
    open_at: dict[tuple[tuple[str, ...], int], int] = {}
    for offset, isd in ISD.generate_isd_sequence(doc):
        now, shown = _ms(offset), dict.fromkeys(_shown(isd))
        again = bool(shown) and set(shown) == set(open_at)
        for key in [k for k in open_at if again or k not in shown]:
            cues.append(Placed(open_at.pop(key), now, key[0], key[1]))
        for key in shown:
            open_at.setdefault(key, now)
    return sorted((c for c in cues if c.end_ms > c.start_ms), key=lambda c: (c.start_ms, c.end_ms))


def read_delivery(path: str | Path) -> list[Placed]:
    """The cues of a TTML/IMSC, SCC or EBU-STL file (by its name), in time order.

    Raises:
        InputError: naming the file and the line (or block) of what is not that format, or when it has no cue.
    """
    path = Path(path)
    source = delivery_source(path)
    data = _read(path)
    reader = {"scc": _scc_model, "ttml": _ttml_model, "stl": _stl_model}[source or "ttml"]
    try:
        cues = placed_of_model(reader(path, data))
    except InputError:
        raise
    except Exception as exc:  # anything else ttconv raises on a malformed file: one line
        raise InputError(path, f"not a readable {source or 'TTML'} file: {type(exc).__name__}: {exc}") from None
    if not cues:
        raise InputError(path, "no cues found")
    return cues


def read_delivery_track(path: str | Path, lang: str) -> Track:
    """A delivery file as a track (positions left out).

    Raises:
        InputError: as :func:`read_delivery`.
    """
    return Track(lang, tuple(Cue(c.start_ms, c.end_ms, c.lines) for c in read_delivery(path)))
