"""The verifications of one burn's cuts: prepared while the chunks are encoded (the source's frames,
within a small budget), each queued as soon as its cut is assembled and run once the encodes are
done (the chunk workers' memory: a check decoding and rendering meanwhile took the 10-language tree past
600 MiB), sharing the source's frames; the cuts committed in request order once every one has ended."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pipeline.batch.rerun import PreviousCut, burn_check, check_cut, planned_check, settle
from pipeline.core.cues import Track
from pipeline.core.errors import VerifyError
from pipeline.media.probe import MediaInfo
from pipeline.render.burn import BurnRequest
from pipeline.render.chunkpath import CutRecord
from pipeline.render.frames import FrameMemo, prefetching
from pipeline.render.verify import BurnCheck, know_keyframes, source_times

VERIFY_WORKERS = max(2, min(4, os.cpu_count() or 2))
"""Cuts verified at once (each decodes its cut while the source's frames are shared); at most 4, as
each holds its pictures and masks in memory."""
# While the chunk workers hold their memory (the tree stays within 600 MiB at 720p): the source's pictures
# decoded ahead, and all the source's pictures held.
AHEAD_BYTES = 24 << 20
WHILE_ENCODING_BYTES = 48 << 20


class CutChecks:
    """The verifications of the cuts of ``requests`` (``tracks``: what each must show), on ``pool``.

    ``previous``: each language's last verified cut (only its changed chunks are verified again);
    ``memo``: the source's frames they share.
    """

    def __init__(
        self,
        media: MediaInfo,
        tracks: Sequence[Track],
        requests: Sequence[BurnRequest],
        previous: Mapping[str, PreviousCut],
        memo: FrameMemo,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.media, self.tracks, self.requests, self.previous, self.pool = media, tracks, requests, previous, pool
        self.memo = memo
        self.records: list[CutRecord] = []
        self.started: dict[int, Future[list[str]] | None] = {}
        self.budget = self.memo.budget  # the memo's own, given back when the encodes are done
        self.encoded = threading.Event()  # the queued checks wait for it
        self.abandoned = False  # the burn failed: a queued check has nothing to do

    def planned(self, records: Sequence[CutRecord]) -> contextlib.AbstractContextManager[None]:
        """The burn's plan (before encoding): what its checks will compare, prepared in a thread of its own
        while the chunks are encoded (:func:`pipeline.render.frames.prefetching`), at most
        :data:`AHEAD_BYTES` of the source's frames (the rest once the encodes are done); meanwhile the memo
        holds at most :data:`WHILE_ENCODING_BYTES`."""
        self.records = list(records)
        self.memo.budget = min(self.budget, WHILE_ENCODING_BYTES)
        checks = [
            planned_check(track, req, record, self.previous.get(req.lang))
            for track, req, record in zip(self.tracks, self.requests, records, strict=True)
        ]
        return self._ahead(checks, AHEAD_BYTES)

    def cut_ready(self, i: int, partial: Path) -> None:
        """Queue the check of cut ``i`` (assembled before the burn's end, by the record of the plan): it runs
        once the encodes are done."""
        if self.records:
            self._start(i, partial, self.records[i])

    def results(self, partials: Sequence[Path], made: Sequence[CutRecord]) -> list[Path | VerifyError]:
        """Verify the cuts not started yet; then commit each cut that passed and discard the others, in
        request order (here: the run's transaction belongs to this thread).

        Raises:
            FfmpegError: when a mask cannot be rendered; no cut is committed then.
        """
        self.encodes_done()
        left = [i for i in range(len(partials)) if i not in self.started]
        checks = {i: self._check(i, partials[i], made[i]) for i in left}
        with self._ahead(list(checks.values())):  # the source's frames decoded while cuts are probed
            for i in left:
                self._submit(i, partials[i], checks[i])
            problems = [f.result() if (f := self.started[i]) else [] for i in range(len(partials))]
        return [settle(p, req.target, found) for p, req, found in zip(partials, self.requests, problems, strict=True)]

    def encodes_done(self) -> None:
        """The chunk workers have ended: the memo's own budget again, the queued checks run."""
        self.memo.budget = self.budget
        self.encoded.set()

    def cancel(self) -> None:
        """Cancel the verifications not started and let the queued ones end at once (those running are
        waited for by the pool)."""
        self.abandoned = True
        for future in self.started.values():
            if future:
                future.cancel()
        self.encoded.set()

    def _ahead(
        self, checks: Sequence[BurnCheck | None], budget: int | None = None
    ) -> contextlib.AbstractContextManager[None]:
        """The source's frames ``checks`` will compare, decoded in a thread of its own while the block runs
        (at most ``budget`` bytes of them)."""
        for check in checks:
            self._plan(check)
        return prefetching(self.memo, any(checks), budget)

    def _plan(self, check: BurnCheck | None) -> None:
        if check:
            self.memo.plan(source_times(self.media, check))
            know_keyframes(self.memo, self.media, check)

    def _start(self, i: int, partial: Path, record: CutRecord) -> None:
        check = self._check(i, partial, record)
        self._plan(check)
        self.started[i] = self.pool.submit(self._once_encoded, partial, check) if check else None

    def _once_encoded(self, partial: Path, check: BurnCheck) -> list[str]:
        self.encoded.wait()
        return [] if self.abandoned else check_cut(self.media, partial, check, self.memo)

    def _check(self, i: int, partial: Path, record: CutRecord) -> BurnCheck | None:
        return burn_check(self.tracks[i], self.requests[i], partial, record, self.previous.get(self.requests[i].lang))

    def _submit(self, i: int, partial: Path, check: BurnCheck | None) -> None:
        started = self.pool.submit(check_cut, self.media, partial, check, self.memo) if check else None
        self.started[i] = started


def verify_cuts(
    media: MediaInfo,
    tracks: Sequence[Track],
    requests: Sequence[BurnRequest],
    partials: Sequence[Path],
    made: Sequence[CutRecord],
    previous: Mapping[str, PreviousCut],
    source_frames: FrameMemo,
) -> list[Path | VerifyError]:
    """Verify the cuts of one burn at once (:data:`VERIFY_WORKERS`), sharing ``source_frames`` (a memo of
    ``media``'s frames: :func:`pipeline.render.verify.source_memo`); then commit each cut that passed
    and discard the others, in request order.

    Raises:
        FfmpegError: when a mask cannot be rendered; no cut is committed then, the verifications
            still running are waited for.
    """
    with ThreadPoolExecutor(VERIFY_WORKERS) as pool:
        checks = CutChecks(media, tracks, requests, previous, source_frames, pool)
        try:
            return checks.results(partials, made)
        except BaseException:
            checks.cancel()  # those not started; leaving the pool waits for the running ones
            raise
