"""The chunk cache: content-addressed encoded chunks, written atomically, checked by hash when read.

Layout under the root (``SUBPIPE_CACHE``, default ``~/.cache/subpipe``)::

    chunks/ab/<key>.mp4    the encoded chunk
    chunks/ab/<key>.json   its SHA-256, size and frame count (written last: an entry exists only with it)
    chunks/ab/<key>.f<n>.jpg  review stills of the chunk: its frame n (from 0), tapped in its encode or
                           decoded from it later (:mod:`pipeline.render.chunkstills`); removed with the chunk
    tmp/<pid>-<random>/    work folders of running renders (a dead pid's folder is removed)

A read recomputes the chunk's SHA-256; a mismatch (a damaged or half-written file) removes the entry,
so the chunk is encoded again. A read also refreshes the entry's time, which is what pruning
(least recently used first, under a size cap) goes by.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.filecache import afresh, cache_root, file_identity, memo_by_file, sha256_file
from pipeline.media.fonts import font_spec


def default_cache_root() -> Path:
    """``SUBPIPE_CACHE``, else ``~/.cache/subpipe`` (shared with the shot-change cache)."""
    return cache_root()


_hashed = memo_by_file(sha256_file)


def source_digest(video: Path, root: Path | None = None) -> str:
    """The SHA-256 of ``video``'s bytes, remembered under the cache by path with the file's
    :func:`~pipeline.core.filecache.file_identity` (inode, size, mtime, ctime: a replaced or edited file is
    hashed again, and its entry replaced: one per path, however often a cut is made again; so is every
    file under ``--force``, :func:`~pipeline.core.filecache.measured_afresh`)."""
    ident = ":".join(map(str, file_identity(video.stat())))
    memo = (
        (root or default_cache_root())
        / "sources"
        / f"sha256-{hashlib.sha256(str(video.resolve()).encode()).hexdigest()}"
    )
    with contextlib.suppress(OSError):
        held, _, known = ("" if afresh() else memo.read_text(encoding="ascii")).strip().partition(" ")
        if held == ident and len(known) == 64:
            return known
    digest = _hashed(video)  # once per process (and per --force) while the file is as it is
    with contextlib.suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        staged = memo.with_name(f".{memo.name}.{os.getpid()}")
        staged.write_text(f"{ident} {digest}", encoding="ascii")
        os.replace(staged, memo)
    return digest


@functools.lru_cache(maxsize=32)
def font_digest(font_key: str) -> str:
    """The SHA-256 of the font file of ``font_key``, with its face index and family."""
    spec = font_spec(font_key)
    return f"{source_digest(spec.path)}:{spec.face}:{spec.family}"  # remembered by path and identity


@dataclass(frozen=True)
class CacheEntry:
    """One cached chunk."""

    key: str
    path: Path
    size: int
    used: float


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ChunkCache:
    """Encoded chunks by key."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or default_cache_root()) / "chunks"
        self.tmp_root = self.root.parent / "tmp"

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.mp4", folder / f"{key}.json"

    def get(self, key: str) -> Path | None:
        """The chunk stored under ``key``, when present and intact (a damaged entry is removed)."""
        chunk, meta = self._paths(key)
        try:
            want = json.loads(meta.read_text(encoding="utf-8"))["sha256"]
            intact = chunk.stat().st_size > 0 and sha256_file(chunk) == want
        except (OSError, ValueError, KeyError, TypeError):
            intact = False
        if not intact:
            self.remove(key)
            return None
        with contextlib.suppress(OSError):
            os.utime(meta)
        return chunk

    def get_many(self, keys: list[str]) -> dict[str, Path | None]:
        """:meth:`get` of each key."""
        return {key: self.get(key) for key in keys}

    def put(self, key: str, produced: Path, frames: int) -> Path:
        """Move a finished chunk file into the cache (same file system: under ``tmp_root``); return it."""
        chunk, meta = self._paths(key)
        chunk.parent.mkdir(parents=True, exist_ok=True)
        record = {"sha256": sha256_file(produced), "size": produced.stat().st_size, "frames": frames}
        with open(produced, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(produced, chunk)
        staged = meta.with_name(f".{meta.name}.{os.getpid()}.{threading.get_ident()}")  # racing threads too
        staged.write_text(json.dumps(record), encoding="utf-8")
        os.replace(staged, meta)
        return chunk

    def remove(self, key: str) -> None:
        """Forget ``key`` (metadata first, so a half-removed entry reads as absent), stills included."""
        chunk, meta = self._paths(key)
        for path in (meta, chunk, *chunk.parent.glob(f"{key}.f*.jpg")):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def still(self, key: str, frame: int) -> Path:
        """Where the review still of frame ``frame`` (from 0) of chunk ``key`` is kept (it may be absent)."""
        return self._paths(key)[0].with_name(f"{key}.f{frame}.jpg")

    def put_still(self, key: str, frame: int, produced: Path) -> Path:
        """Move a still of chunk ``key`` into the cache (same file system); return it."""
        target = self.still(key, frame)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(produced, target)
        return target

    def shared_root(self) -> Path | None:
        """The folder every process that uses this cache must see (None: an object store, reached by URL)."""
        return self.root.parent

    def local_chunk(self, key: str, path: Path) -> Path:
        """The chunk ``key`` that ``put`` stored at ``path`` (perhaps in another process), as a file here."""
        del key
        return path

    @contextlib.contextmanager
    def batch_folder(self, work: Path) -> Iterator[Path]:
        """Where an encode batch of the render whose work folder is ``work`` writes: ``work`` itself."""
        yield work

    def share_source(self, video: Path, digest: str) -> None:
        """Make ``video`` (of SHA-256 ``digest``) reachable by the processes that encode its chunks: they
        see the same files here, so nothing to do."""

    def source(self, video: Path, digest: str) -> Path:
        """The source video an encode batch reads: ``video`` (every process sees it)."""
        del digest
        return video

    def work_prefix(self) -> str:
        """How this process's work folders are named: ``<pid>-``."""
        return f"{os.getpid()}-"

    def owner_gone(self, name: str) -> bool:
        """Whether the work folder ``name`` belongs to a process that is gone (a killed render)."""
        pid = name.split("-", 1)[0]
        return pid.isdigit() and not pid_alive(int(pid))

    @contextlib.contextmanager
    def workdir(self) -> Iterator[Path]:
        """A private folder for one render's partial chunks, on the cache's file system."""
        self.tmp_root.mkdir(parents=True, exist_ok=True)
        self.clean_stale()
        folder = Path(tempfile.mkdtemp(prefix=self.work_prefix(), dir=self.tmp_root))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def clean_stale(self) -> int:
        """Remove work folders of processes that are gone (a killed render); return how many."""
        removed = 0
        if not self.tmp_root.is_dir():
            return 0
        for folder in self.tmp_root.iterdir():
            if self.owner_gone(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def entries(self) -> list[CacheEntry]:
        """Every complete entry, least recently used first."""
        found = []
        for meta in self.root.glob("??/*.json"):
            chunk = meta.with_suffix(".mp4")
            with contextlib.suppress(OSError):
                found.append(CacheEntry(meta.stem, chunk, chunk.stat().st_size, meta.stat().st_mtime))
        return sorted(found, key=lambda e: (e.used, e.key))

    def size(self) -> int:
        """Bytes held by complete entries."""
        return sum(e.size for e in self.entries())

    def orphans(self) -> list[Path]:
        """Chunk files without metadata and metadata without chunks (left by a killed write)."""
        chunks = {p.with_suffix("") for p in self.root.glob("??/*.mp4")}
        metas = {p.with_suffix("") for p in self.root.glob("??/*.json")}
        lost = [p.with_suffix(".mp4") for p in chunks - metas] + [p.with_suffix(".json") for p in metas - chunks]
        stills = [p for p in self.root.glob("??/*.f*.jpg") if p.with_name(p.name.split(".")[0]) not in metas]
        return sorted(lost + stills)

    def prune(self, max_bytes: int) -> list[str]:
        """Drop least recently used entries (and orphans) until the cache holds at most ``max_bytes``."""
        for orphan in self.orphans():
            with contextlib.suppress(FileNotFoundError):
                orphan.unlink()
        entries = self.entries()
        total = sum(e.size for e in entries)
        dropped = []
        for entry in entries:
            if total <= max_bytes:
                break
            self.remove(entry.key)
            total -= entry.size
            dropped.append(entry.key)
        return dropped
