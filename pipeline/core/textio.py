"""Reading text files whose encoding is not known: decode what is certain, guess only when asked.

UTF-8 (with or without BOM) and UTF-16/32 with a BOM are certain. Anything else is a legacy
encoding, guessed from the bytes and the file's language (:mod:`pipeline.core.encoding`):

* building (``read_text`` without an encoding) refuses it, naming the guess, because a wrong
  guess burned into a video is worse than an error;
* ``encoding="auto"`` reads it with the guess (and logs which);
* checking and converting (:func:`read_decoded`) read it with the guess and say so
  (:func:`encoding_finding`), so a linter reads what players read.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.encoding import EncodingGuess, describe, guess_encoding, normalize_language, suggested_encodings
from pipeline.core.errors import InputError
from pipeline.core.findings import WARNING, Finding


@dataclass(frozen=True)
class Repair:
    """Something a lenient reader repaired in an input file: where, and what it did."""

    path: str
    line: int | None
    what: str

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: repaired: {self.what}"


logger = logging.getLogger(__name__)

AUTO = "auto"  # the encoding that means: read a legacy encoding with the best guess


@dataclass(frozen=True)
class Decoded:
    """A decoded file: its text (``\\n`` line ends), the encoding it was read with, and whether that
    was a guess (with its description, the language that informed it and the other candidates)."""

    path: str
    text: str
    encoding: str
    guessed: bool = False
    described: str = ""
    hint: str | None = None
    alternatives: tuple[str, ...] = ()
    contradicted: str = ""  # the hint the guess goes against: "the language 'fr' (cp1252) of the file name"


_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM, told for sure from a file known to start with two ASCII characters."""
    if len(data) >= 4 and len(data) % 2 == 0:
        if data[0] and data[2] and data[0] < 0x80 and data[2] < 0x80 and not data[1] and not data[3]:
            return "utf-16-le"
        if data[1] and data[3] and data[1] < 0x80 and data[3] < 0x80 and not data[0] and not data[2]:
            return "utf-16-be"
    return None


def decode_bytes(
    data: bytes,
    path: str | Path,
    encoding: str | None = None,
    *,
    ascii_start: bool = False,
    langs: Sequence[str] = (),
) -> str:
    """Decode ``data`` read from ``path``; line endings (CRLF, CR, mixed) normalised to ``\\n``.

    Args:
        data: the file's bytes.
        path: the file, for messages (its ``<stem>.<lang>.<ext>`` tag informs a guess).
        encoding: a declared encoding; ``"auto"`` reads a legacy encoding with the best guess
            (logged); None decodes only certain encodings and refuses the rest, naming the guess.
        ascii_start: the format is known to start with ASCII (a sheet's ``id`` header), so
            UTF-16 without a BOM can be told for sure from where its NUL bytes are.
        langs: the languages the text is expected in (``--lang``, the job's), for the guess.

    Raises:
        InputError: for an empty or binary file, an undecodable one, or an unknown encoding.
    """
    decoded = _decode(data, path, encoding, ascii_start, langs, guess=encoding == AUTO)
    if decoded.guessed:
        against = f", against {decoded.contradicted}" if decoded.contradicted else ""
        logger.warning("%s: not UTF-8: read as %s, the best guess%s", path, decoded.described, against)
    return decoded.text


def _decode(
    data: bytes, path: str | Path, encoding: str | None, ascii_start: bool, langs: Sequence[str], *, guess: bool
) -> Decoded:
    if not data:
        raise InputError(path, "the file is empty (0 bytes)")
    if encoding in (None, AUTO) and ascii_start and not data.startswith(tuple(b for b, _ in _BOMS)):
        encoding = _utf16_without_bom(data) or encoding
    if encoding not in (None, AUTO):
        return _finish(path, _decode_declared(data, path, encoding), encoding)
    sure = _decode_sure(data, path)
    if sure is not None:
        return _finish(path, *sure)
    hints = _hints(path, langs)
    best = _best_guess(data, hints)
    if not guess or best is None:
        raise _not_utf8(data, path, best)
    return _finish(path, data.decode(best.encoding), best.encoding, best, hints, _contradicted(best, path, langs))


def _finish(
    path: str | Path,
    text: str,
    encoding: str,
    guess: EncodingGuess | None = None,
    hints: Sequence[str] = (),
    contradicted: str = "",
) -> Decoded:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if guess is None:
        return Decoded(str(path), text, encoding)
    hint = guess.language_hint if guess.language_hint in hints else None
    return Decoded(str(path), text, encoding, True, describe(guess), hint, guess.alternatives, contradicted)


def _contradicted(guess: EncodingGuess, path: str | Path, langs: Sequence[str]) -> str:
    """The first hint when the guess is among the usual encodings of none of them ("the language 'fr'
    (cp1252) of the file name"), or "" when it fits one (a Russian file of an English and Russian job)."""
    named = _hints(path, ())
    usual = {lang: suggested_encodings(lang) for lang in _hints(path, langs)}
    known = {lang: encodings for lang, encodings in usual.items() if encodings}
    if not known or any(guess.encoding in encodings for encodings in known.values()):
        return ""
    lang, encodings = next(iter(known.items()))
    source = "of the file name" if lang in named else "given"
    return f"the language {lang!r} ({', '.join(encodings)}) {source}"


def _decode_declared(data: bytes, path: str | Path, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except (LookupError, ValueError) as exc:
        if isinstance(exc, UnicodeDecodeError):
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(path, f"not valid {encoding}: {exc.reason} at byte {exc.start}", line) from None
        raise InputError(path, f"unknown encoding {encoding!r}") from None


def _decode_sure(data: bytes, path: str | Path) -> tuple[str, str] | None:
    """The text and codec when the encoding is certain (BOM, valid UTF-8); None for a legacy one."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as exc:
                raise InputError(path, f"broken {codec} after its BOM at byte {exc.start}") from None
    if b"\x00" in data:
        utf16 = _utf16_without_bom(data)
        hint = f"; if it is {utf16} without a BOM, declare it (--encoding {utf16})" if utf16 else ""
        raise InputError(path, f"this looks like a binary file (NUL bytes), not text{hint}")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return None


def _hints(path: str | Path, langs: Sequence[str]) -> list[str]:
    """The languages that inform a guess: those given, then the file name's ``<stem>.<lang>.<ext>`` tag
    (also before a flag: ``talk.pt-BR.forced.srt``)."""
    parts = Path(path).name.split(".")[1:-1]
    tags = [p for p in parts[::-1][:2] if 2 <= len(p) <= 11]
    named = [next((p for p in tags if normalize_language(p)), tags[0])] if tags else []
    return list(dict.fromkeys([*langs, *named]))


def _best_guess(data: bytes, hints: Sequence[str]) -> EncodingGuess | None:
    """The most plausible legacy encoding over the hinted languages; without a usable hint, from the bytes alone.

    Each hinted guess already lets another encoding win only when it is clearly more plausible; comparing
    it with an unhinted guess again would undo that (a cp1252 ``talk.fr.srt`` read as cp1251).
    """
    known = [lang for lang in hints if normalize_language(lang) is not None]
    guesses = [g for g in (guess_encoding(data, lang) for lang in known) if g is not None]
    return max(guesses, key=lambda g: g.score) if guesses else guess_encoding(data)


def _not_utf8(data: bytes, path: str | Path, best: EncodingGuess | None) -> InputError:
    """The refusal of a legacy encoding: the line of its first non-UTF-8 byte, and the guess."""
    try:
        data.decode("utf-8")
        start = 0
    except UnicodeDecodeError as exc:
        start = exc.start
    line = data[:start].count(b"\n") + 1
    if best is None:
        hint = "; no legacy encoding gives plausible text"
        todo = "declare the encoding (--encoding, or `encoding` in the job file)"
    else:
        others = f"; or {', '.join(best.alternatives[:2])}" if best.alternatives else ""
        hint = f"; it may be {describe(best)}{others}"
        todo = (
            f"declare it (--encoding {best.encoding}, or `encoding = \"{best.encoding}\"` in the job file), "
            "or read it with the best guess (--encoding auto)"
        )
    return InputError(path, f"not UTF-8 (byte 0x{data[start]:02x}){hint}: {todo}", line=line)


def _read_bytes(path: str | Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a file") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from None
    except ValueError:  # a NUL character in the path itself
        raise InputError(repr(str(path)), "not a usable file name (it contains a NUL character)") from None


def read_text(
    path: str | Path, encoding: str | None = None, *, ascii_start: bool = False, langs: Sequence[str] = ()
) -> str:
    """Read and decode a text file (see :func:`decode_bytes`): a legacy encoding must be declared.

    Raises:
        InputError: when the file is missing, unreadable, empty, binary or undecodable.
    """
    return decode_bytes(_read_bytes(path), path, encoding, ascii_start=ascii_start, langs=langs)


def read_decoded(
    path: str | Path, encoding: str | None = None, *, ascii_start: bool = False, langs: Sequence[str] = ()
) -> Decoded:
    """Read a text file as a checker or converter does: a legacy encoding is read with the best guess.

    ``encoding`` None or ``"auto"`` guesses (informed by ``langs`` and the file name's tag); the
    result says so (:func:`encoding_finding`). A declared encoding is used as is.

    Raises:
        InputError: when the file is missing, unreadable, empty or binary, when no legacy encoding
            gives plausible text, or when the declared one does not decode it.
    """
    data = _read_bytes(path)
    return _decode(data, path, encoding, ascii_start, langs, guess=True)


def encoding_finding(decoded: Decoded) -> Finding | None:
    """The ``encoding`` finding of a file read with a guessed encoding (None when certain or declared)."""
    if not decoded.guessed:
        return None
    informed = f", informed by the language {decoded.hint!r}" if decoded.hint else ""
    if decoded.contradicted:
        informed = f", against {decoded.contradicted}: its text is not plausible in that language's encodings"
    others = f" (other candidates: {', '.join(decoded.alternatives)})" if decoded.alternatives else ""
    return Finding(
        "encoding",
        WARNING,
        None,
        0,
        f"not UTF-8: read as {decoded.described}, a guess from its bytes{informed}{others}",
        f"check the text, then convert it to UTF-8 (subpipe convert IN OUT --encoding {decoded.encoding})",
    )


def read_for_check(path: str | Path, lang: str, encoding: str | None = None) -> tuple[str, list[Finding]]:
    """The text of a subtitle file to check, and its ``encoding`` finding when the encoding was guessed.

    Raises:
        InputError: as :func:`read_decoded`.
    """
    decoded = read_decoded(path, encoding, langs=(lang,))
    finding = encoding_finding(decoded)
    return decoded.text, [finding] if finding else []
