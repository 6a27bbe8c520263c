"""Reading text files whose encoding is not known: decode what can be known for sure, refuse the rest.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are certain. Anything else needs a declared
encoding; without one the error names the best guess, because a wrong guess that silently gives
mojibake is worse than an error.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import InputError


@dataclass(frozen=True)
class Repair:
    """Something a lenient reader repaired in an input file: where, and what it did."""

    path: str
    line: int | None
    what: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: repaired: {self.what}"


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - optional hint only
        return None
    match = from_bytes(data).best()
    if match is None:
        return None
    others = [str(c) for c in match.could_be_from_charset if str(c) != str(match.encoding)][:2]
    return str(match.encoding) + (f" (or {', '.join(others)})" if others else "")


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM, told for sure from a file known to start with two ASCII characters."""
    if len(data) >= 4 and len(data) % 2 == 0:
        if data[0] and data[2] and data[0] < 0x80 and data[2] < 0x80 and not data[1] and not data[3]:
            return "utf-16-le"
        if data[1] and data[3] and data[1] < 0x80 and data[3] < 0x80 and not data[0] and not data[2]:
            return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: str | Path, encoding: str | None = None, *, ascii_start: bool = False) -> str:
    """Decode ``data`` read from ``path``; line endings (CRLF, CR, mixed) normalised to ``\\n``.

    Args:
        data: the file's bytes.
        path: the file, for messages.
        encoding: a declared encoding; without one only certain encodings are decoded.
        ascii_start: the format is known to start with ASCII (a sheet's ``id`` header), so
            UTF-16 without a BOM can be told for sure from where its NUL bytes are.

    Raises:
        InputError: for an empty or binary file, an undecodable one, or an unknown encoding.
    """
    if not data:
        raise InputError(path, "the file is empty (0 bytes)")
    if encoding is None and ascii_start and not data.startswith(tuple(b for b, _ in _BOMS)):
        encoding = _utf16_without_bom(data)
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except (LookupError, ValueError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                line = data[: exc.start].count(b"\n") + 1
                raise InputError(path, f"not valid {encoding}: {exc.reason} at byte {exc.start}", line) from None
            raise InputError(path, f"unknown encoding {encoding!r}") from None
    else:
        text = _decode_sure(data, path)
    text = text.lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_sure(data: bytes, path: str | Path) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(path, f"broken {codec} after its BOM at byte {exc.start}") from None
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        hint = f"; if it is {utf16} without a BOM, declare it (--encoding {utf16})" if utf16 else ""
        raise InputError(path, f"this looks like a binary file (NUL bytes), not text{hint}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        guess = _guess(data)
        hint = f"; it may be {guess}" if guess else ""
        raise InputError(
            path,
            f"not UTF-8 (byte 0x{data[exc.start]:02x}){hint}: declare the encoding "
            "(--encoding, or `encoding` in the job file)",
            line=line,
        ) from None


def read_text(path: str | Path, encoding: str | None = None, *, ascii_start: bool = False) -> str:
    """Read and decode a text file (see :func:`decode_bytes`).

    Raises:
        InputError: when the file is missing, unreadable, empty, binary or undecodable.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    except ValueError:  # a NUL character in the path itself
        raise InputError(repr(str(path)), "not a usable file name (it contains a NUL character)") from None
    return decode_bytes(data, path, encoding, ascii_start=ascii_start)
