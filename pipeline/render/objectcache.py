"""The chunk cache as objects (``SUBPIPE_CACHE=s3://bucket/prefix``): a local mirror in this process's scratch
folder in front of an object store that every worker shares.

Layout under the prefix::

    chunks/ab/<key>.mp4        the encoded chunk; its user metadata holds its SHA-256 and frame count
    chunks/ab/<key>.f<n>.jpg   a review still of the chunk (its frame n)
    sources/<sha256>.json      where a source video can be fetched from (``{"url": ...}``), for chunk
                               tasks on workers that do not hold it

A chunk object is one PUT of its bytes with its metadata, so it is whole and self-describing: two workers
racing on one key each write a valid object, and the last one stays (the encodes are deterministic, so
both are the same bytes). A read downloads the object with its metadata in one GET and checks the
SHA-256; a mismatch is a miss (the object is removed, and the encode that follows replaces it). Keys
are content addressed (:func:`pipeline.render.chunks.chunk_key`). Pruning goes by the objects'
LastModified, oldest first (an object store keeps no access time).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline.core import storage, transfer
from pipeline.core.errors import OutputError
from pipeline.core.filecache import sha256_file
from pipeline.render.chunkcache import ChunkCache, source_digest


@dataclass(frozen=True)
class StoredChunk:
    """A chunk in the store: its key, its bytes (stills included) and its oldest LastModified."""

    key: str
    size: int
    modified: datetime
    urls: tuple[str, ...]


PARALLEL_GETS = 16
PRUNE_GRACE_S = 3600.0  # pruning the store spares chunks uploaded within this (a running job reads them back)
_NAME = re.compile(r"^([0-9a-f]{64})\.(?:mp4|f\d+\.jpg)$")


class ObjectChunkCache(ChunkCache):
    """Encoded chunks by key in an object store, mirrored in this process's scratch folder.

    Pickled to a cluster's workers, it mirrors into each worker's own scratch folder. ``remote``: encode
    batches run in other processes that share no disk with the render (a cluster's chunk tasks), so each
    batch works in a folder of its own worker, on that worker's copy of the source, and the render reads
    the chunks back from the store into its own mirror."""

    def __init__(self, url: str, *, remote: bool = False) -> None:
        """The cache at ``url``.

        Raises:
            StorageError: for a URL that is not ``s3://`` (a chunk's metadata is S3 user metadata).
        """
        if not url.startswith("s3://"):
            raise storage.StorageError(url, "the chunk cache in an object store needs an s3:// URL")
        self.url = url.rstrip("/")
        self.remote = remote
        super().__init__(storage.scratch_root() / "cache" / storage.local_name(self.url))

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "remote": self.remote}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["url"], remote=state["remote"])  # type: ignore[misc]

    def _object(self, key: str, suffix: str = ".mp4") -> str:
        return storage.join(self.url, "chunks", key[:2], key + suffix)

    def get(self, key: str) -> Path | None:
        """The chunk under ``key`` from the mirror, else downloaded and checked (a damaged object is removed)."""
        return super().get(key) or self._download(key)

    def get_many(self, keys: list[str]) -> dict[str, Path | None]:
        """:meth:`get` of each key, up to :data:`PARALLEL_GETS` at a time (a miss is a round trip to the store)."""
        with ThreadPoolExecutor(PARALLEL_GETS) as pool:
            return dict(zip(keys, pool.map(self.get, keys), strict=True))

    def _download(self, key: str) -> Path | None:
        chunk, meta = self._paths(key)
        chunk.parent.mkdir(parents=True, exist_ok=True)
        part = chunk.with_name(f".{chunk.name}.{uuid.uuid4().hex[:8]}.part")
        try:
            found = transfer.download_checked(self._object(key), part)
            want, frames = found.get("sha256", ""), found.get("frames", "")
            if not frames.isdigit() or part.stat().st_size == 0 or sha256_file(part) != want:
                storage.delete(self._object(key))  # damaged (or its metadata): a miss, replaced by the encode
                return None
            record = {"sha256": want, "size": part.stat().st_size, "frames": int(frames)}
            os.replace(part, chunk)
            staged = meta.with_name(f".{meta.name}.{uuid.uuid4().hex[:8]}")
            staged.write_text(json.dumps(record), encoding="utf-8")
            os.replace(staged, meta)
            return chunk
        except storage.StorageError as exc:
            if exc.problem == "no such object":
                return None
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()

    def put(self, key: str, produced: Path, frames: int) -> Path:
        """Move a finished chunk into the mirror and upload it with its SHA-256 and frame count."""
        chunk = super().put(key, produced, frames)
        record = json.loads(self._paths(key)[1].read_text(encoding="utf-8"))
        transfer.upload(chunk, self._object(key), {"sha256": record["sha256"], "frames": str(frames)})
        return chunk

    def still(self, key: str, frame: int) -> Path:
        """The still's place in the mirror, downloaded from the store when the mirror lacks it (and its bytes
        match the SHA-256 it was uploaded with; a damaged one is deleted and left missing)."""
        target = super().still(key, frame)
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.part")
            with contextlib.suppress(storage.StorageError):
                found = transfer.download_checked(self._object(key, f".f{frame}.jpg"), part)
                want = found.get("sha256")
                if want is None or want == sha256_file(part):  # checked when the store says
                    os.replace(part, target)
                else:  # damaged: missing here, made again by the render
                    storage.delete(self._object(key, f".f{frame}.jpg"))
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        return target

    def put_still(self, key: str, frame: int, produced: Path) -> Path:
        """Move a still into the mirror and upload it with its SHA-256."""
        target = super().put_still(key, frame, produced)
        transfer.upload(target, self._object(key, f".f{frame}.jpg"), {"sha256": sha256_file(target)})
        return target

    def shared_root(self) -> Path | None:
        """None: the store is reached by URL; no worker needs to see a path of it."""
        return None

    def local_chunk(self, key: str, path: Path) -> Path:
        """``path`` when it is in this process's mirror, else the chunk fetched from the store into it.

        Raises:
            OutputError: when the store no longer holds it.
        """
        if path.is_file() and (not self.remote or path.is_relative_to(self.root)):
            return path
        found = self.get(key)
        if found is None:
            raise OutputError(
                self._object(key),
                "the chunk was encoded but the store no longer holds it (deleted while the job ran: by "
                "`subpipe cache --max-size` with a shorter grace period, or by hand?); run the job again",
            )
        return found

    @contextlib.contextmanager
    def batch_folder(self, work: Path) -> Iterator[Path]:
        """``work``; for remote batches a private folder in this process's scratch (``work`` is another
        worker's)."""
        if not self.remote:
            yield work
            return
        with self.workdir() as mine:
            yield mine

    def share_source(self, video: Path, digest: str) -> None:
        """For remote batches, say in the store where ``video`` can be fetched: the URL it was fetched from
        (nothing for a path the job gave, which every worker sees)."""
        url = transfer.origin(video)
        if not self.remote or url is None:
            return
        pointer = storage.join(self.url, "sources", f"{digest}.json")
        note = self.tmp_root / f".{digest}.{uuid.uuid4().hex[:8]}.json"
        note.parent.mkdir(parents=True, exist_ok=True)
        try:
            note.write_text(json.dumps({"url": url}), encoding="utf-8")
            transfer.upload(note, pointer)
        finally:
            note.unlink()

    def source(self, video: Path, digest: str) -> Path:
        """``video``, or for a remote batch of a fetched source this worker's own copy of it (fetched as the
        store says; a path the job gave is read where it is).

        Raises:
            OutputError: when the fetched copy is not the source the chunks are keyed on.
        """
        if not self.remote or transfer.origin(video) is not None:
            return video
        note = self.tmp_root / f".{digest}.{uuid.uuid4().hex[:8]}.json"
        note.parent.mkdir(parents=True, exist_ok=True)
        try:
            transfer.download(storage.join(self.url, "sources", f"{digest}.json"), note)
            url = json.loads(note.read_text(encoding="utf-8"))["url"]
        except storage.StorageError as exc:
            if exc.problem == "no such object":
                return video  # not a fetched copy: a path of the job's, which every worker sees
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                note.unlink()
        copy = transfer.fetch(url)
        if source_digest(copy, self.root.parent) != digest:
            raise OutputError(url, "the source changed while its chunks were being encoded")
        return copy

    def stored(self) -> list[StoredChunk]:
        """Every chunk in the store, its stills counted with it, oldest LastModified first."""
        groups: dict[str, list[storage.ObjectInfo]] = {}
        for obj in storage.listing(storage.join(self.url, "chunks")):
            name = _NAME.match(obj.url.rsplit("/", 1)[-1])
            if name:  # a chunk or a still (a server's folder placeholder is neither)
                groups.setdefault(name.group(1), []).append(obj)
        oldest = datetime.min.replace(tzinfo=UTC)
        found = [
            StoredChunk(key, sum(o.size for o in g), min(o.modified or oldest for o in g), tuple(o.url for o in g))
            for key, g in groups.items()
        ]
        return sorted(found, key=lambda c: (c.modified, c.key))

    def prune_store(self, max_bytes: int, grace_s: float = PRUNE_GRACE_S) -> list[str]:
        """Delete the chunks with the oldest LastModified (an upload's time; a hit does not refresh it)
        until the store holds at most ``max_bytes``, never one younger than ``grace_s``: a running job may
        still read it back for assembly."""
        chunks = self.stored()
        total = sum(c.size for c in chunks)
        young = datetime.now(UTC) - timedelta(seconds=grace_s)
        dropped = []
        for chunk in chunks:
            if total <= max_bytes or chunk.modified > young:  # oldest first: the rest are younger still
                break
            for url in sorted(chunk.urls, key=lambda u: not u.endswith(".mp4")):  # the chunk first
                storage.delete(url)
            total -= chunk.size
            dropped.append(chunk.key)
        return dropped


def open_cache(root: str | Path | None = None) -> ChunkCache:
    """The chunk cache at ``root`` (default ``SUBPIPE_CACHE``): an :class:`ObjectChunkCache` for a URL."""
    chosen = root if root is not None else os.environ.get("SUBPIPE_CACHE")
    if isinstance(chosen, str) and storage.is_url(chosen):
        return ObjectChunkCache(chosen)
    return ChunkCache(Path(chosen) if chosen else None)
