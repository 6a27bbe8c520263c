"""Batches of in-process chunk encodes: two languages' encoder threads paired on one decode, cut into
runs as the serial path cuts them."""

from __future__ import annotations

import pytest

from pipeline.render.chunkbatch import ChunkJob, inproc_batches, paired_batches
from pipeline.render.chunks import Chunk


def _job(request: int, index: int) -> ChunkJob:
    return ChunkJob(f"k{index}-{request}", Chunk(index, index * 10, index * 10 + 10), None, None, request, inproc=True)


def _lanes(batches: list[list[ChunkJob]]) -> list[list[list[tuple[int, int]]]]:
    """Each batch's two lanes as (request, chunk) pairs."""
    return [[sorted({(j.request, j.chunk.index) for j in b if j.lane == n}) for n in (0, 1)] for b in batches]


def test_two_languages_share_a_decoder_and_one_language_keeps_its_workers() -> None:
    """Ten chunks; the bare picture on chunk 0, three languages on 1-9, one more on chunks 4 and 7."""
    jobs = [_job(-1, 0), *(_job(r, i) for r in (0, 1, 2) for i in range(1, 10)), _job(3, 4), _job(3, 7)]
    batches = paired_batches(jobs, 1, 2)
    assert batches is not None
    assert _lanes(batches) == [
        [[(0, i) for i in range(1, 6)], [(1, i) for i in range(1, 6)]],  # the same chunks: one decoder
        [[(0, i) for i in range(6, 10)], [(1, i) for i in range(6, 10)]],
        [[(2, i) for i in range(1, 4)], [(2, i) for i in range(4, 6)]],  # a run left over: its halves
        [[(2, i) for i in range(6, 8)], [(2, i) for i in range(8, 10)]],
        [[(-1, 0)], [(3, 4)]],  # single chunks pair up (a decoder each)
        [[(3, 7)], []],
    ]
    assert sorted(j.key for b in batches for j in b) == sorted(j.key for j in jobs)
    assert paired_batches([_job(-1, 0), *(_job(0, i) for i in range(1, 10))], 1, 2) is None  # one language
    assert paired_batches(jobs, 2, 2) is None and paired_batches(jobs, 1, 1) is None


@pytest.mark.parametrize("cores", [2, 4, 8])
def test_paired_runs_are_cut_as_the_serial_path_cuts_them(cores: int) -> None:
    """Two languages over 16 chunks: ``cores`` batches on the ``cores // 2`` workers (not one batch for the
    whole video: progress is seen, and a cancelled burn keeps what was done), each one run of both
    languages; a worker gets as many batches as a worker of the serial path."""
    jobs = [_job(r, i) for r in (0, 1) for i in range(16)]
    batches = paired_batches(jobs, 1, cores)
    assert batches is not None
    size = 16 // cores
    runs = [list(range(start, start + size)) for start in range(0, 16, size)]
    assert _lanes(batches) == [[[(0, i) for i in run], [(1, i) for i in run]] for run in runs]
    assert len(batches) / (cores // 2) == len(inproc_batches(jobs, 1, cores)) / cores
