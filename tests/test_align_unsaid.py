"""A line is flagged as not spoken only with the margins (issue 23): a spoken line flagged tells the
user to delete a real one. The warping may squeeze a spoken line under ``LOW_RATIO`` of its length
when an unsaid neighbour takes its audio (make eval: Spanish, a line added before the eighth); such a
line is held to the same checks as a line the skip search leaves out."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.align import aligner
from pipeline.media.vad import decode_audio, speech_flags

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realspeech import CLIP, SEGMENTS

LINES = [str(s["text"]) for s in SEGMENTS]
EXTRA = "The quarterly report was filed with the regional office yesterday afternoon."


def _judged(lines: list[str], candidates: list[int]) -> list[int]:
    """The ``candidates`` that the margins keep as not spoken, on the real clip with ``lines``."""
    samples = decode_audio(CLIP)
    speech = speech_flags(samples, keep_pause_ms=aligner.KEEP_PAUSE_MS)
    voice, frames = aligner._synthetic(lines, "en")
    features = aligner._features(samples, speech, voice, frames)
    path = aligner._warp_path(features, ())
    return aligner._unsaid(features, frames, speech, path, candidates, [])[1]


def test_a_squeezed_line_is_flagged_only_when_the_margins_hold() -> None:
    # passes the good: every inner line of the clip is spoken; given as squeezed, none is flagged
    # (before, a line under LOW_RATIO of its length was flagged with no check at all)
    assert _judged(LINES, list(range(1, len(LINES) - 1))) == []
    # catches the bad: a line the clip does not say, given as squeezed, is flagged
    assert _judged([LINES[0], EXTRA, *LINES[1:]], [1]) == [1]
