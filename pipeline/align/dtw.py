"""Dynamic time warping of two feature sequences, coarse to fine, in linear memory at the fine scale.

The whole matrix is warped at 1/``COARSE`` of the frame rate (80 ms), then again at the full rate in a
band of ``RADIUS`` coarse cells around the coarse path. Within a row the recurrence
``D[i, j] = C[i, j] + min(D[i-1, j], D[i-1, j-1], D[i, j-1])`` is solved in numpy: the horizontal
term is a running minimum (``D[i, j] = cumC[j] + min_{k<=j}(T[k] - cumC[k])`` with
``T = C + min(D[i-1, j], D[i-1, j-1])`` and ``cumC`` the row's cumulative cost).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pipeline.core.errors import InputError

COARSE = 8
RADIUS = 3
STALL = 0.0  # make eval: 0.5, 1.5 and 3 (of a cell's typical 3-5) all did worse
MAX_COARSE_CELLS = 40_000_000  # 320 MB of float64 costs: about 53 minutes against 53 minutes (80 ms cells)
FRAME_MS = 10  # the features' hop (pipeline.media.mfcc)

IntArray = npt.NDArray[np.int64]
Features = npt.NDArray[np.float32]


def too_long(frames: tuple[int, int]) -> InputError:
    """The error for sequences of ``frames`` too long to warp at once (its path, None, is the caller's
    to give: the media file)."""
    minutes = [f"{n * FRAME_MS / 60_000:.1f}" for n in frames]
    longest = (MAX_COARSE_CELLS**0.5) * COARSE * FRAME_MS / 60_000
    return InputError(
        None,
        f"too long to align at once: {minutes[0]} min of speech against {minutes[1]} min of the script "
        f"spoken (at most about {longest:.0f} against {longest:.0f}): split the video and its script",
    )


def _costs(a: Features, b: Features) -> npt.NDArray[np.float32]:
    """Euclidean distances between every row of ``a`` and every row of ``b``."""
    sq = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2 * a @ b.T
    out: npt.NDArray[np.float32] = np.sqrt(np.maximum(sq, 0)).astype(np.float32)
    return out


def row_costs(prev: npt.NDArray[np.float64], cost: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """One row of accumulated cost, ``prev`` being the row above on the same columns (inf outside).

    A step that holds one side's frame (up or across) pays ``STALL`` on top of its cell.
    """
    diag = np.concatenate(([np.inf], prev[:-1]))
    t = cost + np.minimum(prev + STALL, diag)
    cum = np.cumsum(cost + STALL)
    out: npt.NDArray[np.float64] = cum + np.minimum.accumulate(t - cum)
    return out


def _backtrack(rows: list[npt.NDArray[np.float64]], starts: IntArray) -> IntArray:
    """The warping path (pairs of indices, first to last) through accumulated rows with column offsets."""
    i, j = len(rows) - 1, int(starts[-1]) + rows[-1].size - 1
    path = [(i, j)]

    def at(r: int, c: int) -> float:
        k = c - int(starts[r])
        return float(rows[r][k]) if 0 <= k < rows[r].size else np.inf

    while i > 0 or j > 0:
        options = ((at(i - 1, j - 1), i - 1, j - 1), (at(i - 1, j) + STALL, i - 1, j), (at(i, j - 1) + STALL, i, j - 1))
        _, i, j = min(options, key=lambda o: o[0])
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)


def _band_dtw(a: Features, b: Features, lo: IntArray, hi: IntArray) -> IntArray:
    """DTW restricted to columns ``lo[i]..hi[i]`` (inclusive) of each row ``i``."""
    rows: list[npt.NDArray[np.float64]] = []
    prev = np.full(0, np.inf)
    prev_lo = 0
    for i in range(a.shape[0]):
        cols = slice(int(lo[i]), int(hi[i]) + 1)
        cost = np.sqrt(((b[cols] - a[i]) ** 2).sum(axis=1)).astype(np.float64)
        above = np.full(cost.size, np.inf)
        if i == 0:
            above[0] = 0.0 if lo[0] == 0 else np.inf
        else:
            k0, k1 = max(int(lo[i]) - prev_lo, 0), min(int(hi[i]) + 1 - prev_lo, prev.size)
            if k1 > k0:
                above[k0 + prev_lo - int(lo[i]) : k1 + prev_lo - int(lo[i])] = prev[k0:k1]
        row = row_costs(above, cost) if i else np.cumsum(cost) + (0.0 if lo[0] == 0 else np.inf)
        rows.append(row)
        prev, prev_lo = row, int(lo[i])
    return _backtrack(rows, lo)


def warp(a: Features, b: Features) -> IntArray:
    """The DTW path between ``a`` (frames x d) and ``b``: an array of (i, j) pairs from (0, 0) to the ends.

    Raises:
        InputError: (with no path) when the coarse matrix would exceed ``MAX_COARSE_CELLS``.
    """
    n, m = a.shape[0], b.shape[0]
    if n == 0 or m == 0:
        return np.zeros((0, 2), dtype=np.int64)
    ca = pool(a)
    cb = pool(b)
    if ca.shape[0] * cb.shape[0] > MAX_COARSE_CELLS:
        raise too_long((n, m))
    cost = _costs(ca, cb).astype(np.float64)
    rows = [np.cumsum(cost[0])]
    for i in range(1, cost.shape[0]):
        rows.append(row_costs(rows[-1], cost[i]))
    coarse = _backtrack(rows, np.zeros(len(rows), dtype=np.int64))
    lo = np.full(n, m, dtype=np.int64)
    hi = np.zeros(n, dtype=np.int64)
    for ci, cj in coarse:
        r0, r1 = max((ci - RADIUS) * COARSE, 0), min((ci + RADIUS + 1) * COARSE, n)
        lo[r0:r1] = np.minimum(lo[r0:r1], max((cj - RADIUS) * COARSE, 0))
        hi[r0:r1] = np.maximum(hi[r0:r1], min((cj + RADIUS + 1) * COARSE, m) - 1)
    lo = np.minimum.accumulate(lo[::-1])[::-1]  # monotone bands: a path can always go on
    hi = np.maximum.accumulate(hi)
    lo[0], hi[-1] = 0, m - 1
    return _band_dtw(a, b, lo, hi)


def pool(x: Features) -> Features:
    """Means over ``COARSE`` frames."""
    count = -(-x.shape[0] // COARSE)
    padded = np.concatenate((x, np.repeat(x[-1:], count * COARSE - x.shape[0], axis=0)))
    out: Features = padded.reshape(count, COARSE, -1).mean(axis=1)
    return out
