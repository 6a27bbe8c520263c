"""A burned cut from its chunks: concatenated with exact durations, the source's audio copied, checked.

The concat demuxer starts each file where the previous one's ``duration`` ends; giving every chunk
its exact duration (rounded so that the running sum stays exact to the microsecond) keeps a
variable frame rate's timestamps. ``-itsoffset`` puts the first frame where it is in the source
(relative to the container's start, as a monolithic burn does).
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from pipeline.core.errors import VerifyError
from pipeline.media.chunkargs import concat_args, concat_list
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.render.batchrun import ThreadRunner
from pipeline.render.chunks import Chunk, FrameTable, read_frame_table
from pipeline.render.outputs import discard, ensure_dir, partial_path, remove_partials_of


def durations_us(table: FrameTable, plan: Sequence[Chunk]) -> list[int | None]:
    """Each chunk's duration in microseconds (the last one: None, its own)."""

    def at_us(index: int) -> int:
        return math.floor((table.pts[index] - table.pts[0]) * table.time_base * 1_000_000 + Fraction(1, 2))

    durations: list[int | None] = [at_us(b.first) - at_us(a.first) for a, b in itertools.pairwise(plan)]
    return [*durations, None]


def assemble_cuts(
    video: Path,
    table: FrameTable,
    plan: Sequence[Chunk],
    chunk_files: Sequence[Sequence[Path]],
    targets: Sequence[Path],
    work: Path,
    jobs: int | None = None,
) -> list[Path]:
    """Write each target's cut to a partial name beside it; return the partials (removed on failure).

    The cuts are concatenated ``jobs`` at a time (default: one per core): each is a stream copy
    plus a read of its frame timestamps, mostly waiting on the disk.

    Raises:
        FfmpegError: when concatenation fails.
        VerifyError: when a cut does not hold exactly the source's frames and timestamps.
    """
    offset_us = math.floor((table.pts[0] - table.start_ticks) * table.time_base * 1_000_000 + Fraction(1, 2))
    ts = table.time_base.denominator if table.time_base.numerator == 1 else 0
    durations = durations_us(table, plan)
    partials: list[Path] = []
    for target in targets:
        ensure_dir(target.parent)
        remove_partials_of(target)
        partials.append(partial_path(target.resolve()))

    def assemble(i: int) -> None:
        listing = work / f"cut{i}.ffconcat"
        listing.write_text(concat_list(chunk_files[i], durations), encoding="utf-8")
        run_ffmpeg(concat_args(listing, video, offset_us, partials[i], ts))
        check_frames(partials[i], table)

    try:  # on a failure the runner starts no more cuts and waits for the running ones: nothing still writes
        with contextlib.closing(ThreadRunner(jobs).map(assemble, range(len(partials)))) as assembled:
            for _ in assembled:
                pass
    except BaseException:
        discard(*partials)
        raise
    return partials


def check_frames(cut: Path, source: FrameTable) -> None:
    """Refuse a cut whose frames are not the source's: count, and each timestamp (relative to the first).

    Raises:
        VerifyError: naming the first difference.
    """
    got = read_frame_table(cut)
    problems = []
    if len(got.pts) != len(source.pts):
        problems.append(f"{len(got.pts)} frames, the source has {len(source.pts)}")
    else:
        # |a * tb_got - b * tb_src| > (tb_got + tb_src) / 2, times 2 * both denominators: integers only
        (gn, gd), (sn, sd) = got.time_base.as_integer_ratio(), source.time_base.as_integer_ratio()
        slack = gn * sd + sn * gd
        g0, s0 = got.pts[0], source.pts[0]
        for i, (a, b) in enumerate(zip(got.pts, source.pts, strict=True)):
            if abs(2 * (a - g0) * gn * sd - 2 * (b - s0) * sn * gd) > slack:
                problems.append(f"frame {i} is at {a} ({got.time_base}), the source's at {b} ({source.time_base})")
                break
    if problems:
        raise VerifyError(cut, problems)
