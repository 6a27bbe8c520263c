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
    cuts = CutAssembler(video, table, plan, targets, work)
    try:
        cuts.assemble_all([list(files) for files in chunk_files], jobs)
    except BaseException:
        cuts.discard()
        raise
    return cuts.partials


class CutAssembler:
    """The cuts of one burn, each written to a partial name beside its target (any partial of an earlier
    run removed), as soon as its chunks are there (:meth:`assemble`) or all at once (:meth:`assemble_all`)."""

    def __init__(self, video: Path, table: FrameTable, plan: Sequence[Chunk], targets: Sequence[Path], work: Path):
        self.video, self.table, self.work = video, table, work
        self.offset_us = math.floor((table.pts[0] - table.start_ticks) * table.time_base * 1_000_000 + Fraction(1, 2))
        self.durations = durations_us(table, plan)
        self.partials: list[Path] = []
        self.done: set[int] = set()
        for target in targets:
            ensure_dir(target.parent)
            remove_partials_of(target)
            self.partials.append(partial_path(target.resolve()))

    def assemble(self, i: int, chunk_files: Sequence[Path]) -> Path:
        """Cut ``i`` from its chunks, checked (:func:`check_frames`).

        Raises:
            FfmpegError: when concatenation fails.
            VerifyError: when the cut does not hold exactly the source's frames and timestamps.
        """
        listing = self.work / f"cut{i}.ffconcat"
        listing.write_text(concat_list(chunk_files, self.durations), encoding="utf-8")
        ts = self.table.time_base.denominator if self.table.time_base.numerator == 1 else 0
        run_ffmpeg(concat_args(listing, self.video, self.offset_us, self.partials[i], ts))
        check_frames(self.partials[i], self.table)
        self.done.add(i)
        return self.partials[i]

    def assemble_all(self, chunk_files: Sequence[Sequence[Path]], jobs: int | None = None) -> None:
        """Every cut not assembled yet, ``jobs`` at a time (on a failure no more start and the running ones
        end: nothing still writes when it raises)."""
        left = [i for i in range(len(self.partials)) if i not in self.done]
        with contextlib.closing(ThreadRunner(jobs).map(lambda i: self.assemble(i, chunk_files[i]), left)) as made:
            for _ in made:
                pass

    def discard(self) -> None:
        """Remove every partial (a failed burn)."""
        discard(*self.partials)


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
