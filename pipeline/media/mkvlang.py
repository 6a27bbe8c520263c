"""Full BCP 47 language tags in a Matroska file that ffmpeg wrote (its muxer writes only the legacy code).

ffmpeg puts whatever it is given into a TrackEntry's legacy ``Language`` element and never writes
``LanguageBCP47`` (``zh-Hans`` and ``zh-Hant`` are both ``chi`` to a player). :func:`write_languages`
copies the file and gives each TrackEntry it is asked to both: ``Language`` = the ISO 639-2/B code,
``LanguageBCP47`` = the full tag. The Tracks element grows, so everything after it moves: the
Segment's size, the SeekHead's positions (its reserve Void shrinks to keep the rest in place when it
can) and the Cues' cluster positions are rewritten, and the CRC-32 of every rewritten element is
recomputed. The clusters are copied in blocks, never read whole. Same input, same bytes.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import BinaryIO

from pipeline.media.ebml import (
    CRC32,
    VOID,
    EbmlFormatError,
    Element,
    element,
    encode_id,
    encode_size,
    encode_uint,
    iter_bytes,
    iter_file,
    master,
    parse_header,
    read_header,
    rewrap,
    void,
    with_crc,
)

EBML_HEAD = 0x1A45DFA3
SEGMENT = 0x18538067
SEEKHEAD, SEEK, SEEK_ID, SEEK_POSITION = 0x114D9B74, 0x4DBB, 0x53AB, 0x53AC
TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_TYPE = 0x1654AE6B, 0xAE, 0xD7, 0x83
LANGUAGE, LANGUAGE_BCP47 = 0x22B59C, 0x22B59D
CUES, CUE_POINT, CUE_TRACK_POSITIONS, CUE_REFERENCE = 0x1C53BB6B, 0xBB, 0xB7, 0xDB
CLUSTER = 0x1F43B675
KINDS = {1: "video", 2: "audio", 0x11: "subtitle"}
# Segment positions inside SeekHead and Cues: those that name a top-level element, and those inside one.
_STARTS = frozenset({SEEK_POSITION, 0xF1, 0x97})  # SeekPosition, CueClusterPosition, CueRefCluster
_INSIDE = frozenset({0xEA, 0xEB})  # CueCodecState, CueRefCodecState (0 = none)
_NESTED = frozenset({SEEK, CUE_POINT, CUE_TRACK_POSITIONS, CUE_REFERENCE})
BLOCK = 1 << 20
MAX_PASSES = 8


@dataclass(frozen=True)
class TrackLanguage:
    """What one TrackEntry must say; ``bcp47`` None leaves the entry as it is (``kind`` is still checked)."""

    kind: str
    iso639_2: str = "und"
    bcp47: str | None = None


@dataclass(frozen=True)
class Layout:
    """Where a Matroska file's Segment is and its top-level elements (headers only)."""

    segment: Element
    children: tuple[Element, ...]

    def find(self, ident: int) -> list[Element]:
        """The top-level elements with ID ``ident``, in file order."""
        return [c for c in self.children if c.id == ident]


def scan(f: BinaryIO) -> Layout:
    """The EBML header, the Segment and its top-level elements of the Matroska file ``f``.

    Raises:
        EbmlFormatError: when it is not a Matroska file or an element runs past the file's end.
    """
    size = f.seek(0, 2)
    head = read_header(f, 0)
    if head.id != EBML_HEAD:
        raise EbmlFormatError("no EBML header: not a Matroska file")
    segment = read_header(f, head.end)
    if segment.id != SEGMENT:
        raise EbmlFormatError(f"no Segment after the EBML header (ID 0x{segment.id:X})")
    end = size if segment.size is None else segment.end
    if end > size:
        raise EbmlFormatError(f"truncated: the Segment ends at byte {end}, the file at byte {size}")
    return Layout(segment, tuple(iter_file(f, segment.data, end)))


def read_data(f: BinaryIO, el: Element) -> bytes:
    """The data of ``el`` (a small element: Tracks, SeekHead, Cues)."""
    f.seek(el.data)
    data = f.read(el.end - el.data)
    if len(data) != el.end - el.data:
        raise EbmlFormatError(f"truncated element 0x{el.id:X} at byte {el.offset}")
    return data


class _Mover:
    """Old Segment positions to new ones, from the top-level elements' old and new starts."""

    def __init__(self, old: Sequence[int], new: Sequence[int]) -> None:
        self.old, self.new = list(old), list(new)

    def start(self, pos: int) -> int:
        i = bisect.bisect_left(self.old, pos)
        if i == len(self.old) or self.old[i] != pos:
            raise EbmlFormatError(f"position {pos} is not the start of a top-level element")
        return self.new[i]

    def inside(self, pos: int) -> int:
        i = bisect.bisect_right(self.old, pos) - 1
        return pos if pos == 0 or i < 0 else pos - self.old[i] + self.new[i]


def remap(ident: int, data: bytes, mover: _Mover, size_width: int = 0) -> bytes:
    """The SeekHead or Cues element ``ident`` with ``data``, its Segment positions moved."""
    return master(ident, _remapped(data, mover), data[:1] == bytes([CRC32]), size_width)


def _remapped(data: bytes, mover: _Mover) -> bytes:
    """A master's children with their Segment positions moved (each written as wide as before if it fits)."""
    out: list[bytes] = []
    for el, body in iter_bytes(data):
        if el.id == CRC32:
            continue
        if el.id in _NESTED:
            children = _remapped(body, mover)
            out.append(rewrap(el, with_crc(children) if body[:1] == bytes([CRC32]) else children))
        elif el.id in _STARTS or el.id in _INSIDE:
            move = mover.start if el.id in _STARTS else mover.inside
            out.append(rewrap(el, encode_uint(move(int.from_bytes(body, "big")), len(body))))
        else:
            out.append(rewrap(el, body))
    return b"".join(out)


def retag_tracks(data: bytes, wanted: Sequence[TrackLanguage]) -> bytes:
    """The Tracks element with ``data``, each TrackEntry given its language from ``wanted`` (in order).

    Raises:
        EbmlFormatError: when the number or kinds of the entries differ from ``wanted``.
    """
    entries = [body for el, body in iter_bytes(data) if el.id == TRACK_ENTRY]
    if len(entries) != len(wanted):
        raise EbmlFormatError(f"{len(entries)} tracks in the file, {len(wanted)} expected")
    out, k = [], 0
    for el, body in iter_bytes(data):
        if el.id == CRC32:
            continue
        if el.id == TRACK_ENTRY:
            body = _retag_entry(body, wanted[k], k + 1)
            k += 1
        out.append(rewrap(el, body))
    return master(TRACKS, b"".join(out), data[:1] == bytes([CRC32]))


def _retag_entry(data: bytes, want: TrackLanguage, n: int) -> bytes:
    fields = {el.id: body for el, body in iter_bytes(data)}
    kind = KINDS.get(int.from_bytes(fields.get(TRACK_TYPE, b"\x00"), "big"), "other")
    if kind != want.kind:
        raise EbmlFormatError(f"track {n} is {kind}, expected {want.kind}")
    if want.bcp47 is None:
        return data
    out: list[bytes] = []
    tags = element(LANGUAGE, want.iso639_2.encode("ascii")) + element(LANGUAGE_BCP47, want.bcp47.encode("ascii"))
    for el, body in iter_bytes(data):
        if el.id == LANGUAGE:
            out.append(tags)
        elif el.id not in (CRC32, LANGUAGE_BCP47):
            out.append(rewrap(el, body))
    children = b"".join(out) if LANGUAGE in fields else b"".join(out) + tags
    return with_crc(children) if data[:1] == bytes([CRC32]) else children


Rewritten = dict[int, bytes]


def _plan(f: BinaryIO, layout: Layout, tracks: bytes) -> Rewritten:
    """The new bytes of each rewritten top-level element (by index), found by iterating to a fixed point."""
    kids = layout.children
    base = layout.segment.data
    old = [c.offset - base for c in kids]
    sizes = [c.end - c.offset for c in kids]
    at_tracks = next(i for i, c in enumerate(kids) if c.id == TRACKS)
    movable = {i: read_data(f, c) for i, c in enumerate(kids) if c.id in (SEEKHEAD, CUES)}
    for _ in range(MAX_PASSES):
        mover = _Mover(old, [0, *itertools.accumulate(sizes)][:-1])
        out: Rewritten = {at_tracks: tracks}
        for i, data in movable.items():
            out[i] = remap(kids[i].id, data, mover)
            if kids[i].id == SEEKHEAD and i + 1 < len(kids) and kids[i + 1].id == VOID:
                _fit_reserve(out, i, kids, data, mover)
        got = [len(out[i]) if i in out else sizes[i] for i in range(len(kids))]
        if got == sizes:
            return out
        sizes = got
    raise EbmlFormatError("the new layout does not settle")


def _fit_reserve(out: Rewritten, i: int, kids: Sequence[Element], data: bytes, mover: _Mover) -> None:
    """Keep a SeekHead and the Void after it (its reserve) at their old total length when the SeekHead fits."""
    room = kids[i + 1].end - kids[i].offset
    left = room - len(out[i])
    if left == 1:  # no Void is 1 byte: write the SeekHead's size one byte wider instead
        width = parse_header(out[i], 0).header - len(encode_id(SEEKHEAD))
        out[i] = remap(SEEKHEAD, data, mover, width + 1)
        left = 0
    out[i + 1] = void(left) if left >= 2 else b""


def copy_range(src: BinaryIO, dst: BinaryIO, start: int, end: int) -> None:
    """Copy ``src[start:end]`` to ``dst`` in blocks."""
    src.seek(start)
    left = end - start
    while left > 0:
        block = src.read(min(BLOCK, left))
        if not block:
            raise EbmlFormatError(f"truncated at byte {end - left}")
        dst.write(block)
        left -= len(block)


def write_languages(src: BinaryIO, dst: BinaryIO, wanted: Sequence[TrackLanguage]) -> None:
    """Copy the Matroska file ``src`` to ``dst`` with each TrackEntry's languages from ``wanted``.

    Raises:
        EbmlFormatError: when ``src`` is not a Matroska file this can rewrite (malformed, truncated,
            no single Tracks element, a position that names no element) or its tracks differ from ``wanted``.
    """
    layout = scan(src)
    tracks = layout.find(TRACKS)
    if len(tracks) != 1:
        raise EbmlFormatError(f"{len(tracks)} Tracks elements (one expected)")
    out = _plan(src, layout, retag_tracks(read_data(src, tracks[0]), wanted))
    seg = layout.segment
    copy_range(src, dst, 0, seg.offset + len(encode_id(SEGMENT)))
    total = sum(len(out[i]) if i in out else c.end - c.offset for i, c in enumerate(layout.children))
    width = seg.header - len(encode_id(SEGMENT))
    if seg.size is None:
        copy_range(src, dst, seg.offset + len(encode_id(SEGMENT)), seg.data)
    else:
        dst.write(encode_size(total, width) if total < (1 << (7 * width)) - 1 else encode_size(total, 8))
    for i, child in enumerate(layout.children):
        if i in out:
            dst.write(out[i])
        else:
            copy_range(src, dst, child.offset, child.end)
    end = src.seek(0, 2)
    last = layout.children[-1].end if layout.children else seg.data
    copy_range(src, dst, last, end)  # anything after the Segment stays as it was
