"""A script aligned to a video's audio: the transcript JSON with times, and what the alignment found.

Findings: ``unspoken_line`` (a line that the audio does not say: low confidence, a short span in the
pause where it would be, its neighbours keep their own speech) and ``unscripted_speech`` (speech
that no line covers).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.align.aligner import AlignedLine, Alignment, align_samples
from pipeline.align.dtw import COARSE, FRAME_MS
from pipeline.align.skips import MAX_CELLS
from pipeline.core.errors import InputError
from pipeline.core.findings import Finding
from pipeline.core.timecode import format_clock
from pipeline.ingest.script import Script
from pipeline.media.vad import decode_audio

UNSPOKEN_SPAN_MS = 200
MIN_UNSPOKEN_MS = 100


def _placed(lines: Sequence[AlignedLine]) -> list[tuple[int, int]]:
    """Each line's (start, end), none overlapping another: a run of unspoken lines shares the pause
    before the next spoken line, ``UNSPOKEN_SPAN_MS`` each at most, as late as their own times
    allow; with less than ``MIN_UNSPOKEN_MS`` each there, the line before gives up to half of
    itself, so that the transcript stays in time order."""
    out: list[tuple[int, int]] = []
    k = 0
    while k < len(lines):
        if lines[k].spoken:
            out.append((lines[k].start_ms, lines[k].end_ms))
            k += 1
            continue
        run = next((n for n in range(k, len(lines)) if lines[n].spoken), len(lines)) - k
        after = out[-1][1] if out else 0
        before = lines[k + run].start_ms if k + run < len(lines) else after + run * UNSPOKEN_SPAN_MS
        if before - after < run * MIN_UNSPOKEN_MS and out:
            first, last = out[-1]
            after = max(first + (last - first) // 2, before - run * UNSPOKEN_SPAN_MS, first + 1)
            out[-1] = (first, after)
        width = max(1, min(UNSPOKEN_SPAN_MS, (before - after) // run))
        start = max(after, min(lines[k].start_ms, before - run * width))
        out += [(start + n * width, start + (n + 1) * width) for n in range(run)]
        k += run
    return out


def _findings(alignment: Alignment, script: Script) -> list[Finding]:
    found = []
    placed = _placed(alignment.lines)
    for n, (line, text, (at, _)) in enumerate(zip(alignment.lines, script.lines, placed, strict=True), start=1):
        if not line.spoken:
            shown = text if len(text) <= 60 else text[:57] + "..."
            found.append(
                Finding(
                    "unspoken_line",
                    "warning",
                    n,
                    at,
                    f"line {n} ({shown!r}) is not heard in the audio (confidence {line.confidence:.2f})",
                    "check the script against the video; delete the line or time it by hand",
                )
            )
    if alignment.unsearched:
        speech, said = (f"{ms / 60_000:.1f}" for ms in alignment.unsearched)
        side = (MAX_CELLS**0.5) * COARSE * FRAME_MS / 60_000
        found.append(
            Finding(
                "unspoken_search_not_run",
                "info",
                None,
                0,
                f"script lines the audio does not say were not looked for: {speech} min of speech against "
                f"{said} min of the script spoken is over the search's {side:.1f} against {side:.1f} min",
                "align the video in parts (split it and the script) to have them looked for",
            )
        )
    for gap in alignment.gaps:
        found.append(
            Finding(
                "unscripted_speech",
                "warning",
                None,
                gap.start_ms,
                f"{(gap.end_ms - gap.start_ms) / 1000:.1f} s of speech that no script line covers "
                f"({format_clock(gap.start_ms)}-{format_clock(gap.end_ms)})",
                "add the missing line to the script",
            )
        )
    return found


def aligned_document(script: Script, alignment: Alignment, lang: str) -> dict[str, Any]:
    """The script's document with each segment's ``start_ms``/``end_ms`` (and ``align_confidence``)."""
    doc = copy.deepcopy(script.doc)
    doc.setdefault("source_language", lang)
    for seg, (start, end), line in zip(doc["segments"], _placed(alignment.lines), alignment.lines, strict=True):
        for key in ("start", "end"):
            seg.pop(key, None)
        seg["start_ms"], seg["end_ms"] = start, end
        seg["align_confidence"] = line.confidence
    return doc


def align_media(script: Script, media: Path, lang: str) -> tuple[dict[str, Any], list[Finding]]:
    """Align ``script`` (its lines in ``lang``) to the audio of ``media``: the timed document and findings.

    Raises:
        InputError / FfmpegError: when the media cannot be read.
        NoSpeechError: when its audio has no speech.
        InputError: when eSpeak NG has no voice for ``lang``, or the speech and the script are
            too long to warp at once.
    """
    try:
        alignment = align_samples(decode_audio(media), script.lines, lang)
    except InputError as exc:
        if exc.path is None:  # too long to warp (pipeline.align.dtw.too_long): the media is the file
            raise InputError(media, exc.problem) from None
        raise
    return aligned_document(script, alignment, lang), _findings(alignment, script)
