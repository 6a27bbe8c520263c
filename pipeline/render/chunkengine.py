"""The engine of each chunk (in-process or ffmpeg), in-process batches, and storing encoded chunks.

:func:`chunk_engine` decides per track: a static track on a limited-range 4:2:0 picture (and the
bare picture) is encoded in-process (:mod:`pipeline.render.inproc`), anything else by ffmpeg. Both
engines' chunks are checked for their frame count before they enter the cache.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import pysubs2

from pipeline.core.errors import VerifyError
from pipeline.core.filecache import measured_by_file, memo_by_file
from pipeline.media.chunkargs import ChunkSettings
from pipeline.render.chunkbatch import ChunkJob
from pipeline.render.chunkcache import ChunkCache
from pipeline.render.chunks import FrameTable
from pipeline.render.chunkstills import store_tapped
from pipeline.render.inproc import ENGINE, InprocOutput, encode_run
from pipeline.render.inproclanes import encode_lanes
from pipeline.render.outputs import discard
from pipeline.render.overlay import Overlay, is_static

FFMPEG_ENGINE = "ffmpeg"


def chunk_engine(subs: pysubs2.SSAFile | None, picture_ok: bool = True) -> str:
    """What encodes the chunks of a burn of ``subs`` (None: the bare picture): this process when the
    track is static and the source's picture is 8-bit 4:2:0 in limited range (``picture_ok``:
    :func:`inproc_picture`; :mod:`pipeline.render.inproc`), else ffmpeg (libass on every frame)."""
    return ENGINE if picture_ok and (subs is None or is_static(subs)) else FFMPEG_ENGINE


def inproc_picture(video: Path) -> bool:
    """Whether ``video``'s picture decodes to what the in-process engine composites and encodes as
    it is: yuv420p in limited (or unstated) range. Anything else (4:2:2, 4:4:4, full range) is
    converted by ffmpeg, as a monolithic burn converts it.

    Asked once per process while the file stays as it is, and kept in the cache under its fingerprint,
    salted with the test's code and PyAV's version (opening the file finds its stream parameters by
    decoding: ~30 ms). A file that cannot be opened is answered no, but not cached; ``--force``
    (:func:`pipeline.core.filecache.measured_afresh`) opens the file again."""
    return _inproc_picture(Path(video))


@memo_by_file
def _inproc_picture(video: Path) -> bool:
    return bool(measured_by_file(video, "picture", "inproc", picture_salt(), _opened_picture, _answer, _cached_answer))


def _answer(ok: bool | None) -> bool | None:
    return ok  # None (not opened, perhaps for a passing reason): ffmpeg's engine, not cached, asked again next run


def _cached_answer(doc: Any) -> bool:
    if not isinstance(doc, bool):
        raise TypeError("not an answer")
    return doc


@functools.cache
def picture_salt() -> str:
    """What decides the picture check's answer: its code (:func:`_opened_picture`'s source) and PyAV's version."""
    code = inspect.getsource(_opened_picture)
    return hashlib.sha256(f"inproc-picture:{av.__version__}:{code}".encode()).hexdigest()[:16]


def _opened_picture(video: Path) -> bool | None:
    """Whether ``video``'s picture is yuv420p in limited or unstated range; None when it cannot be opened."""
    try:
        with av.open(str(video)) as container:
            ctx = container.streams.video[0].codec_context
            name = ctx.format.name if ctx.format is not None else ""
            return name == "yuv420p" and int(ctx.color_range) != 2  # 2: AVCOL_RANGE_JPEG (full)
    except IndexError:
        return False  # no video stream: nothing to composite in-process
    except av.error.FFmpegError:
        return None


def encode_inproc(
    video: Path,
    table: FrameTable,
    settings: ChunkSettings,
    overlays: Sequence[Overlay | None],
    batch: Sequence[ChunkJob],
    cache: ChunkCache,
    work: Path,
) -> dict[str, Path]:
    """Encode an in-process batch (:func:`pipeline.render.inproc.encode_run`, or one thread per lane:
    :func:`pipeline.render.inproclanes.encode_lanes`); check and cache its chunks.

    Raises:
        VerifyError: when encoding fails or a chunk does not hold its frames.
    """
    slots = {i: n for n, i in enumerate(i for i, o in enumerate(overlays) if o is not None)}
    drawn = [o for o in overlays if o is not None]
    outputs = [
        InprocOutput(
            job.chunk, slots[job.request] if job.ass_text is not None else -1, work / f"{job.key}.mp4", job.stills
        )
        for job in batch
    ]
    lanes = sorted({job.lane for job in batch})
    try:
        if lanes[0] >= 0:  # in threads (:func:`pipeline.render.chunkbatch.paired_batches`)
            mine = [[out for out, job in zip(outputs, batch, strict=True) if job.lane == lane] for lane in lanes]
            encode_lanes(video, table, mine, drawn, settings)
        else:
            encode_run(video, table, outputs, drawn, settings)
    except av.error.FFmpegError as exc:
        discard(*(out.target for out in outputs))
        raise VerifyError(video, [f"encoding chunks in-process failed: {exc}"]) from exc
    return store_chunks(batch, [(out.target, out.stills_prefix) for out in outputs], cache)


def store_chunks(batch: Sequence[ChunkJob], made: Sequence[tuple[Path, str]], cache: ChunkCache) -> dict[str, Path]:
    """Check each encoded chunk's frame count and move it (and its stills) into the cache."""
    stored = {}
    for job, (target, stills_prefix) in zip(batch, made, strict=True):
        frames, want = frame_count(target) if target.is_file() else 0, job.chunk.end - job.chunk.first
        if frames != want:
            discard(target)
            raise VerifyError(target, [f"chunk {job.chunk.index} has {frames} frames, expected {want}"])
        store_tapped(cache, job.key, job.stills, stills_prefix)
        stored[job.key] = cache.put(job.key, target, frames)
    return stored


def frame_count(path: Path) -> int:
    """The number of video frames the container of ``path`` declares."""
    with av.open(str(path)) as container:
        return int(container.streams.video[0].frames)
