"""Object storage: ``s3://`` (and fsspec's ``gs://``, ``az://``) URLs for a job's inputs, outputs and chunk cache.

fsspec (with s3fs for ``s3://``, the ``subpipe[s3]`` extra) is imported only when a URL is used: a job
of local paths never imports it. Credentials and the endpoint come only from the usual AWS settings
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, ``~/.aws``),
read by botocore itself; nothing here holds, logs or prints them. A failure is one
:class:`StorageError` line naming the bucket and the endpoint.

This module holds the URLs, the filesystems, errors and listings; :mod:`pipeline.core.transfer` moves the
bytes (whole-object fetches into scratch, uploads that never leave a partial object under a key).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from pipeline.core.errors import PipelineError
from pipeline.core.errors import StorageError as StorageError  # what every call here raises

_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
INSTALL_HINT = "object storage URLs need s3fs: pip install 'subpipe[s3]'"
T = TypeVar("T")


def is_url(text: str | Path) -> bool:
    """Whether ``text`` is a storage URL (``scheme://...``) rather than a local path."""
    return isinstance(text, str) and _SCHEME.match(text) is not None


def bucket_of(url: str) -> str:
    """The bucket (or container) a URL names: its first component after the scheme."""
    return url.split("://", 1)[-1].split("/", 1)[0]


def join(url: str, *parts: str) -> str:
    """``url`` with ``parts`` appended, one ``/`` between each."""
    return "/".join([url.rstrip("/"), *(p.strip("/") for p in parts)])


def scratch_root() -> Path:
    """This process's local scratch folder: ``SUBPIPE_SCRATCH``, else ``<tmp>/subpipe-scratch-<uid>`` (a
    cluster worker's is its own: :mod:`pipeline.batch.distributed.preload`)."""
    chosen = os.environ.get("SUBPIPE_SCRATCH")
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / f"subpipe-scratch-{os.getuid()}"


def local_name(url: str) -> str:
    """A short folder name that stands for ``url`` in a scratch folder."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def unfetched(url: str) -> Path:
    """Where a job keeps the input ``url`` until a run fetches it (a name under the scratch folder that is
    never created: the run replaces it with :func:`pipeline.core.transfer.fetch`'s copy)."""
    return scratch_root() / "unfetched" / local_name(url) / (url.rstrip("/").rsplit("/", 1)[-1] or "object")


def endpoint(url: str | None = None) -> str:
    """The S3 endpoint, for error messages: the one botocore resolved for ``url``'s file system (the
    environment, or an ``AWS_PROFILE``'s ``endpoint_url``), else ``AWS_ENDPOINT_URL(_S3)``, else AWS's."""
    if url is not None:
        with contextlib.suppress(Exception):  # no client made yet: fall back on the environment
            resolved = filesystem(url)._s3.meta.endpoint_url
            if isinstance(resolved, str) and resolved:
                return resolved if "amazonaws.com" not in resolved else f"AWS S3 ({resolved})"
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3 (default endpoint)"


_PACKAGES = {"gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs", "abfss": "adlfs"}
_SETTINGS = (
    *("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"),
    *("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"),
    *("AWS_REGION", "AWS_DEFAULT_REGION"),
)  # a change of any makes a new client


@functools.lru_cache(maxsize=8)
def _filesystem(protocol: str, pid: int, settings: int) -> Any:
    del pid, settings  # one instance per process (a forked child makes its own) and per AWS settings
    try:
        import fsspec
    except ImportError:
        raise StorageError(f"{protocol}://", INSTALL_HINT) from None
    if protocol != "s3":
        try:
            return fsspec.filesystem(protocol)
        except ImportError:  # fsspec knows the scheme, its package (gcsfs, adlfs) is not installed
            package = _PACKAGES.get(protocol, f"the fsspec implementation of {protocol}://")
            raise StorageError(f"{protocol}://", f"{protocol}:// URLs need {package}: pip install {package}") from None
    try:
        import s3fs
    except ImportError:
        raise StorageError(f"{protocol}://", INSTALL_HINT) from None
    config: dict[str, Any] = {"connect_timeout": 5, "read_timeout": 60, "retries": {"max_attempts": 3}}
    # botocore >= 1.36 sends CRC trailers some S3-compatible servers store inside the object (seaweedfs#6548)
    if "AWS_REQUEST_CHECKSUM_CALCULATION" not in os.environ:
        config["request_checksum_calculation"] = "when_required"
    if "AWS_RESPONSE_CHECKSUM_VALIDATION" not in os.environ:
        config["response_checksum_validation"] = "when_required"
    return s3fs.S3FileSystem(config_kwargs=config, skip_instance_cache=True)


def filesystem(url: str) -> Any:
    """The fsspec file system of ``url`` (imported now; s3fs configured from the AWS settings).

    Raises:
        StorageError: when fsspec/s3fs (or the scheme's own package: gcsfs, adlfs) is not installed, with
            what to install.
    """
    match = _SCHEME.match(url)
    protocol = match.group(1).lower() if match else "file"
    try:
        return _filesystem(protocol, os.getpid(), hash(tuple(os.environ.get(k) for k in _SETTINGS)))
    except ValueError as exc:  # fsspec: unknown protocol, or its package missing
        raise StorageError(url, f"{exc}") from None


def _problem(exc: BaseException) -> str | None:
    """What a storage call's exception means, in a few words (None: not a storage failure)."""
    text = str(exc)
    if isinstance(exc, PermissionError) or "AccessDenied" in text or "SignatureDoesNotMatch" in text:
        return "access refused (check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)"
    if isinstance(exc, FileNotFoundError):
        return "no such bucket" if "specified bucket" in text or "NoSuchBucket" in text else "no such object"
    name = type(exc).__name__
    if "EndpointConnectionError" in name or "ConnectTimeout" in name or isinstance(exc, ConnectionError):
        return "cannot reach the endpoint"
    if "NoCredentials" in name or "PartialCredentials" in name:
        return "no credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)"
    if isinstance(exc, OSError) or "botocore" in type(exc).__module__:
        return f"storage request failed: {name}"
    return None


def call(url: str, fn: Callable[[], T]) -> T:
    """``fn()``, a call on the storage of ``url``, its failures as one :class:`StorageError` line.

    Raises:
        StorageError: on a refused key, unknown bucket or object, unreachable endpoint, or other failure.
    """
    import asyncio  # here, not at the top: a run of local paths imports this module but never calls this

    try:
        return fn()
    except PipelineError:
        raise
    except (Exception, asyncio.CancelledError) as exc:
        problem = _problem(exc)
        if problem is None:
            raise
        raise StorageError(url, problem, endpoint(url) if url.startswith("s3://") else None) from None


@dataclass(frozen=True)
class ObjectInfo:
    """An object's URL, size, entity tag and last modification."""

    url: str
    size: int
    etag: str
    modified: datetime | None


def _info(url: str, raw: dict[str, Any]) -> ObjectInfo:
    etag = str(raw.get("ETag") or raw.get("etag") or raw.get("md5") or "").strip('"')
    modified = raw.get("LastModified") or raw.get("last_modified") or raw.get("mtime")
    return ObjectInfo(url, int(raw.get("size") or 0), etag, modified if isinstance(modified, datetime) else None)


def info(url: str) -> ObjectInfo:
    """The object at ``url``.

    Raises:
        StorageError: when it is missing, is a prefix rather than an object, or cannot be reached.
    """
    fs = filesystem(url)
    raw = call(url, lambda: fs.info(url, refresh=True))
    if raw.get("type") == "directory":
        raise StorageError(
            url, "a prefix (a folder of objects), not an object", endpoint(url) if url.startswith("s3://") else None
        )
    return _info(url, raw)


def check_folder(url: str) -> None:
    """That the bucket of ``url`` exists and these credentials may list it (before any work).

    Raises:
        StorageError: on a refused key, an unknown bucket or an unreachable endpoint.
    """
    fs = filesystem(url)
    if url.startswith("s3://"):  # one cheap request, whatever the bucket holds
        bucket, key, _ = fs.split_path(url)
        try:
            call(url, lambda: fs.call_s3("list_objects_v2", Bucket=bucket, Prefix=key, MaxKeys=1))
        except StorageError as exc:  # a listing has no object to miss: the bucket, or the wrong server
            if exc.problem not in ("no such bucket", "no such object"):
                raise
            raise StorageError(url, "no such bucket, or the endpoint is not an S3 API", endpoint(url)) from None
        return
    call(url, lambda: fs.ls(f"{url.split('://', 1)[0]}://{bucket_of(url)}", refresh=True))


def check_writable(url: str) -> None:
    """That these credentials may write and delete under ``url``: a zero-byte ``.subpipe-check-<uuid>``
    object put there, then deleted (a key that may list but not write fails here, before any work).

    Raises:
        StorageError: when the object cannot be written or deleted.
    """
    fs = filesystem(url)
    probe = join(url, f".subpipe-check-{uuid.uuid4().hex}")
    call(url, lambda: fs.pipe_file(probe, b""))  # a refusal names the folder, not the probe
    call(url, lambda: fs.rm_file(probe))


def delete(url: str) -> None:
    """Remove the object at ``url`` (nothing when it is absent).

    Raises:
        StorageError: when it cannot be reached.
    """
    fs = filesystem(url)
    with contextlib.suppress(FileNotFoundError):
        call(url, lambda: fs.rm_file(url))


def listing(url: str) -> list[ObjectInfo]:
    """Every object under the prefix ``url`` (recursively); empty when there is none.

    Raises:
        StorageError: when the bucket cannot be listed.
    """
    fs = filesystem(url)
    fs.invalidate_cache(url)
    try:
        found: dict[str, dict[str, Any]] = call(url, lambda: fs.find(url, detail=True, withdirs=False))
    except StorageError as exc:
        if exc.problem == "no such object":
            return []
        raise
    proto = url.split("://", 1)[0]
    files = sorted((path, raw) for path, raw in found.items() if raw.get("type", "file") == "file")
    return [_info(f"{proto}://{path}", raw) for path, raw in files]
