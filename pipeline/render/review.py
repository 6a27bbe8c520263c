"""The review page's pictures: per language, the frame at every cue's midpoint and at shared moments.

One decoding pass per cut (frames picked by index, never by seeking). Without a burned cut the
frames come from the source with the language's subtitles drawn by libass, as a burn would.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipeline.core.cues import Track
from pipeline.core.findings import Finding
from pipeline.media.probe import MediaInfo
from pipeline.media.stills import extract_stills
from pipeline.qc.check import FileReport
from pipeline.render.outputs import write_text
from pipeline.render.review_html import LangReview, review_page

REVIEW_DIR = "review"


@dataclass(frozen=True)
class ReviewInput:
    """One language to review: its track and findings, and where its pictures come from.

    ``cut`` is the burned cut; without one, ``ass_text`` is drawn on the source with ``font_key``;
    with neither (its burn failed: ``failure`` says why) the language is shown without pictures.
    """

    lang: str
    track: Track
    findings: Sequence[Finding]
    cut: Path | None = None
    ass_text: str | None = None
    font_key: str = ""
    failure: str = ""


def frame_at(ms: int, fps: Fraction) -> int:
    """The index of the frame on screen at ``ms`` (frame k shows from k/fps until (k+1)/fps).

    >>> frame_at(1000, Fraction(25))
    25
    """
    return (ms * fps.numerator) // (1000 * fps.denominator)


def moments_of(track: Track) -> list[int]:
    """The shared moments of the page: the midpoint of each cue of ``track`` (the default language)."""
    return [(c.start_ms + c.end_ms) // 2 for c in track.cues]


def _last_frame(media: MediaInfo) -> int:
    return (media.frames or frame_at(media.duration_ms, media.fps)) - 1


def _review_one(root: Path, source: Path, media: MediaInfo, item: ReviewInput, moments: Sequence[int]) -> LangReview:
    fps, last = media.fps, _last_frame(media)
    cue_frames = {n: frame_at((c.start_ms + c.end_ms) // 2, fps) for n, c in enumerate(item.track.cues, start=1)}
    moment_frames = {ms: frame_at(ms, fps) for ms in moments}
    wanted = {f for f in (*cue_frames.values(), *moment_frames.values()) if 0 <= f <= last}
    folder = root / REVIEW_DIR / item.lang
    shutil.rmtree(folder, ignore_errors=True)  # stills of an earlier run
    stills = {}
    if item.cut is not None:
        stills = extract_stills(item.cut, wanted, folder)
    elif item.ass_text is not None:
        stills = extract_stills(source, wanted, folder, ass_text=item.ass_text, font_keys=[item.font_key])
    rel = {n: p.relative_to(root).as_posix() for n, p in stills.items()}
    report = FileReport(item.lang, item.lang, fps, item.track, tuple(item.findings))
    cut = f"{source.name} (subtitles drawn by libass)" if item.ass_text is not None else f"none: {item.failure}"
    if item.cut is not None:
        cut = item.cut.relative_to(root).as_posix()
    return LangReview(
        item.lang,
        cut,
        report,
        {n: rel[f] for n, f in cue_frames.items() if f in rel},
        {ms: rel[f] for ms, f in moment_frames.items() if f in rel},
    )


def write_review(root: Path, name: str, source: Path, media: MediaInfo, items: Sequence[ReviewInput]) -> Path:
    """Write ``root/review.html`` and its pictures (``root/review/<lang>/``); return the page's path.

    The moments shared across languages are the first language's cue midpoints.

    Raises:
        FfmpegError: when a frame cannot be extracted.
        OutputError: when the page cannot be written.
    """
    moments = moments_of(items[0].track) if items else []
    reviews = [_review_one(root, source, media, item, moments) for item in items]
    burned = all(item.cut is not None for item in items)
    origin = "the burned cuts" if burned else f"{source.name}, subtitles drawn by libass where no cut was burned"
    return write_text(root / "review.html", review_page(name, reviews, moments, origin))
