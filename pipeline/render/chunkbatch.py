"""Batches of chunk encodes: which chunks and languages one decode of the source serves.

Two engines, two shapes. ffmpeg (:func:`_batches`) keeps every output of a process open until the
process ends, so a batch holds at most ``group`` outputs. In-process encoding
(:func:`inproc_batches`) closes each chunk's encoder when the chunk ends, so a batch is a run of
consecutive chunks for at most ``group`` languages (the encoders alive at once).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.render.chunks import Chunk, FrameTable

ENCODER_MIB_720P = 115  # one libx264 (veryfast, one thread) at 1280x720, measured (peak USS per encoder)
ENCODERS_MIB = 300  # every worker's encoders together: the tree stays within 600 MiB at 720p


@dataclass(frozen=True)
class ChunkJob:
    """One chunk to encode: its key, frames, and subtitles (None: the bare picture, shared)."""

    key: str
    chunk: Chunk
    ass_text: str | None
    font_key: str | None
    request: int = -1  # the request whose track it burns (-1: bare); batches burn a request's chunks together
    stills: tuple[int, ...] = ()  # frames (from the chunk's first) to tap as review stills; not in the key
    inproc: bool = False  # encoded in this process (:mod:`pipeline.render.inproc`), else by ffmpeg
    lane: int = -1  # the encoder thread of its batch (:func:`paired_batches`); -1: encoded serially


def _batches(missing: Sequence[ChunkJob], group: int, jobs: int = 1) -> list[list[ChunkJob]]:
    """Batches of at most ``group`` outputs, each a run of consecutive chunks (decoded once per batch).

    A batch holds every missing output of each chunk in its run (every language, the bare picture),
    decoded from the keyframe at or before the run's first chunk, so the frames of a run are decoded
    once and each language's chunks in it share one libass start-up. A chunk with more than
    ``group`` outputs (many languages) is a run of its own, split into batches of ``group``.

    ``group`` bounds the x264 instances alive in one process (~70 MiB each at 720p), whatever the
    number of languages. A run holds at most 1/``jobs`` of the chunks, so that a few missing chunks
    (a rerun) are still encoded ``jobs`` at a time: one process decodes its run's chunks one after
    the other.
    """
    by_chunk: dict[int, list[ChunkJob]] = {}
    for job in sorted(missing, key=lambda j: (j.chunk.index, j.request, j.key)):
        by_chunk.setdefault(job.chunk.index, []).append(job)
    longest = max(-(-len(by_chunk) // max(jobs, 1)), 1)
    batches: list[list[ChunkJob]] = []
    run: list[ChunkJob] = []
    for index, outs in sorted(by_chunk.items()):
        if run and (
            len(run) + len(outs) > group or run[-1].chunk.index != index - 1 or index - run[0].chunk.index >= longest
        ):
            batches.append(run)
            run = []
        if len(outs) > group:
            batches += [outs[i : i + group] for i in range(0, len(outs), group)]
        else:
            run += outs
    return batches + ([run] if run else [])


def inproc_batches(missing: Sequence[ChunkJob], group: int, jobs: int = 1) -> list[list[ChunkJob]]:
    """Runs of consecutive chunks, each for at most ``group`` outputs per chunk (in-process engine).

    The outputs (languages, the bare picture) are split into lanes of ``group``; each lane's chunks
    are cut into runs of consecutive chunks, each at most 1/``jobs`` of the lane's chunks (so that a
    few missing chunks are still encoded ``jobs`` at a time). A run decodes its frames once for
    every output of its lane.
    """
    requests = sorted({job.request for job in missing})
    lanes = [set(requests[i : i + max(group, 1)]) for i in range(0, len(requests), max(group, 1))]
    batches: list[list[ChunkJob]] = []
    for lane in lanes:
        mine = sorted((j for j in missing if j.request in lane), key=lambda j: (j.chunk.index, j.request, j.key))
        chunks = sorted({j.chunk.index for j in mine})
        longest = max(-(-len(chunks) // max(jobs, 1)), 1)
        run: list[ChunkJob] = []
        for job in mine:
            if run and (job.chunk.index - run[-1].chunk.index > 1 or job.chunk.index - run[0].chunk.index >= longest):
                batches.append(run)
                run = []
            run.append(job)
        if run:
            batches.append(run)
    return batches


def paired_batches(missing: Sequence[ChunkJob], lanes: int, cores: int) -> list[list[ChunkJob]] | None:
    """In-process batches of two encoder threads each, for ``cores // 2`` workers (None: not worth it).

    Where a worker holds one encoder (``lanes`` 1: 720p on two cores) and at least two languages
    are missing, one worker decoding a chunk once for two languages' encoder threads replaces two
    workers decoding it each (measured at 720p on two cores: the same encoders alive, one decode and
    one process fewer). Each language's chunks are cut into runs as the serial path cuts them
    (:func:`inproc_batches` with ``cores`` runs a language: each of the ``cores // 2`` workers gets as
    many batches as a worker of the serial path, so progress is seen and a cancelled burn keeps the
    batches done). Each run is a lane; lanes over the same chunks are paired (one decoder); a lane
    left over is split into its halves (a decoder each; lanes of one chunk pair up), so that both
    threads stay busy. A single language keeps ``cores`` workers on ``cores`` chunks.
    """
    if lanes != 1 or cores < 2 or len({job.request for job in missing if job.request >= 0}) < 2:
        return None
    units = sorted(inproc_batches(missing, 1, cores), key=lambda run: ([j.chunk.index for j in run], run[0].request))
    by_chunks: dict[tuple[int, ...], list[list[ChunkJob]]] = {}
    for run in units:
        by_chunks.setdefault(tuple(j.chunk.index for j in run), []).append(run)
    pairs, left = [], []
    for same in by_chunks.values():
        pairs += [same[i : i + 2] for i in range(0, len(same) - 1, 2)]
        left += same[len(same) - len(same) % 2 :]
    pairs += [[run[: (len(run) + 1) // 2], run[(len(run) + 1) // 2 :]] for run in left if len(run) > 1]
    single = [run for run in left if len(run) == 1]
    pairs += [single[i : i + 2] for i in range(0, len(single), 2)]
    return [[dataclasses.replace(j, lane=n) for n, run in enumerate(pair) for j in run] for pair in pairs]


def lane_width(width: int, height: int, jobs: int) -> int:
    """How many outputs of a chunk one worker encodes at once (its encoders alive together), so that
    ``jobs`` workers' encoders stay within :data:`ENCODERS_MIB` whatever the number of languages: at
    720p, 2 on one core, 1 on two (a chunk is then decoded once per language, unless
    :func:`paired_batches` gives two languages' encoder threads one decode: decoding is about 4 %
    of an encode there, measured, while each more encoder alive costs 115 MiB)."""
    per = ENCODER_MIB_720P * width * height / (1280 * 720)
    return max(1, int(ENCODERS_MIB // (per * max(jobs, 1))))


def span_ms(table: FrameTable, batch: Sequence[ChunkJob]) -> tuple[int, int] | None:
    """The ASS-clock span ``[first, end)`` (ms) that the frames of ``batch``'s chunks show (None: empty)."""
    if not batch:
        return None
    first = math.floor(table.ms(min(job.chunk.first for job in batch)))
    return first, math.ceil(table.ms(max(job.chunk.end for job in batch) - 1)) + 1
