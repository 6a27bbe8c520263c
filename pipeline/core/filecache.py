"""Where subpipe caches what it measured about a file, and how a file is recognised without reading it all.

The root is ``SUBPIPE_CACHE``, else ``~/.cache/subpipe``: shot changes, speech, font character
maps, source digests, probes and frame tables, built tracks and burned chunks live under it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pipeline.core.storage import is_url, local_name, scratch_root

_EDGE = 1 << 20  # bytes read at each end of a file for its fingerprint
_MEMO_SIZE = 64  # files remembered per reader


def cache_root() -> Path:
    """``SUBPIPE_CACHE``, else ``~/.cache/subpipe``; for an object store URL, this process's local mirror of it
    in the scratch folder (:mod:`pipeline.render.objectcache`)."""
    chosen = os.environ.get("SUBPIPE_CACHE")
    if chosen and is_url(chosen):
        return scratch_root() / "cache" / local_name(chosen.rstrip("/"))
    return Path(chosen or Path.home() / ".cache" / "subpipe")


def file_fingerprint(path: Path, salt: str) -> str:
    """32 hex digits that change when ``path`` changes: its size, mtime, first and last MiB, and ``salt``
    (what the cached result also depends on: the settings it was measured with)."""
    stat = path.stat()
    digest = hashlib.sha256(f"{salt}:{stat.st_size}:{stat.st_mtime_ns}".encode())
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
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cached(path: Path, doc: dict[str, Any]) -> None:
    """Write the JSON cache entry ``doc`` at ``path`` whole (through a partial file); a cache folder that
    cannot be written is not an error (caching is an optimisation)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(doc), encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass


_T = TypeVar("_T")


def memo_by_file(read: Callable[[Path], _T]) -> Callable[[Path], _T]:
    """``read`` remembered in this process per file as it is on disk (its path, inode, size, mtime and
    ctime): a file probed by several steps of one run is read once, a file changed since is read again.
    Errors are not remembered. ``read``'s result must not be mutated by its callers."""
    memo: dict[tuple[str, int, int, int, int], _T] = {}
    lock = threading.Lock()  # verification probes cuts from several threads

    @functools.wraps(read)
    def remembered(path: Path) -> _T:
        try:
            st = os.stat(path)
        except OSError:
            return read(path)  # the reader says what is wrong with it
        key = (os.path.abspath(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
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
