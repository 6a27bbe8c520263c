"""What the verifications of a burn can prepare while its chunks are encoded: the source's frames
at the checks' sampled times, then each check's masks, in one thread of its own.

Both go where the verifications look first (the source's :class:`~pipeline.render.frames.FrameMemo`
and a :class:`~pipeline.render.masks.MaskStore`), within a byte budget each: the chunk workers hold
their memory meanwhile. A mask is rendered ahead for the cut's expected stored size and pixel aspect
(:func:`pipeline.media.commands.burn_size`, the source's); a cut that turns out otherwise renders its
own. A failure here is not reported: the verification meets it again when it asks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from pipeline.core.errors import PipelineError
from pipeline.media.commands import burn_size
from pipeline.media.probe import MediaInfo
from pipeline.render.frames import FrameMemo
from pipeline.render.masks import MaskStore, sampled_masks
from pipeline.render.verify import BurnCheck, frame_ms, mask_request, source_times

THREAD_NAME = "source-frames"


@contextlib.contextmanager
def verifying_ahead(
    source: MediaInfo, checks: Sequence[BurnCheck | None], memo: FrameMemo, masks: MaskStore, budget: int
) -> Iterator[None]:
    """Prepare ``checks`` of cuts of ``source`` while the block runs (the source's frames into ``memo``,
    at most ``budget`` bytes of them; the masks into ``masks``); stopped and joined when it ends."""
    wanted = [c for c in checks if c is not None]
    for check in wanted:
        memo.plan(source_times(source, check))
    stop = threading.Event()
    ahead = threading.Thread(target=_prepare, args=(source, wanted, memo, masks, budget, stop), name=THREAD_NAME)
    ahead.daemon = True
    try:
        if wanted:
            ahead.start()
        yield
    finally:
        stop.set()
        if ahead.is_alive():
            ahead.join()


def _prepare(
    source: MediaInfo,
    checks: Sequence[BurnCheck],
    memo: FrameMemo,
    masks: MaskStore,
    budget: int,
    stop: threading.Event,
) -> None:
    memo.prefetch(stop, budget)
    size = burn_size(source)
    for check in checks:
        if stop.is_set() or not masks.room():
            return
        shown = [memo.held_at(t) for t in source_times(source, check)]
        if any(s is None for s in shown):
            return  # past the frames' budget: the rest when verifying
        times = [s.pts_ms - source.start_ms for s in shown if s is not None]
        try:
            sampled_masks(mask_request(check, size, source.sar), times, frame_ms(source), masks, ahead=True)
        except PipelineError:
            return
