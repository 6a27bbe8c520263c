"""Reading text files whose encoding is not known: decode what can be known for sure, refuse the rest.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are certain. Anything else needs a declared
encoding; without one the error names the best guess, because a wrong guess that silently gives
mojibake is worse than an error.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from pipeline.errors import InputError

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
    return None if match is None else str(match.encoding)


def decode_bytes(data: bytes, path: str | Path, encoding: str | None = None) -> str:
    """Decode ``data`` read from ``path``; line endings normalised to ``\\n``.

    Raises:
        InputError: for an empty or binary file, an undecodable one, or an unknown encoding.
    """
    if not data:
        raise InputError(path, "the file is empty")
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise InputError(path, f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid {encoding}: {exc.reason} at byte {exc.start}") from None
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
        raise InputError(path, "this looks like a binary file (NUL bytes), not text")
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


def read_text(path: str | Path, encoding: str | None = None) -> str:
    """Read and decode a text file.

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
    return decode_bytes(data, path, encoding)
