"""Audio findings of a subtitle track: in-times against the speech onsets, cues over silence,
speech with no cue, and the track's global offset (with its confidence) from :mod:`pipeline.qc.sync`.

In-time tolerance: 3 frames (Netflix's older text; the current one says 1-2 frames is acceptable).
An in-time more than half a second off is an error, less is a warning.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from pipeline.core.cues import Cue, Track
from pipeline.core.findings import Finding, Retime
from pipeline.core.timecode import format_clock
from pipeline.media.vad import STEP_MS, Speech
from pipeline.qc.rules import ZONE_FRAMES_24, Frames
from pipeline.qc.sync import MIN_CONFIDENCE, SyncResult, synchronize
from pipeline.qc.syncscore import MIN_SPEECH_MS

TOLERANCE_FRAMES = 3
ONSET_WINDOW_MS = 1500
SILENT_FRACTION = 0.1
UNCOVERED_MS = 2000


@dataclass(frozen=True)
class OffsetEstimate:
    """The track's global offset against the speech (ms to add), its ratio and its confidence (0-1)."""

    offset_ms: int
    ratio: float
    confidence: float

    def describe(self) -> str:
        """One line for a report: the offset when it is confident, else that it is unknown."""
        if self.confidence < MIN_CONFIDENCE:
            return f"offset not measured (confidence {self.confidence:.2f}: the track does not match the speech)"
        return f"offset {self.offset_ms:+d} ms, ratio {self.ratio:.5f}, confidence {self.confidence:.2f}"


def _severity(delta_ms: int, grid: Frames) -> str:
    return "error" if delta_ms > grid.span(grid.scaled(ZONE_FRAMES_24)) else "warning"


def _speech_at(speech: Speech, ms: int) -> bool:
    i = ms // STEP_MS
    return 0 <= i < speech.flags.size and bool(speech.flags[i])


def _onset_findings(cues: Sequence[Cue], speech: Speech, grid: Frames) -> Iterator[Finding]:
    onsets = [s for s, _ in speech.spans]
    tol = grid.span(TOLERANCE_FRAMES)
    for n, cue in enumerate(cues, start=1):
        prev_end = cues[n - 2].end_ms if n > 1 else -1
        i = bisect.bisect_right(onsets, cue.start_ms)
        if not _speech_at(speech, cue.start_ms):
            after = onsets[i] if i < len(onsets) else None
            if after is not None and tol < after - cue.start_ms <= ONSET_WINDOW_MS and after < cue.end_ms:
                d = after - cue.start_ms
                yield Finding(
                    "early_start",
                    _severity(d, grid),
                    n,
                    cue.start_ms,
                    f"starts {d} ms ({grid.frame(d)} frames) before the speech at {format_clock(after)}",
                    f"start at {format_clock(grid.ms(grid.frame(after)))}",
                    edit=Retime(n, "start", grid.ms(grid.frame(after))),
                )
            continue
        before = onsets[i - 1] if i > 0 else None
        if before is not None and tol < cue.start_ms - before <= ONSET_WINDOW_MS and before >= prev_end:
            d = cue.start_ms - before
            yield Finding(
                "late_start",
                _severity(d, grid),
                n,
                cue.start_ms,
                f"starts {d} ms ({grid.frame(d)} frames) after the speech onset at {format_clock(before)}",
                f"start at {format_clock(grid.ms(grid.frame(before)))}",
                edit=Retime(n, "start", grid.ms(grid.frame(before))),
            )


def _silence_findings(cues: Sequence[Cue], speech: Speech) -> Iterator[Finding]:
    cumsum = np.concatenate(([0], np.cumsum(speech.flags, dtype=np.int64)))
    last = cumsum.size - 1
    for n, cue in enumerate(cues, start=1):
        a, b = min(cue.start_ms // STEP_MS, last), min(cue.end_ms // STEP_MS, last)
        if b <= a:
            continue
        fraction = float(cumsum[b] - cumsum[a]) / (b - a)
        if fraction < SILENT_FRACTION:
            yield Finding(
                "over_silence",
                "warning",
                n,
                cue.start_ms,
                f"no speech under the cue ({fraction:.0%} of its {cue.duration_ms} ms)",
                "check that the cue belongs here; re-time or delete it",
            )


def _uncovered_findings(cues: Sequence[Cue], speech: Speech) -> Iterator[Finding]:
    covered = np.zeros(speech.flags.size, dtype=np.bool_)
    for cue in cues:
        covered[cue.start_ms // STEP_MS : cue.end_ms // STEP_MS] = True
    bare = speech.flags & ~covered
    padded = np.concatenate(([0], bare.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        length = int(b - a) * STEP_MS
        if length > UNCOVERED_MS:
            start = int(a) * STEP_MS
            yield Finding(
                "uncovered_speech",
                "warning",
                None,
                start,
                f"{length / 1000:.1f} s of speech with no cue ({format_clock(start)}-{format_clock(start + length)})",
                "add a cue, or check that the track is complete and in sync",
            )


def estimate_offset(track: Track, speech: Speech) -> OffsetEstimate:
    """The global offset and ratio of ``track`` against ``speech`` (no split edits)."""
    result: SyncResult = synchronize(track, speech, splits=False)
    return OffsetEstimate(result.offset_ms, result.ratio, result.confidence)


def offset_findings(estimate: OffsetEstimate, fps: Fraction) -> list[Finding]:
    """A finding when the whole track is off (a confident estimate beyond the tolerance)."""
    grid = Frames.of(fps)
    if estimate.confidence < MIN_CONFIDENCE:
        return [
            Finding(
                "sync_unknown",
                "info",
                None,
                0,
                f"the track's offset could not be measured (confidence {estimate.confidence:.2f})",
                "check the track against the video by hand",
            )
        ]
    found = []
    if abs(estimate.ratio - 1) > 1e-4:
        found.append(
            Finding(
                "drift",
                "error",
                None,
                0,
                f"the track drifts: its times need scaling by {estimate.ratio:.5f} (a frame-rate conversion)",
                "run `subpipe sync`",
            )
        )
    off = estimate.offset_ms
    if abs(off) > grid.span(TOLERANCE_FRAMES):
        side = "early" if off > 0 else "late"
        found.append(
            Finding(
                "offset",
                _severity(abs(off), grid),
                None,
                0,
                f"the whole track is {abs(off)} ms {side} (confidence {estimate.confidence:.2f})",
                f"shift every cue by {off:+d} ms (`subpipe sync`)",
            )
        )
    return found


def audio_findings(track: Track, speech: Speech, fps: Fraction) -> list[Finding]:
    """Per-cue findings against the speech: in-times, cues over silence, uncovered speech.

    Audio with no speech at all (a tone, music, noise, silence) gives one ``no_speech`` finding
    instead of a claim about every cue.
    """
    grid = Frames.of(fps)
    cues = track.cues
    heard = int(np.count_nonzero(speech.flags)) * STEP_MS
    if cues and heard < MIN_SPEECH_MS:
        return [
            Finding(
                "no_speech",
                "warning",
                None,
                0,
                f"no speech found in the audio ({heard} ms in {speech.duration_ms} ms): a tone, music, noise or"
                " silence; the timing was not checked against it",
                "check that the video is the right one, and its timing by hand",
            )
        ]
    return [
        *_onset_findings(cues, speech, grid),
        *_silence_findings(cues, speech),
        *_uncovered_findings(cues, speech),
    ]
