"""``subpipe cache``: the chunk cache's size, and pruning it under a cap (imported when used)."""

from __future__ import annotations

import argparse
import re

from pipeline.core.errors import UsageError
from pipeline.render.objectcache import PRUNE_GRACE_S, ObjectChunkCache, open_cache

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"2G"``, ``"500MiB"``, ``"1.5g"``, ``"1024"`` -> bytes.

    Raises:
        UsageError: on anything else.
    """
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"not a size: {text!r} (e.g. 2G, 500M, 1048576)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def human(size: int) -> str:
    """Bytes as a short human figure (binary units)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def cmd_cache(args: argparse.Namespace) -> int:
    """Show the chunk cache's size; with ``--max-size``, drop least recently used chunks above it. For an
    object store (``SUBPIPE_CACHE=s3://...``) the store too: its chunks with the oldest LastModified (upload
    time; a hit does not refresh it) first, sparing those uploaded within the last hour (a running job's)."""
    max_bytes = None if args.max_size is None else parse_size(args.max_size)  # a bad size before any listing
    cache = open_cache()
    if isinstance(cache, ObjectChunkCache):
        _store(cache, max_bytes)
    entries = cache.entries()
    total = sum(e.size for e in entries)
    print(f"chunk cache: {cache.root}")
    print(f"{len(entries)} chunks, {human(total)}")
    if max_bytes is not None:
        dropped = cache.prune(max_bytes)
        stale = cache.clean_stale()
        print(f"pruned {len(dropped)} chunks (least recently used first); now {human(cache.size())}")
        if stale:
            print(f"removed {stale} work folders of killed renders")
    return 0


def _store(cache: ObjectChunkCache, max_bytes: int | None) -> None:
    """The object store's chunks and size; with ``max_bytes``, pruned oldest upload first, sparing chunks
    younger than :data:`PRUNE_GRACE_S`."""
    chunks = cache.stored()
    print(f"chunk store: {cache.url}")
    print(f"{len(chunks)} chunks, {human(sum(c.size for c in chunks))}")
    if max_bytes is not None:
        dropped = cache.prune_store(max_bytes)
        left = sum(c.size for c in cache.stored())
        print(
            f"pruned {len(dropped)} chunks from the store (oldest upload first, none uploaded in the last "
            f"{PRUNE_GRACE_S / 3600:.0f} h: a running job may need them); now {human(left)}"
        )
