"""A built track with the studio's stored edits applied, and its findings from the same rules as ``subpipe check``.

``subpipe run`` calls :func:`apply_stored_edits` right after building each track, so a later batch run
keeps every fix made in the studio; the studio itself shows tracks through :func:`edited_track`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from pipeline.batch.steps import LangTrack
from pipeline.core.cues import Track
from pipeline.core.edits import StoredCue
from pipeline.core.findings import Finding
from pipeline.core.profiles import Profile
from pipeline.ingest.editstore import read_overlay
from pipeline.media.probe import MediaInfo
from pipeline.qc.rules import RuleContext, check_rules
from pipeline.tracks.overlay import EditedTrack, apply_overlay


def track_findings(track: Track, profile: Profile, media: MediaInfo | None, shots: Sequence[int]) -> list[Finding]:
    """The rule findings of ``track`` against the video's frame rate, length and shot changes."""
    ctx = RuleContext(
        profile,
        media.fps if media and media.fps else None,
        media.duration_ms if media else None,
        tuple(shots),
    )
    return check_rules(track, ctx)


def edited_track(
    item: LangTrack, stored: Sequence[StoredCue], media: MediaInfo | None, shots: Sequence[int], floor: int = 0
) -> tuple[LangTrack, EditedTrack]:
    """``item`` with ``stored`` edits applied (unedited cues at version ``floor``); an edited track's
    findings are the rules' on its cues."""
    edited = apply_overlay(item.track, stored, floor)
    if not edited.edited:
        return item, edited
    findings = tuple(track_findings(edited.track, item.profile, media, shots))
    return replace(item, track=edited.track, findings=findings), edited


def apply_stored_edits(
    output_dir: Path,
    video: str,
    item: LangTrack,
    media: MediaInfo | None,
    shots: Sequence[int],
    notes: dict[str, list[str]],
) -> LangTrack:
    """``item`` with the studio's edits stored in ``output_dir``; stale edits are named in ``notes``.

    Raises:
        InputError: when the store cannot be read.
    """
    stored = read_overlay(output_dir, video, item.profile.tag)
    if not stored:
        return item
    made, edited = edited_track(item, stored, media, shots)
    tag = item.profile.tag
    if edited.edited:
        names = ", ".join(sorted(edited.edited))
        notes.setdefault(f"{tag}/studio", []).append(f"{len(edited.edited)} cue(s) as edited in the studio: {names}")
    for _cid, reason in edited.stale:
        notes.setdefault(f"{tag}/studio", []).append(reason)
    return made
