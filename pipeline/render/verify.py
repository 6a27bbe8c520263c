"""Verify outputs by probing them: streams, durations, tags, cue counts, burned text on screen.

Verification never raises for a finding: it returns the problems, and the caller decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from pipeline.media.probe import MediaInfo, probe, subtitle_texts

# A burned cue changes at least this share of the subtitle band's pixels by more than
# PIXEL_DELTA grey levels; x264 noise between cues stays far below it (measured ~0.0005 at crf 23).
TEXT_SHARE = 0.004
PIXEL_DELTA = 48
DURATION_SLACK_MS = 150


def frame_at(path: str | Path, t_ms: int) -> npt.NDArray[np.uint8]:
    """The grey-level picture shown at ``t_ms`` in ``path``'s first video stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(max(t_ms - 1000, 0) * 1000, backward=True, any_frame=False)
        last = None
        for frame in container.decode(stream):
            if frame.time is not None and frame.time * 1000 > t_ms + 1:
                break
            last = frame
        if last is None:
            raise ValueError(f"{path}: no frame at {t_ms} ms")
        return np.asarray(last.to_ndarray(format="gray"), dtype=np.uint8)


def band_change(source: str | Path, burned: str | Path, t_ms: int, band: float = 0.30) -> float:
    """Share of pixels in the bottom ``band`` of the picture that differ between the two files."""
    a, b = frame_at(source, t_ms), frame_at(burned, t_ms)
    rows = int(a.shape[0] * (1 - band))
    diff = np.abs(a[rows:].astype(np.int16) - b[rows:].astype(np.int16))
    return float((diff > PIXEL_DELTA).mean())


@dataclass(frozen=True)
class BurnExpectation:
    """What a burned cut must show: text at ``shown_ms`` times, none at ``blank_ms`` times."""

    shown_ms: Sequence[int]
    blank_ms: Sequence[int]


def verify_burn(path: Path, source: MediaInfo, expect: BurnExpectation) -> list[str]:
    """Problems with a burned cut: its streams, size, duration and whether its text is on screen."""
    out = probe(path)
    problems: list[str] = []
    if (out.width, out.height) != (source.width, source.height):
        problems.append(f"picture is {out.width}x{out.height}, source is {source.width}x{source.height}")
    if abs(out.duration_ms - source.duration_ms) > DURATION_SLACK_MS:
        problems.append(f"duration {out.duration_ms} ms, source {source.duration_ms} ms")
    if source.has_audio and not out.has_audio:
        problems.append("the audio stream is missing")
    for t in expect.shown_ms:
        share = band_change(source.path, path, t)
        if share < TEXT_SHARE:
            problems.append(f"no subtitle text on screen at {t} ms (changed share {share:.4f})")
    for t in expect.blank_ms:
        share = band_change(source.path, path, t)
        if share >= TEXT_SHARE:
            problems.append(f"unexpected marks on screen at {t} ms, between cues (changed share {share:.4f})")
    return problems


@dataclass(frozen=True)
class ExpectedTrack:
    """A soft track the muxed file must hold."""

    iso639_2: str
    title: str
    default: bool
    texts: Sequence[str]


def verify_mux(path: Path, source: MediaInfo, tracks: Sequence[ExpectedTrack]) -> list[str]:
    """Problems with a muxed file: track count, languages, titles, default flag, cue texts."""
    out = probe(path)
    problems: list[str] = []
    subs = out.subtitle_streams()
    if len(subs) != len(tracks):
        return [f"{len(subs)} subtitle tracks, expected {len(tracks)}"]
    if abs(out.duration_ms - source.duration_ms) > DURATION_SLACK_MS:
        problems.append(f"duration {out.duration_ms} ms, source {source.duration_ms} ms")
    texts = subtitle_texts(path)
    for i, (got, want, got_texts) in enumerate(zip(subs, tracks, texts, strict=True)):
        if got.language != want.iso639_2:
            problems.append(f"track {i}: language {got.language!r}, expected {want.iso639_2!r}")
        if got.title != want.title:
            problems.append(f"track {i}: title {got.title!r}, expected {want.title!r}")
        if got.default != want.default:
            problems.append(f"track {i}: default flag {got.default}, expected {want.default}")
        if list(got_texts) != list(want.texts):
            problems.append(f"track {i}: {len(got_texts)} cues read back, expected {len(want.texts)} equal to the SRT")
    return problems


def burn_expectation(cues: Sequence[tuple[int, int]], samples: int = 2) -> BurnExpectation:
    """Pick cue midpoints (text expected) and the middle of the widest gaps (no text expected)."""
    if not cues:
        return BurnExpectation((), ())
    step = max(len(cues) // samples, 1)
    shown = [(s + e) // 2 for s, e in cues[::step][:samples]]
    gaps = sorted(((b[0] - a[1], (a[1] + b[0]) // 2) for a, b in itertools.pairwise(cues)), reverse=True)
    blank = [mid for width, mid in gaps[:samples] if width >= 400]
    return BurnExpectation(shown, blank)
