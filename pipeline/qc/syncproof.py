"""Whether a sync fit shows that a track belongs to the audio, before ``sync`` writes it.

A fit has much freedom (an offset within a minute, a ratio, split edits). On a short clip, whose
speech has few pauses, another clip's cues cover the speech as well as its own: measured on clips
of 20-90 s of real speech (benchmarks/bench_sync_floor.py: the sample's narration clean, with noise
and with music; the espeak-ng sentences of tests/data/speech), subtitles of another clip of the same
language reached confidence 0.86 on a 20 s clip, 0.67 on 30 s, 0.57 on 45 s, 0.48 on 60 s; right
subtitles (shifted, drifted, across a cut) went as low as 0.30, 0.30, 0.46 and 0.52. No floor on the
confidence alone separates them, so a track must pass three tests, the numbers chosen where no wrong
pair of the benchmark passed all three (0 of 856) and most right ones did (181 of 189 at 45 s):

- its confidence is at least the floor (``SYNC_MIN_CONFIDENCE``);
- the audio has at least ``MIN_SPEECH_SPANS`` stretches of speech (apart by ``STRETCH_PAUSE_MS`` or
  more: the detector also ends speech at 150 ms pauses inside a phrase): with fewer pauses, a shift and
  a ratio line up any track's gaps with them;
- it beats by ``MIN_MARGIN`` its decoys, its own cues rearranged (durations and gaps shuffled, with a
  fixed seed so that a rerun gives the same answer) and fitted by the same search: another clip's
  cues fit no better than their rearrangements; a track's own cues do, as their rhythm is the speech's.
"""

from __future__ import annotations

import dataclasses
import itertools
import random

from pipeline.core.cues import Cue, Track
from pipeline.media.vad import Speech
from pipeline.qc.sync import DEFAULT_MAX_OFFSET_MS, SyncResult, synchronize

SYNC_MIN_CONFIDENCE = 0.6
MIN_SPEECH_SPANS = 6
STRETCH_PAUSE_MS = 250
MIN_MARGIN = 0.1
DECOYS = 6
_SEED = 18


def speech_stretches(speech: Speech) -> int:
    """How many stretches of speech the audio has, pauses under ``STRETCH_PAUSE_MS`` not ending one.

    Measured: since the detector lets breaths and soft sounds go, it ends speech at 160-170 ms pauses
    inside the sample's phrases (its first 20 s: 7 spans, 3 stretches), and 4 wrong pairs of 20 s
    clips passed a count of spans (benchmarks/bench_sync_floor.py --lengths 20,45: 0 of 1190 pass
    with 250 ms; right pairs accepted 67 of 412 at 20 s, 358 of 361 at 45 s; 300 ms: 29 and 357).
    """
    spans = speech.spans
    return (1 + sum(b[0] - a[1] >= STRETCH_PAUSE_MS for a, b in itertools.pairwise(spans))) if spans else 0


def decoy_tracks(track: Track, count: int = DECOYS) -> list[Track]:
    """Up to ``count`` rearrangements of ``track``: its cue durations and gaps shuffled, none equal to it.

    Each decoy spans the same time (from the first start to the last end) as the track.
    """
    cues = track.cues
    if len(cues) < 2:
        return []
    durations = [c.duration_ms for c in cues]
    gaps = [b.start_ms - a.end_ms for a, b in itertools.pairwise(cues)]
    own = (list(durations), list(gaps))
    rng = random.Random(_SEED)
    out: list[Track] = []
    for _ in range(count * 4):
        if len(out) == count:
            break
        rng.shuffle(durations)
        rng.shuffle(gaps)
        if (durations, gaps) == own or any(_same(d, durations, gaps) for d in out):
            continue
        out.append(_arranged(track, durations, gaps))
    return out


def _same(decoy: Track, durations: list[int], gaps: list[int]) -> bool:
    cues = decoy.cues
    return [c.duration_ms for c in cues] == durations and all(
        b.start_ms - a.end_ms == g for a, b, g in zip(cues, cues[1:], gaps, strict=False)
    )


def _arranged(track: Track, durations: list[int], gaps: list[int]) -> Track:
    at, cues = track.cues[0].start_ms, []
    for i, duration in enumerate(durations):
        cues.append(Cue(at, at + duration, ("",)))
        at += duration + (gaps[i] if i < len(gaps) else 0)
    return Track(track.lang, tuple(cues), track.fps)


def decoy_confidence(
    track: Track, speech: Speech, *, max_offset_ms: int = DEFAULT_MAX_OFFSET_MS, splits: bool = True
) -> float | None:
    """The best confidence of ``track``'s decoys fitted to ``speech`` (None: it has no decoy)."""
    fitted = [synchronize(d, speech, max_offset_ms=max_offset_ms, splits=splits) for d in decoy_tracks(track)]
    return max((d.confidence for d in fitted), default=None)


def prove(
    track: Track,
    speech: Speech,
    result: SyncResult,
    *,
    min_confidence: float = SYNC_MIN_CONFIDENCE,
    max_offset_ms: int = DEFAULT_MAX_OFFSET_MS,
    splits: bool = True,
) -> SyncResult:
    """``result`` with its floor and, when a test fails, why it must not be applied (``refused``).

    The decoys are fitted as ``track`` was (same offset range, splits or not). A floor of 0 asks
    for no proof: any fit is accepted (the user knows the subtitles are this audio's).
    """
    out = dataclasses.replace(result, min_confidence=min_confidence)
    if min_confidence <= 0:
        return out
    if result.confidence < min_confidence:
        why = f"confidence {result.confidence:.2f} is under the floor {min_confidence:.2f}: they do not fit this audio"
        return dataclasses.replace(out, refused=why)
    stretches = speech_stretches(speech)
    if stretches < MIN_SPEECH_SPANS:
        why = (
            f"confidence {result.confidence:.2f}, but the audio has {stretches} stretch(es) of speech, under "
            f"{MIN_SPEECH_SPANS}: too few pauses to tell these subtitles from another clip's "
            "(--min-confidence 0 applies the fit anyway)"
        )
        return dataclasses.replace(out, refused=why)
    best = decoy_confidence(track, speech, max_offset_ms=max_offset_ms, splits=splits)
    if best is None:
        why = (
            f"confidence {result.confidence:.2f}, but its cues all have one length and one gap (or there is one): "
            "with no rhythm of their own, nothing shows that they belong to this audio "
            "(--min-confidence 0 applies the fit anyway)"
        )
        return dataclasses.replace(out, refused=why)
    out = dataclasses.replace(out, decoy_confidence=best)
    if result.confidence - best < MIN_MARGIN:
        why = (
            f"confidence {result.confidence:.2f}, but the same cues in a shuffled order fit with {best:.2f} "
            f"(a margin under {MIN_MARGIN:.2f}): nothing shows that these subtitles belong to this audio "
            "(another clip's?)"
        )
        return dataclasses.replace(out, refused=why)
    return out


def refusal(result: SyncResult) -> str:
    """Why ``result`` must not be applied (empty when it may be)."""
    if result.refused:
        return result.refused
    if result.confidence < result.min_confidence:
        return f"confidence {result.confidence:.2f} is under the floor {result.min_confidence:.2f}"
    return ""
