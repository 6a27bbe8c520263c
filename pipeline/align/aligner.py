"""Times for a script's lines from the audio: the aeneas method, measured (``make eval``).

Each line is spoken by eSpeak NG (:mod:`pipeline.media.tts`), the synthetic lines laid end to end
with a short silence between them; MFCCs of both (:mod:`pipeline.media.mfcc`) are warped onto each
other by DTW (:mod:`pipeline.align.dtw`) over the stretch of the audio that has speech; each line's
synthetic start and end map to the real audio through the path; then each boundary moves onto the
pause the speech detector finds around it (:mod:`pipeline.media.vad`), when there is one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.align.dtw import warp
from pipeline.align.gaps import Gap, cut_out, extend_ends, held_runs, snap_to_pauses, unscripted_gaps
from pipeline.align.refine import fit_to_pauses, trim_islands, without_overlaps
from pipeline.align.skips import MIN_RELIEF, confirmed, line_costs, relief, search_fits, skipped_lines
from pipeline.align.voicing import Levels, band_levels
from pipeline.core.errors import PipelineError
from pipeline.media.mfcc import HOP, RATE, mfcc
from pipeline.media.tts import synthesize
from pipeline.media.vad import STEP_MS, Speech, spans_of, speech_flags

MIN_SPEECH_MS = 1000
SYNTH_GAP_MS = 150  # silence between the synthetic lines: a pause in the audio has somewhere to go
EDGE_MS = 500  # audio kept before the first speech and after the last
LOW_RATIO = 0.3  # a line with audio under this share of its synthetic length: maybe not spoken (the margins tell)
DILATE = 5  # windows of audio kept around each stretch of speech
BLIP_MS = 150
BLIP_DISTANCE_MS = 500
KEEP_PAUSE_MS = 250  # pauses WebRTC VAD keeps this long stay pauses (make eval: 160 and 350 ms did worse)


class NoSpeechError(PipelineError):
    """The audio has no speech to align a script to."""


@dataclass(frozen=True)
class AlignedLine:
    """A script line's time in the audio (ms), how sure the alignment is (0-1), and whether it was heard."""

    start_ms: int
    end_ms: int
    confidence: float
    spoken: bool


@dataclass(frozen=True)
class Alignment:
    """The lines' times, and the stretches of speech that no line covers."""

    lines: tuple[AlignedLine, ...]
    gaps: tuple[Gap, ...]
    unsearched: tuple[int, int] | None = None  # (speech, synthetic) ms when unsaid lines were not looked for


def _synthetic(texts: Sequence[str], lang: str) -> tuple[npt.NDArray[np.float32], list[tuple[int, int]]]:
    """The lines spoken one after another, and each line's (first, last + 1) frame in it."""
    gap = np.zeros(SYNTH_GAP_MS * RATE // 1000, dtype=np.float32)
    parts, frames, at = [gap], [], gap.size
    for voice in synthesize(texts, lang):
        frames.append((at // HOP, (at + voice.size) // HOP))
        parts += [voice, gap]
        at += voice.size + gap.size
    return np.concatenate(parts), frames


def _map(path: npt.NDArray[np.int64], frames: list[tuple[int, int]]) -> list[tuple[int, int, float]]:
    """Each synthetic line's (first, last + 1) real frame through the warping path, and how many
    frames of the audio's speech it took for each of its own (under ``LOW_RATIO``: not said)."""
    out = []
    for first, last in frames:
        inside = path[(path[:, 1] >= first) & (path[:, 1] < max(last, first + 1))]
        if inside.size == 0:
            at = int(path[np.searchsorted(path[:, 1], first).clip(0, len(path) - 1), 0])
            out.append((at, at, 0.0))
        else:
            taken = np.unique(inside[:, 0]).size / max(last - first, 1)
            out.append((int(inside[0, 0]), int(inside[-1, 0]) + 1, float(taken)))
    return out


def _with_deltas(coeffs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """The coefficients and their slope over 2 frames on each side (make eval: French p95 2055 -> 1587 ms)."""
    pad = np.concatenate((coeffs[:1], coeffs[:1], coeffs, coeffs[-1:], coeffs[-1:]))
    delta = (2 * (pad[4:] - pad[:-4]) + (pad[3:-1] - pad[1:-3])) / 10
    out: npt.NDArray[np.float32] = np.concatenate((coeffs, delta), axis=1).astype(np.float32)
    return out


def _normalised(coeffs: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Each coefficient to mean 0 and variance 1 (over the speech: a recording's channel and a synthetic
    voice's differ)."""
    out: npt.NDArray[np.float32] = ((coeffs - coeffs.mean(axis=0)) / (coeffs.std(axis=0) + 1e-6)).astype(np.float32)
    return out


def _without_blips(speech: Speech) -> npt.NDArray[np.bool_]:
    """The speech flags less the short stretches (a click, a cough) at least ``BLIP_DISTANCE_MS`` from
    any longer stretch of speech: the warping must start and end on the script's first and last words."""
    flags = speech.flags.copy()
    long = [(a, b) for a, b in speech.spans if b - a >= BLIP_MS]
    for a, b in speech.spans:
        near = min((max(c - b, a - d, 0) for c, d in long), default=BLIP_DISTANCE_MS)
        if b - a < BLIP_MS and near >= BLIP_DISTANCE_MS:
            flags[a // STEP_MS : b // STEP_MS] = False
    return flags


def _dilate(flags: npt.NDArray[np.bool_], by: int) -> npt.NDArray[np.bool_]:
    """``flags`` with every run of True widened by ``by`` windows on each side."""
    out = flags.copy()
    for k in range(1, by + 1):
        out[k:] |= flags[:-k]
        out[:-k] |= flags[k:]
    return out


def align_samples(samples: npt.NDArray[np.int16], texts: Sequence[str], lang: str) -> Alignment:
    """The time of each of ``texts`` in ``samples`` (16 kHz mono), spoken in ``lang``.

    Raises:
        NoSpeechError: when the audio has less than ``MIN_SPEECH_MS`` of speech.
        InputError: when eSpeak NG cannot speak ``lang``.
    """
    speech = speech_flags(samples, keep_pause_ms=KEEP_PAUSE_MS)
    heard = int(np.count_nonzero(speech.flags)) * STEP_MS
    if heard < MIN_SPEECH_MS or not texts:
        raise NoSpeechError(f"no speech found ({heard} ms in {speech.duration_ms} ms of audio): nothing to align")
    voice, frames = _synthetic(texts, lang)
    features = _features(samples, speech, voice, frames)
    fits = search_fits(features.heard, features.said)
    skipped = skipped_lines(features.heard, features.said, features.lines) if fits else []
    path, unsaid = _unsaid(features, frames, speech, _warp_path(features, ()), skipped, [])
    found = _map(path, frames)
    low = [k for k, (_, _, share) in enumerate(found) if share < LOW_RATIO and k not in unsaid]
    if low:  # squeezed by the warping: not said, or a neighbour took its audio (held to the same margins)
        path, unsaid = _unsaid(features, frames, speech, path, low, unsaid)
        found = _map(path, frames)
    runs = held_runs(path)
    mapped = cut_out([(a, b) for a, b, _ in found], runs)
    clean = _spans_of(_without_blips(speech))
    synthetic = [last - first for first, last in frames]
    taken = [0.0 if k in unsaid else t for k, (_, _, t) in enumerate(found)]
    done = _finish(mapped, taken, set(unsaid), synthetic, clean, (_levels(samples), band_levels(samples)), runs)
    sizes = (features.heard.shape[0] * HOP * 1000 // RATE, features.said.shape[0] * HOP * 1000 // RATE)
    return done if fits else Alignment(done.lines, done.gaps, sizes)


@dataclass(frozen=True)
class _Features:
    """Both sides' normalised features over their speech, the frames they came from, and each
    line's (first, last + 1) frame among the synthetic ones kept."""

    heard: npt.NDArray[np.float32]
    said: npt.NDArray[np.float32]
    real_keep: npt.NDArray[np.int64]
    syn_keep: npt.NDArray[np.int64]
    lines: list[tuple[int, int]]


def _features(
    samples: npt.NDArray[np.int16], speech: Speech, voice: npt.NDArray[np.float32], frames: list[tuple[int, int]]
) -> _Features:
    syn = mfcc(voice)
    power = np.array([np.mean(voice[i * HOP : (i + 1) * HOP] ** 2) for i in range(syn.shape[0])])
    real_keep = np.flatnonzero(_dilate(_without_blips(speech), DILATE))
    syn_keep = np.flatnonzero(power > 1e-6)
    real = mfcc(samples)
    real_keep = real_keep[real_keep < real.shape[0]]
    heard, said = _normalised(_with_deltas(real)[real_keep]), _normalised(_with_deltas(syn)[syn_keep])
    lines = [(int(np.searchsorted(syn_keep, a)), int(np.searchsorted(syn_keep, b))) for a, b in frames]
    return _Features(heard, said, real_keep, syn_keep, lines)


def _warp_path(features: _Features, skipped: Sequence[int]) -> npt.NDArray[np.int64]:
    """The warping path (audio frame, synthetic frame) over the speech of both, the ``skipped``
    lines left out (:mod:`pipeline.align.skips`)."""
    said = np.ones(features.syn_keep.size, dtype=bool)
    for k in skipped:
        said[features.lines[k][0] : features.lines[k][1]] = False
    path = warp(features.heard, features.said[said])
    # back to each side's own frames: the warped sequences hold their speech only
    out: npt.NDArray[np.int64] = np.stack((features.real_keep[path[:, 0]], features.syn_keep[said][path[:, 1]]), axis=1)
    return out


def _unsaid(
    features: _Features,
    frames: list[tuple[int, int]],
    speech: Speech,
    path: npt.NDArray[np.int64],
    candidates: Sequence[int],
    left_out: Sequence[int],
) -> tuple[npt.NDArray[np.int64], list[int]]:
    """The warping path and the lines it leaves out as not said: ``left_out`` (already out of ``path``)
    and those of ``candidates`` that keep the margins (:func:`pipeline.align.skips.confirmed` and
    :func:`pipeline.align.skips.relief`): a spoken line flagged tells the user to delete a real one."""
    if not candidates:
        return path, list(left_out)
    without = _warp_path(features, [*left_out, *candidates])
    spans = [[(a, b) for a, b, _ in _map(p, frames)] for p in (path, without)]
    sure = [
        k
        for k in confirmed(candidates, spans[0], spans[1], speech, left_out)
        if _relief(features, path, left_out, k) >= MIN_RELIEF
    ]
    if not sure:
        return path, list(left_out)
    unsaid = sorted([*left_out, *sure])
    return (without if sure == list(candidates) else _warp_path(features, unsaid)), unsaid


def _relief(features: _Features, path: npt.NDArray[np.int64], left_out: Sequence[int], k: int) -> float:
    """:func:`pipeline.align.skips.relief` of line ``k``: the warping ``path`` (``left_out`` left out)
    against the one without line ``k`` too."""

    def costs(p: npt.NDArray[np.int64]) -> list[float]:
        at = np.stack((np.searchsorted(features.real_keep, p[:, 0]), np.searchsorted(features.syn_keep, p[:, 1])), 1)
        return line_costs(features.heard, features.said, at, features.lines)

    return relief(costs(path), costs(_warp_path(features, [*left_out, k])), k)


def _levels(samples: npt.NDArray[np.int16]) -> npt.NDArray[np.float32]:
    """The level of each 10 ms window, in dB."""
    count = samples.size // HOP
    frames = samples[: count * HOP].astype(np.float32).reshape(count, HOP)
    out: npt.NDArray[np.float32] = 10 * np.log10((frames**2).mean(axis=1) + 1.0)
    return out


def _spans_of(flags: npt.NDArray[np.bool_]) -> Speech:
    return Speech(flags, spans_of(flags))


def _finish(
    mapped: list[tuple[int, int]],
    taken: list[float],
    unsaid: set[int],
    synthetic: list[int],
    speech: Speech,
    levels: tuple[npt.NDArray[np.float32], Levels],
    runs: list[tuple[int, int]],
) -> Alignment:
    """Snap to pauses, leave out the sounds set apart at the lines' edges, judge each line, find the
    speech no line covers."""
    said = [k for k in range(len(taken)) if k not in unsaid]  # the rest keep their place
    snapped = fit_to_pauses(snap_to_pauses([mapped[k] for k in said], speech), speech, [synthetic[k] for k in said])
    trimmed = trim_islands(snapped, speech, [synthetic[k] for k in said])
    moved = without_overlaps(extend_ends(trimmed, levels[0], bands=levels[1]))
    spans = list(mapped)
    for k, span in zip(said, moved, strict=True):
        spans[k] = span
    lines = []
    for k, ((a, b), share) in enumerate(zip(spans, taken, strict=True)):
        confidence = round(min(1.0, share / (2 * LOW_RATIO)), 2)
        lines.append(AlignedLine(a * STEP_MS, b * STEP_MS, confidence, k not in unsaid))
    held = [Gap(a * STEP_MS, b * STEP_MS) for a, b in runs]
    bare = [
        g
        for g in unscripted_gaps(spans, speech)
        if not any(h.start_ms < g.end_ms and g.start_ms < h.end_ms for h in held)
    ]
    return Alignment(tuple(lines), tuple(sorted(held + bare, key=lambda g: g.start_ms)))
