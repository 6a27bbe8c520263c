"""Where subpipe caches what it measured about a file, and how a file is recognised without reading it all.

The root is ``SUBPIPE_CACHE``, else ``~/.cache/subpipe``: shot changes, speech, font character
maps, source digests, probes and frame tables, built tracks and burned chunks live under it.

A file is recognised by its identity on disk (:func:`file_identity`: inode, size, mtime and ctime;
copying, replacing or editing a file changes its ctime, which no user tool can set back) and its
first and last MiB. Inside :func:`measured_afresh` (``run --force``) the measurements of a source
(probe, frame times, frame table, picture check) and the built tracks are not read from the cache:
they are measured again and written fresh.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import threading
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from pipeline.core.storage import is_url, local_name, scratch_root

_EDGE = 1 << 20  # bytes read at each end of a file for its fingerprint
_MEMO_SIZE = 64  # files remembered per reader
DAMAGED = (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError)
"""What decoding a cache entry of the wrong shape raises: such an entry is measured again."""

_fresh = threading.Lock()
_fresh_runs = 0  # measured_afresh scopes open in this process (any thread)
_generation = 0  # bumped by each measured_afresh: memo_by_file forgets what it read before


def cache_root() -> Path:
    """``SUBPIPE_CACHE``, else ``~/.cache/subpipe``; for an object store URL, this process's local mirror of it
    in the scratch folder (:mod:`pipeline.render.objectcache`)."""
    chosen = os.environ.get("SUBPIPE_CACHE")
    if chosen and is_url(chosen):
        return scratch_root() / "cache" / local_name(chosen.rstrip("/"))
    return Path(chosen or Path.home() / ".cache" / "subpipe")


@contextmanager
def measured_afresh(on: bool = True) -> Iterator[None]:
    """While open (``on``), :func:`afresh` is true in every thread of this process, and :func:`memo_by_file`
    reads each file again once: ``--force`` measures the source again instead of trusting the cache."""
    global _fresh_runs, _generation
    if not on:
        yield
        return
    with _fresh:
        _fresh_runs += 1
        _generation += 1
    try:
        yield
    finally:
        with _fresh:
            _fresh_runs -= 1


def afresh() -> bool:
    """Whether a :func:`measured_afresh` scope is open: a cached measurement is not read, only written."""
    return _fresh_runs > 0


def file_identity(st: os.stat_result) -> tuple[int, int, int, int]:
    """What changes when a file is replaced or edited: inode, size, mtime and ctime (in ns)."""
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_fingerprint(path: Path, salt: str) -> str:
    """32 hex digits that change when ``path`` changes: its :func:`file_identity`, first and last MiB, and
    ``salt`` (what the cached result also depends on: the settings and code it was measured with)."""
    stat = path.stat()
    digest = hashlib.sha256(f"{salt}:{file_identity(stat)}".encode())
    with path.open("rb") as fh:
        digest.update(fh.read(_EDGE))
        fh.seek(max(stat.st_size - _EDGE, 0))
        digest.update(fh.read(_EDGE))
    return digest.hexdigest()[:32]


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_cached(path: Path, key: str) -> Any:
    """Field ``key`` of the JSON cache entry at ``path``; None when there is none or it is damaged
    (a damaged entry is simply measured again)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))[key]
    except (OSError, *DAMAGED):
        return None


def write_cached(path: Path, doc: dict[str, Any]) -> None:
    """Write the JSON cache entry ``doc`` at ``path`` whole (through a partial file); a cache folder that
    cannot be written is not an error (caching is an optimisation)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{_WRITER}.{uuid.uuid4().hex[:12]}.partial")
        partial.write_text(json.dumps(doc), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass


_WRITER = f"{os.getpid()}@{socket.gethostname()}"  # with a uuid: unique on a shared cache folder
_T = TypeVar("_T")


def source_entry(path: Path, kind: str, salt: str) -> Path:
    """Where :func:`measured_by_file` keeps the ``kind`` of ``path`` measured with ``salt``.

    Raises:
        OSError: when the file cannot be read.
    """
    return cache_root() / "sources" / f"{kind}-{file_fingerprint(path, salt)}.json"


def measured_by_file(
    path: Path,
    kind: str,
    field: str,
    salt: str,
    measure: Callable[[Path], _T],
    encode: Callable[[_T], Any],
    decode: Callable[[Any], _T],
) -> _T:
    """``measure(path)``, kept in the cache as field ``field`` of ``sources/<kind>-<fingerprint>.json``
    (:func:`file_fingerprint` salted with ``salt``: what else decides the answer, such as the code that
    measures it). An entry is read back by ``decode`` unless :func:`afresh`; one that ``decode`` refuses
    (it raises one of :data:`DAMAGED`) is measured again. A file that cannot be fingerprinted is measured
    (its reader says what is wrong with it) and nothing is written; nor when ``encode`` returns None.

    Raises:
        Whatever ``measure`` raises.
    """
    try:
        entry = source_entry(path, kind, salt)
    except OSError:
        return measure(path)
    found = None if afresh() else read_cached(entry, field)
    if found is not None:
        try:
            return decode(found)
        except DAMAGED:
            pass  # damaged: measured again
    value = measure(path)
    doc = encode(value)
    if doc is not None:
        write_cached(entry, {field: doc})
    return value


def memo_by_file(read: Callable[[Path], _T]) -> Callable[[Path], _T]:
    """``read`` remembered in this process per file as it is on disk (its path and :func:`file_identity`):
    a file probed by several steps of one run is read once, a file changed since is read again, and so is
    every file once after :func:`measured_afresh` opens. Errors are not remembered. ``read``'s result must
    not be mutated by its callers."""
    memo: dict[tuple[object, ...], _T] = {}
    lock = threading.Lock()  # verification probes cuts from several threads

    @functools.wraps(read)
    def remembered(path: Path) -> _T:
        try:
            st = os.stat(path)
        except OSError:
            return read(path)  # the reader says what is wrong with it
        key = (os.path.abspath(path), *file_identity(st), _generation)
        with lock:
            if key in memo:
                return memo[key]
        found = read(path)  # outside the lock: two threads may read one file, both get its answer
        with lock:
            if len(memo) >= _MEMO_SIZE:
                memo.pop(next(iter(memo)))
            memo[key] = found
        return found

    return remembered


_Checked = TypeVar("_Checked")


def checked(obj: _Checked) -> _Checked:
    """``obj`` (a dataclass) when every field holds what its annotation says (tuples element by element).

    Raises:
        TypeError: naming the first field that does not.
    """
    for name, hint in typing.get_type_hints(type(obj)).items():
        if not _holds(getattr(obj, name), hint):
            raise TypeError(f"{type(obj).__name__}.{name} is not {hint}")
    return obj


def _holds(value: object, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_holds(v, args[0]) for v in value)
        return len(value) == len(args) and all(_holds(v, a) for v, a in zip(value, args, strict=True))
    if origin in (typing.Union, types.UnionType):
        return any(_holds(value, a) for a in args)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is type(None):
        return value is None
    return isinstance(value, hint if isinstance(hint, type) else object)
