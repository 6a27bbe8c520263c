"""EBML, the binary format of Matroska: element headers, numbers and masters, read and written exactly.

An element is an ID (1-4 bytes, its length marker kept), a size (a variable-length integer, 1-8
bytes, marker removed; all ones = unknown) and ``size`` bytes of data. Readers work on a file
handle (headers only: the data of a large element is never read unless asked for) or on bytes (the
small masters: Tracks, SeekHead, Cues). Writers give the shortest encoding unless a width is asked.
See RFC 8794.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CRC32 = 0xBF
VOID = 0xEC
MAX_SIZE_WIDTH = 8


class EbmlFormatError(ValueError):
    """Bytes that are not the EBML the reader expects (the caller names the file)."""


@dataclass(frozen=True)
class Element:
    """An element's ID, where its header starts (``offset``), its header length and data size."""

    id: int
    offset: int
    header: int
    size: int | None  # None: unknown size (a live stream's Segment or Cluster)

    @property
    def data(self) -> int:
        """Where the element's data starts."""
        return self.offset + self.header

    @property
    def end(self) -> int:
        """Where the next element starts.

        Raises:
            EbmlFormatError: for an element of unknown size.
        """
        if self.size is None:
            raise EbmlFormatError(f"element 0x{self.id:X} at {self.offset} has an unknown size")
        return self.data + self.size


def _vint_length(first: int, limit: int, what: str, at: int) -> int:
    for n in range(limit):
        if first & (0x80 >> n):
            return n + 1
    raise EbmlFormatError(f"invalid {what} at byte {at}")


def parse_header(buf: bytes, pos: int, base: int = 0) -> Element:
    """The element header at ``buf[pos:]`` (``base`` + ``pos`` is its offset in the file).

    Raises:
        EbmlFormatError: on a malformed or truncated header.
    """
    if pos >= len(buf):
        raise EbmlFormatError(f"truncated element header at byte {base + pos}")
    id_len = _vint_length(buf[pos], 4, "element ID", base + pos)
    size_at = pos + id_len
    if size_at >= len(buf):
        raise EbmlFormatError(f"truncated element header at byte {base + pos}")
    size_len = _vint_length(buf[size_at], MAX_SIZE_WIDTH, "element size", base + size_at)
    if size_at + size_len > len(buf):
        raise EbmlFormatError(f"truncated element header at byte {base + pos}")
    ident = int.from_bytes(buf[pos:size_at], "big")
    raw = int.from_bytes(buf[size_at : size_at + size_len], "big") & ((1 << (7 * size_len)) - 1)
    size = None if raw == (1 << (7 * size_len)) - 1 else raw
    return Element(ident, base + pos, id_len + size_len, size)


def read_header(f: BinaryIO, offset: int) -> Element:
    """The element header at ``offset`` of the file ``f``.

    Raises:
        EbmlFormatError: on a malformed or truncated header.
    """
    f.seek(offset)
    return parse_header(f.read(12), 0, offset)


def iter_file(f: BinaryIO, start: int, end: int) -> Iterator[Element]:
    """The elements one after another from ``start`` to ``end`` (headers only).

    Raises:
        EbmlFormatError: on a malformed header, an unknown size, or an element past ``end``.
    """
    pos = start
    while pos < end:
        element = read_header(f, pos)
        if element.end > end:
            raise EbmlFormatError(f"element 0x{element.id:X} at byte {pos} runs past its parent (byte {end})")
        yield element
        pos = element.end


def iter_bytes(buf: bytes) -> Iterator[tuple[Element, bytes]]:
    """The elements of ``buf`` (a master's data) with their data.

    Raises:
        EbmlFormatError: on a malformed header, an unknown size, or an element past the end.
    """
    pos = 0
    while pos < len(buf):
        element = parse_header(buf, pos)
        if element.end > len(buf):
            raise EbmlFormatError(f"element 0x{element.id:X} at byte {pos} runs past its parent")
        yield element, buf[element.data : element.end]
        pos = element.end


def encode_id(ident: int) -> bytes:
    """An element ID's bytes (the marker is part of the ID)."""
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big")


def encode_size(size: int, width: int = 0) -> bytes:
    """``size`` as a variable-length integer: the shortest, or ``width`` bytes when given.

    Raises:
        EbmlFormatError: when it does not fit (in ``width`` bytes, or at all).
    """
    n = max(width, 1)
    while size >= (1 << (7 * n)) - 1:  # all ones means "unknown"
        if width or n == MAX_SIZE_WIDTH:
            raise EbmlFormatError(f"size {size} does not fit in {n} byte(s)")
        n += 1
    return ((1 << (7 * n)) | size).to_bytes(n, "big")


def encode_uint(value: int, width: int = 1) -> bytes:
    """An unsigned integer element's data: big-endian, ``width`` bytes or as few more as it needs."""
    return value.to_bytes(max(width, (value.bit_length() + 7) // 8), "big")


def element(ident: int, data: bytes, size_width: int = 0) -> bytes:
    """A whole element: ID, size, data."""
    return encode_id(ident) + encode_size(len(data), size_width) + data


def rewrap(old: Element, data: bytes) -> bytes:
    """Element ``old`` with new ``data``, its size written as wide as before when it still fits."""
    width = old.header - len(encode_id(old.id))
    try:
        return element(old.id, data, width)
    except EbmlFormatError:
        return element(old.id, data)


def master(ident: int, children: bytes, crc: bool, size_width: int = 0) -> bytes:
    """A master element whose data is ``children``, led by a CRC-32 of them when ``crc``."""
    return element(ident, with_crc(children) if crc else children, size_width)


def with_crc(children: bytes) -> bytes:
    """A master's data: a CRC-32 element of ``children``, then ``children``."""
    return element(CRC32, zlib.crc32(children).to_bytes(4, "little")) + children


def crc_ok(data: bytes) -> bool:
    """Whether a master's data that starts with a CRC-32 element matches the rest (True without one)."""
    if not data or data[0] != CRC32:
        return True
    head, value = next(iter_bytes(data[:6]))
    return head.size == 4 and zlib.crc32(data[6:]).to_bytes(4, "little") == value


def void(total: int) -> bytes:
    """A Void element of exactly ``total`` bytes (at least 2).

    Raises:
        EbmlFormatError: when ``total`` is below 2 (no Void is that small).
    """
    if total < 2:
        raise EbmlFormatError(f"no Void element is {total} byte(s) long")
    width = 1 if total - 2 < 127 else 8
    return element(VOID, bytes(total - 1 - width), width)
