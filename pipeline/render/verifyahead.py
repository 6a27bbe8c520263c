"""What the verifications of a burn can prepare while its chunks are encoded: the source's frames at the
checks' sampled times, decoded in one thread of its own into the source's
:class:`~pipeline.render.frames.FrameMemo` (where the verifications look first), within a byte budget:
the chunk workers hold their memory meanwhile. The masks are not rendered ahead: a mask ffmpeg holds
130-180 MiB with a CJK font, more than the 600 MiB tree leaves beside the workers. A failure here is
not reported: the verification meets it again when it asks.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from pipeline.media.probe import MediaInfo
from pipeline.render.frames import FrameMemo
from pipeline.render.verify import BurnCheck, source_times

THREAD_NAME = "source-frames"


@contextlib.contextmanager
def verifying_ahead(
    source: MediaInfo, checks: Sequence[BurnCheck | None], memo: FrameMemo, budget: int
) -> Iterator[None]:
    """Decode the source's frames ``checks`` of cuts of ``source`` will compare into ``memo`` (at most ``budget``
    bytes of them) while the block runs; stopped and joined when it ends."""
    wanted = [c for c in checks if c is not None]
    for check in wanted:
        memo.plan(source_times(source, check))
    stop = threading.Event()
    ahead = threading.Thread(target=memo.prefetch, args=(stop, budget), name=THREAD_NAME, daemon=True)
    try:
        if wanted:
            ahead.start()
        yield
    finally:
        stop.set()
        if ahead.is_alive():
            ahead.join()
