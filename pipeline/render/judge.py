"""Judging one sampled frame of a burned cut against the source and libass's mask (:mod:`pipeline.render.verify`):
the text where the mask is opaque, and nothing else changed outside it beyond codec noise.
"""

from __future__ import annotations

import numpy as np

from pipeline.render.frames import Gray
from pipeline.render.masks import Mask
from pipeline.render.sampling import Sample

MATCH_LEVELS = 40  # a text pixel of the output is within this many grey levels of libass's render
MIN_MATCH = 0.6  # share of the mask's opaque core the output must match...
MIN_GAIN = 0.2  # ...and by this much more than the source did (text, not a coincidence)
MIN_CORE_PIXELS = 8
CHANGE_LEVELS = 48  # outside the mask a pixel "changed" when it moved by more than this
BLOCK_CHANGED = 0.12  # a block with this share of changed pixels holds marks that are not codec noise


def judge(sample: Sample, source: Gray, output: Gray, mask: Mask) -> list[str]:
    """Problems at one sampled time: text missing inside the mask, or marks outside it."""
    problems = []
    core = _erode(mask.opaque & mask.ink)
    if sample.shown and core.sum() >= MIN_CORE_PIXELS:
        want = mask.over_black.astype(np.int16)
        got = float((np.abs(output.astype(np.int16) - want) <= MATCH_LEVELS)[core].mean())
        base = float((np.abs(source.astype(np.int16) - want) <= MATCH_LEVELS)[core].mean())
        if got < MIN_MATCH or got - base < MIN_GAIN:
            problems.append(f"subtitle text missing at {sample.ass_ms} ms (output matches {got:.0%} of it)")
    elif sample.shown:
        problems.append(f"libass renders no text for the cue at {sample.ass_ms} ms")
    marks = _marked_blocks(source, output, _dilate(mask.ink, max(2, output.shape[0] // 180)))
    if marks:
        problems.append(f"unexpected marks at {sample.ass_ms} ms outside the subtitle's place ({marks} blocks)")
    return problems


def _marked_blocks(source: Gray, output: Gray, allowed: np.ndarray) -> int:
    changed = (np.abs(output.astype(np.int16) - source.astype(np.int16)) > CHANGE_LEVELS) & ~allowed
    size = max(8, output.shape[0] // 45)
    h, w = (changed.shape[0] // size) * size, (changed.shape[1] // size) * size
    blocks = changed[:h, :w].reshape(h // size, size, w // size, size).mean(axis=(1, 3))
    return int((blocks > BLOCK_CHANGED).sum())


def _erode(mask: np.ndarray) -> np.ndarray:
    out = mask.copy()
    out[1:] &= mask[:-1]
    out[:-1] &= mask[1:]
    out[:, 1:] &= mask[:, :-1]
    out[:, :-1] &= mask[:, 1:]
    return out


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out
