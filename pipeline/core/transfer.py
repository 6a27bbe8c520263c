"""Moving objects' bytes: whole copies in, whole objects out (:mod:`pipeline.core.storage` holds the URLs).

- Inputs are fetched whole into a local scratch folder (:func:`fetch`) and read there: probing, the
  frame table, ffmpeg and PyAV all seek, which over HTTP is one ranged GET each.
- Outputs are made in local scratch and each uploaded whole (:func:`upload`): a single PUT, or a
  multipart upload whose completion makes the object appear; no partial object is ever under its key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from pipeline.core.storage import StorageError as StorageError  # what every call here raises
from pipeline.core.storage import call, filesystem, info, scratch_root


def fetch(url: str, folder: Path | None = None) -> Path:
    """A local copy of the object at ``url``, under ``folder`` (default: the scratch folder's ``inputs``),
    downloaded once per version (size and entity tag) and renamed into place when whole.

    Raises:
        StorageError: when the object cannot be read.
    """
    found = info(url)
    name = url.rstrip("/").rsplit("/", 1)[-1] or "object"
    tag = hashlib.sha256(f"{url}\0{found.size}\0{found.etag}".encode()).hexdigest()[:16]
    target = (folder or scratch_root() / "inputs") / tag / name
    with _lock(target):  # threads fetching one URL: one downloads, the others wait for its whole copy
        if not (target.is_file() and target.stat().st_size == found.size):
            target.parent.mkdir(parents=True, exist_ok=True)
            with _staged(target) as part:
                download(url, part)
    _ORIGINS[str(target)] = url
    return target


_ORIGINS: dict[str, str] = {}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(target: Path) -> threading.Lock:
    """This process's lock for fetching into ``target``."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(str(target), threading.Lock())


def origin(path: Path) -> str | None:
    """The URL this process fetched ``path`` from (None: not a fetched copy)."""
    return _ORIGINS.get(str(path))


def download(url: str, dest: Path) -> None:
    """Download the object at ``url`` to ``dest`` (overwritten).

    Raises:
        StorageError: when the object cannot be read.
    """
    fs = filesystem(url)
    call(url, lambda: fs.get_file(url, str(dest)))


def download_checked(url: str, dest: Path) -> dict[str, str]:
    """Download the object at ``url`` to ``dest`` with the user metadata of that same version (one GET:
    a racing writer cannot pair one version's metadata with another's bytes); ``{}`` for non-S3 URLs.

    Raises:
        StorageError: when the object cannot be read.
    """
    fs = filesystem(url)
    if not url.startswith("s3://"):
        download(url, dest)
        return {}
    from fsspec.asyn import sync

    async def get() -> dict[str, str]:
        bucket, key, _ = fs.split_path(url)
        resp = await fs._call_s3("get_object", Bucket=bucket, Key=key)
        body = resp["Body"]
        with dest.open("wb") as fh:
            while block := await body.read(1 << 20):
                fh.write(block)
        return dict(resp.get("Metadata") or {})

    result: dict[str, str] = call(url, lambda: sync(fs.loop, get))
    return result


def upload(local: Path, url: str, metadata: dict[str, str] | None = None) -> None:
    """Upload ``local`` whole to ``url``: nothing is under ``url`` until the object is complete.

    Raises:
        StorageError: when it cannot be written.
    """
    fs = filesystem(url)
    extra = {"Metadata": metadata} if metadata and url.startswith("s3://") else {}
    call(url, lambda: fs.put_file(str(local), url, **extra))


@contextlib.contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A partial file beside ``target``, renamed onto it when the block succeeds, removed otherwise."""
    part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")  # unique per call: threads, processes
    try:
        yield part
        os.replace(part, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
