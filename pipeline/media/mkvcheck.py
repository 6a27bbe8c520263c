"""Reading back a Matroska file's track languages, and checking the positions and checksums in it.

:func:`layout_problems` is the check after :func:`pipeline.media.mkvlang.write_languages`: the
Segment's size, every SeekHead position and every Cues cluster position must name the element they
claim to, and every top-level element but the clusters must match its CRC-32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.media.ebml import EbmlFormatError, crc_ok, iter_bytes
from pipeline.media.mkvlang import (
    CLUSTER,
    CUE_POINT,
    CUE_TRACK_POSITIONS,
    CUES,
    KINDS,
    LANGUAGE,
    LANGUAGE_BCP47,
    SEEK,
    SEEK_ID,
    SEEK_POSITION,
    SEEKHEAD,
    TRACK_ENTRY,
    TRACK_NUMBER,
    TRACK_TYPE,
    TRACKS,
    Layout,
    read_data,
    scan,
)

CUE_CLUSTER_POSITION = 0xF1


@dataclass(frozen=True)
class TrackTags:
    """One TrackEntry's number, kind and languages (``language`` "eng" when absent, as the spec says)."""

    number: int
    kind: str
    language: str
    bcp47: str


def read_tracks(path: Path) -> list[TrackTags]:
    """The tracks of the Matroska file at ``path``, in order.

    Raises:
        EbmlFormatError: when it is not a Matroska file with one Tracks element.
    """
    with path.open("rb") as f:
        layout = scan(f)
        tracks = layout.find(TRACKS)
        if len(tracks) != 1:
            raise EbmlFormatError(f"{len(tracks)} Tracks elements (one expected)")
        data = read_data(f, tracks[0])
    found = []
    for el, body in iter_bytes(data):
        if el.id != TRACK_ENTRY:
            continue
        fields = {e.id: b for e, b in iter_bytes(body)}
        found.append(
            TrackTags(
                int.from_bytes(fields.get(TRACK_NUMBER, b"\x00"), "big"),
                KINDS.get(int.from_bytes(fields.get(TRACK_TYPE, b"\x00"), "big"), "other"),
                fields.get(LANGUAGE, b"eng").rstrip(b"\x00").decode("ascii", "replace"),
                fields.get(LANGUAGE_BCP47, b"").rstrip(b"\x00").decode("ascii", "replace"),
            )
        )
    return found


def layout_problems(path: Path) -> list[str]:
    """What is wrong with the structure of the Matroska file at ``path`` (empty when nothing)."""
    try:
        with path.open("rb") as f:
            layout = scan(f)
            problems = _size_problems(f, layout)
            problems += _seek_problems(f, layout) + _cue_problems(f, layout)
            problems += [
                f"element 0x{c.id:X} at byte {c.offset}: CRC-32 does not match"
                for c in layout.children
                if c.id != CLUSTER and not crc_ok(read_data(f, c))
            ]
            return problems
    except EbmlFormatError as exc:
        return [str(exc)]


def _size_problems(f: BinaryIO, layout: Layout) -> list[str]:
    size = f.seek(0, 2)
    seg = layout.segment
    if seg.size is not None and seg.end != size:
        return [f"the Segment ends at byte {seg.end}, the file at byte {size}"]
    return []


def _target(layout: Layout, pos: int) -> int | None:
    """The ID of the top-level element that starts at Segment position ``pos`` (None when none does)."""
    return {c.offset - layout.segment.data: c.id for c in layout.children}.get(pos)


def _seek_problems(f: BinaryIO, layout: Layout) -> list[str]:
    problems = []
    for head in layout.find(SEEKHEAD):
        for el, body in iter_bytes(read_data(f, head)):
            if el.id != SEEK:
                continue
            fields = {e.id: b for e, b in iter_bytes(body)}
            want = int.from_bytes(fields.get(SEEK_ID, b""), "big")
            pos = int.from_bytes(fields.get(SEEK_POSITION, b""), "big")
            got = _target(layout, pos)
            if got != want:
                problems.append(f"SeekHead: position {pos} should start element 0x{want:X}, found {_name(got)}")
    return problems


def _cue_problems(f: BinaryIO, layout: Layout) -> list[str]:
    starts = {c.offset - layout.segment.data for c in layout.children if c.id == CLUSTER}
    bad = []
    for cues in layout.find(CUES):
        for el, body in iter_bytes(read_data(f, cues)):
            if el.id != CUE_POINT:
                continue
            for pos_el, pos_body in iter_bytes(body):
                if pos_el.id != CUE_TRACK_POSITIONS:
                    continue
                fields = {e.id: b for e, b in iter_bytes(pos_body)}
                pos = int.from_bytes(fields.get(CUE_CLUSTER_POSITION, b""), "big")
                if pos not in starts:
                    bad.append(pos)
    if bad:
        return [f"Cues: {len(bad)} cluster position(s) name no Cluster (first: {bad[0]})"]
    return []


def _name(ident: int | None) -> str:
    return "nothing" if ident is None else f"0x{ident:X}"
