"""Review stills of chunked cuts, kept with their chunks: tapped in the encode, else decoded from one chunk.

A still is identified by its chunk's key and its frame index within the chunk, so a chunk shared
between languages (the bare picture, or the same events) shares its stills, and a rerun that keeps
a chunk keeps its stills. The chunk encode writes the wanted frames as JPEGs from the picture it
hands to x264 (after libass, scaled to :data:`pipeline.media.stills.STILL_WIDTH` in display
geometry): such a still differs from a frame decoded from the cut by x264's coding noise only. A
still the cache lacks (the wanted frames changed, or the chunk was encoded without them) is
decoded from that chunk's file alone, never from the whole cut.
"""

from __future__ import annotations

import bisect
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from pipeline.core.errors import VerifyError
from pipeline.media.stills import extract_stills
from pipeline.render.chunkcache import ChunkCache

ChunkSpan = tuple[str, int, int]
"""A chunk of a cut: its key and its frames ``[first, end)`` (source frame indices)."""


def local_frames(frames: Iterable[int], first: int, end: int) -> tuple[int, ...]:
    """The frames of ``frames`` in ``[first, end)``, counted from ``first``, sorted, once each."""
    return tuple(sorted({f - first for f in frames if first <= f < end}))


def store_tapped(cache: ChunkCache, key: str, frames: Sequence[int], prefix: str) -> None:
    """Move the stills an encode tapped (``<prefix>000_00001.jpg``..., in frame order) into the cache.

    Raises:
        VerifyError: when the encode did not write one still per frame.
    """
    made = sorted(Path(prefix).parent.glob(Path(prefix).name + "*.jpg"))
    if len(made) != len(frames):
        raise VerifyError(Path(prefix), [f"{len(made)} stills for the {len(frames)} frames asked for"])
    for frame, still in zip(frames, made, strict=True):
        cache.put_still(key, frame, still)


def chunk_stills(
    cache: ChunkCache, chunks: Sequence[ChunkSpan], wanted: Iterable[int], folder: Path
) -> dict[int, Path]:
    """Copy the stills of the frames ``wanted`` (cut = source frame indices) into ``folder/f<n>.jpg``.

    A still the cache lacks is decoded from its chunk's cached file (only the chunks that lack
    one are decoded) and kept in the cache. Frames outside the chunks are left out.

    Raises:
        LookupError: when a chunk that lacks a still is itself no longer in the cache.
        FfmpegError: when a chunk cannot be decoded.
    """
    starts = [first for _key, first, _end in chunks]
    by_chunk: dict[int, list[int]] = {}
    for frame in sorted(set(wanted)):
        i = bisect.bisect_right(starts, frame) - 1
        if i >= 0 and frame < chunks[i][2]:
            by_chunk.setdefault(i, []).append(frame)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[int, Path] = {}
    for i, frames in by_chunk.items():
        key, first, _end = chunks[i]
        missing = [f - first for f in frames if not cache.still(key, f - first).is_file()]
        if missing:
            _decode_missing(cache, key, missing)
        for frame in frames:
            target = folder / f"f{frame:06d}.jpg"
            shutil.copyfile(cache.still(key, frame - first), target)
            out[frame] = target
    return out


def _decode_missing(cache: ChunkCache, key: str, frames: Sequence[int]) -> None:
    chunk = cache.get(key)
    if chunk is None:
        raise LookupError(f"chunk {key} is not in the cache")
    cache.tmp_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="subpipe-chunkstills-", dir=cache.tmp_root) as tmp:
        got = extract_stills(chunk, frames, Path(tmp))
        if sorted(got) != sorted(frames):
            raise LookupError(f"chunk {key} lacks frames {sorted(set(frames) - set(got))}")
        for frame, still in got.items():
            cache.put_still(key, frame, still)
