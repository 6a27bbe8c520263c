"""The judge of a sampled frame works on the mask's core pixels and the ink's bounding box only; its
answers are those of the whole-frame arithmetic it replaced (kept here as the oracle), on frames of
many sizes with ink anywhere (at the borders too), none, or everywhere, and it leaves its inputs as they were."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from pipeline.render import judge as fast
from pipeline.render.masks import Mask
from pipeline.render.sampling import Sample

Gray = npt.NDArray[np.uint8]


def _oracle(sample: Sample, source: Gray, output: Gray, mask: Mask) -> list[str]:
    problems = []
    core = _erode(mask.opaque & mask.ink)
    if sample.shown and core.sum() >= fast.MIN_CORE_PIXELS:
        want = mask.over_black.astype(np.int16)
        got = float((np.abs(output.astype(np.int16) - want) <= fast.MATCH_LEVELS)[core].mean())
        base = float((np.abs(source.astype(np.int16) - want) <= fast.MATCH_LEVELS)[core].mean())
        if got < fast.MIN_MATCH or got - base < fast.MIN_GAIN:
            problems.append(f"subtitle text missing at {sample.ass_ms} ms (output matches {got:.0%} of it)")
    elif sample.shown:
        problems.append(f"libass renders no text for the cue at {sample.ass_ms} ms")
    allowed = _dilate(mask.ink, max(2, output.shape[0] // 180))
    changed = (np.abs(output.astype(np.int16) - source.astype(np.int16)) > fast.CHANGE_LEVELS) & ~allowed
    size = max(8, output.shape[0] // 45)
    h, w = (changed.shape[0] // size) * size, (changed.shape[1] // size) * size
    blocks = changed[:h, :w].reshape(h // size, size, w // size, size).mean(axis=(1, 3))
    marks = int((blocks > fast.BLOCK_CHANGED).sum())
    if marks:
        problems.append(f"unexpected marks at {sample.ass_ms} ms outside the subtitle's place ({marks} blocks)")
    return problems


def _erode(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    out = mask.copy()
    out[1:] &= mask[:-1]
    out[:-1] &= mask[1:]
    out[:, 1:] &= mask[:, :-1]
    out[:, :-1] &= mask[:, 1:]
    return out


def _dilate(mask: npt.NDArray[np.bool_], radius: int) -> npt.NDArray[np.bool_]:
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[1:] |= out[:-1]
        grown[:-1] |= out[1:]
        grown[:, 1:] |= out[:, :-1]
        grown[:, :-1] |= out[:, 1:]
        out = grown
    return out


def _case(rng: np.random.Generator, h: int, w: int) -> tuple[Sample, Gray, Gray, Mask]:
    """A source, a mask with a few boxes of ink (at the borders, too), and an output that may show the
    text, show it partly, show stray marks, or nothing at all."""
    source = rng.integers(0, 256, (h, w), dtype=np.uint8)
    black, white = np.full((h, w), 16, np.uint8), np.full((h, w), 235, np.uint8)
    for _ in range(int(rng.integers(0, 4))):
        y0, x0 = int(rng.integers(0, h)), int(rng.integers(0, w))
        y1, x1 = min(h, y0 + int(rng.integers(1, h // 3 + 2))), min(w, x0 + int(rng.integers(1, w // 2 + 2)))
        ink = rng.integers(0, 256, (y1 - y0, x1 - x0), dtype=np.uint8)
        black[y0:y1, x0:x1] = ink
        white[y0:y1, x0:x1] = np.where(rng.random(ink.shape) < 0.8, ink, rng.integers(0, 256, ink.shape))
    output = source.copy()
    kind = int(rng.integers(0, 4))
    if kind >= 1:  # the text burned (in part, for kind 2)
        shown = (black == white) if kind != 2 else (black == white) & (rng.random((h, w)) < 0.5)
        output[shown] = black[shown]
    if kind == 3:  # stray marks too
        y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
        output[y : y + h // 8 + 1, x : x + w // 8 + 1] ^= 0xFF
    noise = rng.integers(-60, 61, (h, w))
    output = np.clip(output.astype(np.int16) + noise * (rng.random((h, w)) < 0.05), 0, 255).astype(np.uint8)
    return Sample(int(rng.integers(0, 10_000)), bool(rng.integers(0, 2))), source, output, Mask(black, white)


@pytest.mark.parametrize("size", [(90, 160), (180, 320), (241, 319), (720, 1280), (17, 9)])
def test_the_judge_answers_as_the_whole_frame_arithmetic(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(size[0] * 7919 + size[1])
    answers = set()
    for _ in range(60 if size[0] < 500 else 12):
        case = _case(rng, *size)
        _sample, source, output, mask = case
        kept = source.copy(), output.copy(), mask.over_black.copy(), mask.over_white.copy()
        got = fast.judge(*case)
        now = source, output, mask.over_black, mask.over_white
        assert all(np.array_equal(a, b) for a, b in zip(kept, now, strict=True))  # the inputs left as they were
        assert got == _oracle(*case)
        answers.add(tuple(p.split(" at ")[0] for p in got))
    if size[0] >= 90:  # the cases reach every verdict: no problem, text missing, no text, marks
        found = {p for a in answers for p in a}
        assert {"subtitle text missing", "unexpected marks"} <= found and () in answers


def test_ink_at_the_borders_everywhere_or_in_a_picture_smaller_than_a_block() -> None:
    rng = np.random.default_rng(11)
    for h, w in [(6, 7), (1, 40), (40, 1), (45, 64)]:
        source = rng.integers(0, 256, (h, w), dtype=np.uint8)
        for ink in (np.ones((h, w), bool), np.eye(h, w, dtype=bool), np.zeros((h, w), bool)):
            ink[0, :] = ink[:, 0] = ink[-1, -1] = True  # the first row and column, the last pixel
            black = np.where(ink, 200, 16).astype(np.uint8)
            white = np.where(ink, 200, 235).astype(np.uint8)
            inverted = np.bitwise_xor(source, np.uint8(0xFF))
            for output in (source, np.where(ink, 200, source).astype(np.uint8), inverted):
                case = (Sample(5, True), source, output, Mask(black, white))
                assert fast.judge(*case) == _oracle(*case)


def test_the_ink_is_grown_as_far_as_the_whole_frame_grows_it() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        h, w = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        ink = rng.random((h, w)) < rng.choice([0.0, 0.01, 0.1, 0.6])
        radius = int(rng.integers(1, 6))
        assert np.array_equal(fast._dilate(ink, radius), _dilate(ink, radius))
