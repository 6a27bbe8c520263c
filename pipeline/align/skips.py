"""Script lines that the audio does not say, found by a coarse warping that may skip whole lines.

Plain DTW must spend every synthetic frame somewhere, so a line that is not spoken is spread over
its neighbours' speech and pushes their boundaries by seconds. Here the coarse pass (80 ms cells,
as in :mod:`pipeline.align.dtw`) may also jump, within one row of the audio, from the cell before
an inner line to the cell after it, at ``SKIP_PRICE`` per cell of the line (in cosine distance,
whose scale is the same for every recording: unrelated frames about 1, a recording's own path
0.62-0.79 in make eval). A spoken line is cheaper to match than to skip (skipping it leaves its
audio to be held against a neighbour's frame); an unspoken one is cheaper to skip than to squeeze
into its neighbours. A skip is kept only with a margin, as a spoken line flagged tells the user to
delete a real one: the boundaries around it fall in pauses without the line (three of four at
least) more often than with it (:func:`confirmed`), and its neighbours match their audio better
without it (:func:`relief`); the lines kept are left out of the fine warping. A line that the
warping squeezes under ``LOW_RATIO`` of its length is held to the same margins (make eval: a line
added to the Spanish script, kept, took the next spoken line's audio, and that line was flagged).

Measured before the margins (a line added to each make eval script, at a quarter, half and three
quarters): 8 of 15 found, a spoken line flagged in its stead 4 times, and on the full scripts with
a -12 dB hiss a spoken German line flagged (which made that p95 1463 ms instead of 5104). The first
and last lines are never skipped, and the search is not run (:func:`search_fits`; an ``info``
finding says so) when the speech and the script's synthetic speech are both longer than about 5.3
minutes (``MAX_CELLS``: 4,000 by 4,000 cells of 80 ms).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from pipeline.align.dtw import COARSE, pool, row_costs
from pipeline.media.vad import STEP_MS, Speech

SKIP_PRICE = 0.5  # per cell of the line skipped, in cosine distance
AROUND = 2  # lines on each side of a skipped one whose boundaries are compared
MIN_PAUSE = 15  # windows: a pause this long or longer takes a boundary
PAUSE_SLACK = 15  # windows: a boundary this close to a pause is in it
MIN_HIT_GAIN = 0.25  # share of boundaries: one of the four around a line more in a pause without it
MIN_RELIEF = 0.05  # cosine distance: how much closer its neighbours' audio matches with the line left out
MAX_CELLS = 16_000_000  # coarse cells (two float64 matrices, 256 MB: 5.3 minutes against 5.3): more, no search

Features = npt.NDArray[np.float32]


def _jumps(lines: Sequence[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """For each line (its first and last + 1 frame in ``b``), the coarse cells a skip goes from and to
    (the cell before its first frame, the cell of the frame after its last); (-1, -1) for the first
    and last lines and for lines too short to skip."""
    out = []
    for k, (first, last) in enumerate(lines):
        src, dst = first // COARSE - 1, -(-last // COARSE)
        inner = 0 < k < len(lines) - 1 and src >= 0 and dst < count and dst - src > 2
        out.append((src, dst) if inner else (-1, -1))
    return out


def skipped_lines(a: Features, b: Features, lines: Sequence[tuple[int, int]]) -> list[int]:
    """The lines (indices) that the best coarse path between ``a`` (the audio) and ``b`` (the
    synthetic speech, ``lines`` being each line's (first, last + 1) frame in it) skips."""
    if not search_fits(a, b):
        return []
    cost = _cosine(pool(a), pool(b))
    jumps = _jumps(lines, cost.shape[1])
    return _backtrack(_accumulate(cost, jumps, SKIP_PRICE), jumps, SKIP_PRICE, cost)


def search_fits(a: Features, b: Features) -> bool:
    """Whether the search for unsaid lines fits in ``MAX_CELLS`` coarse cells for ``a`` against ``b``."""
    return int(-(-a.shape[0] // COARSE)) * int(-(-b.shape[0] // COARSE)) <= MAX_CELLS


def _cosine(a: Features, b: Features) -> npt.NDArray[np.float64]:
    """The cosine distance between every row of ``a`` and every row of ``b`` (0 alike, about 1
    unrelated, whatever the recording: make eval, frames 1.5 s apart)."""
    ua = a / (np.linalg.norm(a, axis=1, keepdims=True) + 1e-9)
    ub = b / (np.linalg.norm(b, axis=1, keepdims=True) + 1e-9)
    out: npt.NDArray[np.float64] = (1.0 - ua.astype(np.float64) @ ub.T.astype(np.float64)).clip(0, 2)
    return out


def _accumulate(
    cost: npt.NDArray[np.float64], jumps: list[tuple[int, int]], price: float
) -> list[npt.NDArray[np.float64]]:
    """The rows of accumulated cost, a line's jump costing ``price`` per cell of it."""
    rows = [np.cumsum(cost[0])]
    for i in range(cost.shape[0]):
        row = rows[-1] if i == 0 else row_costs(rows[-1], cost[i])
        for src, dst in jumps:
            if src < 0:
                continue
            via = row[src] + price * (dst - src - 1) + cost[i, dst]
            if via < row[dst]:  # on from the cell after the line, as along a row
                row[dst:] = np.minimum(row[dst:], via + np.concatenate(([0.0], np.cumsum(cost[i, dst + 1 :]))))
        if i:
            rows.append(row)
    return rows


def _backtrack(
    rows: list[npt.NDArray[np.float64]],
    jumps: list[tuple[int, int]],
    price: float,
    cost: npt.NDArray[np.float64],
) -> list[int]:
    """The lines whose jump lies on the best path (followed back from the last cell)."""
    ends = {dst: (k, src) for k, (src, dst) in enumerate(jumps) if src >= 0}
    i, j = len(rows) - 1, rows[-1].size - 1
    out = []
    while i > 0 or j > 0:
        if j in ends:
            k, src = ends[j]
            if rows[i][src] + price * (j - src - 1) + cost[i, j] == rows[i][j]:  # the same sum as above
                out.append(k)
                j = src
                continue
        options = []
        if i > 0 and j > 0:
            options.append((rows[i - 1][j - 1], i - 1, j - 1))
        if i > 0:
            options.append((rows[i - 1][j], i - 1, j))
        if j > 0:
            options.append((rows[i][j - 1], i, j - 1))
        _, i, j = min(options, key=lambda o: o[0])
    return sorted(out)


def _on_pause(point: int, pauses: Sequence[tuple[int, int]]) -> bool:
    return any(off - PAUSE_SLACK <= point <= on + PAUSE_SLACK for off, on in pauses)


def _hits(spans: Sequence[tuple[int, int]], lines: Sequence[int], pauses: Sequence[tuple[int, int]]) -> float:
    """The share of the boundaries between consecutive ``lines`` that fall in a pause."""
    points = [(spans[a][1] + spans[b][0]) // 2 for a, b in itertools.pairwise(lines)]
    return sum(_on_pause(p, pauses) for p in points) / len(points) if points else 0.0


def confirmed(
    skipped: Sequence[int],
    with_all: Sequence[tuple[int, int]],
    without: Sequence[tuple[int, int]],
    speech: Speech,
    left_out: Sequence[int] = (),
) -> list[int]:
    """The skipped lines around which the boundaries between lines fall in pauses more often with
    the line left out (``without``: each line's (first, last + 1) window so warped) than with all
    lines (``with_all``; ``left_out``: lines out of both warpings). A line that is not said, kept,
    pushes its neighbours' boundaries into their speech; a spoken line left out by mistake leaves
    its speech to them, and so does the same (make eval: Mandarin, whose synthetic voice matches
    least well, had such)."""
    runs = [(a // STEP_MS, b // STEP_MS) for a, b in speech.spans]
    pauses = [(runs[i][1], runs[i + 1][0]) for i in range(len(runs) - 1) if runs[i + 1][0] - runs[i][1] >= MIN_PAUSE]
    out = []
    for k in skipped:
        near = [n for n in range(k - AROUND, k + AROUND + 1) if 0 <= n < len(with_all)]
        kept = [n for n in near if n == k or (n not in skipped and n not in left_out)]
        gain = _hits(without, [n for n in kept if n != k], pauses)
        if gain >= 1.0 - MIN_HIT_GAIN and gain - _hits(with_all, kept, pauses) >= MIN_HIT_GAIN:
            out.append(k)
    return out


def line_costs(
    heard: Features, said: Features, path: npt.NDArray[np.int64], lines: Sequence[tuple[int, int]]
) -> list[float]:
    """Each line's mean cosine distance along ``path`` (pairs of indices into ``heard`` and
    ``said``); NaN for a line the path leaves out."""
    h, s = heard[path[:, 0]].astype(np.float64), said[path[:, 1]].astype(np.float64)
    cos = 1.0 - (h * s).sum(axis=1) / (np.linalg.norm(h, axis=1) * np.linalg.norm(s, axis=1) + 1e-9)
    out = []
    for first, last in lines:
        inside = (path[:, 1] >= first) & (path[:, 1] < last)
        out.append(float(cos[inside].mean()) if inside.any() else float("nan"))
    return out


def relief(with_all: Sequence[float], without: Sequence[float], k: int) -> float:
    """How much better the lines around ``k`` match their audio with line ``k`` left out (the
    mean of their :func:`line_costs` with it less without it). A line that is not said, kept,
    takes audio from its neighbours: left out, they match better; a spoken line left out leaves
    its audio to them: they match worse, or no better (a margin: eSpeak NG's voice varies a little)."""
    near = [n for n in range(k - AROUND, k + AROUND + 1) if n != k and 0 <= n < len(with_all)]
    pairs = [(with_all[n], without[n]) for n in near if not (np.isnan(with_all[n]) or np.isnan(without[n]))]
    return float(np.mean([a - b for a, b in pairs])) if pairs else 0.0
