"""Reviewers' edits laid over a built track: stable cue ids, the edited cues, and the edits that no longer apply.

A built cue is named by its segment and its place among that segment's cues (``s01.0``, ``s01.1``), so
an edit keeps naming the same cue when the transcript gains or loses other segments. A stored edit
holds the cue's base (what the build made when it was first edited) and its current state; it applies
while the build still makes that base. When the source changed the cue itself (other text, other
times) or dropped it, the edit is *stale*: it is kept in the store, left out of the track and reported,
so a reviewer decides. A cue a reviewer inserted has no base and always applies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pipeline.core.cues import Cue, Track
from pipeline.core.edits import CueState, StoredCue


@dataclass(frozen=True)
class EditedTrack:
    """A track with its edits applied: cue ids and versions in time order, and the stale edits."""

    track: Track
    ids: tuple[str, ...]
    versions: tuple[int, ...]
    edited: frozenset[str]
    stale: tuple[tuple[str, str], ...]


def cue_ids(track: Track) -> list[str]:
    """The stable id of each cue of a built track: its segment id and its place among that segment's cues."""
    seen: dict[str, int] = {}
    ids = []
    for cue in track.cues:
        key = cue.segment_id or "c"
        ids.append(f"{key}.{seen.get(key, 0)}")
        seen[key] = seen.get(key, 0) + 1
    return ids


def base_states(track: Track) -> dict[str, CueState]:
    """Each built cue's state by its id."""
    return {cid: CueState.of(cue) for cid, cue in zip(cue_ids(track), track.cues, strict=True)}


def _stale_reason(cid: str, stored: StoredCue, base: Mapping[str, CueState]) -> str | None:
    if stored.base is None:
        return None
    now = base.get(cid)
    if now is None:
        return f"cue {cid}: the source no longer makes this cue; the edit is kept but not applied"
    if now != stored.base:
        return f"cue {cid}: the source changed this cue since it was edited; the edit is kept but not applied"
    return None


def track_digest(track: Track) -> str:
    """32 hex digits that name the cues of ``track`` (times and lines): what an approval was given for."""
    digest = hashlib.sha256(track.lang.encode())
    for cue in track.cues:
        digest.update(json.dumps([cue.start_ms, cue.end_ms, list(cue.lines)], ensure_ascii=False).encode())
    return digest.hexdigest()[:32]


def apply_overlay(track: Track, overlay: Sequence[StoredCue], floor: int = 0) -> EditedTrack:
    """``track`` with the edits of ``overlay`` applied (stale ones left out and named), cues in time order;
    a cue without an edit is at version ``floor``."""
    base = base_states(track)
    rows: dict[str, tuple[CueState, int, str]] = {}
    for cid, cue in zip(cue_ids(track), track.cues, strict=True):
        rows[cid] = (CueState.of(cue), floor, cue.segment_id)
    stale: list[tuple[str, str]] = []
    edited = set()
    for stored in overlay:
        reason = _stale_reason(stored.id, stored, base)
        if reason:
            stale.append((stored.id, reason))
            if stored.id in rows:  # the build's cue is shown, at the version a new edit of it must name
                rows[stored.id] = (rows[stored.id][0], max(stored.version, floor), rows[stored.id][2])
            continue
        edited.add(stored.id)
        if stored.state is None:
            rows.pop(stored.id, None)
            continue
        segment = rows[stored.id][2] if stored.id in rows else ""
        rows[stored.id] = (stored.state, stored.version, segment)
    order = sorted(rows.items(), key=lambda item: (item[1][0].start_ms, item[1][0].end_ms, item[0]))
    cues = tuple(Cue(s.start_ms, s.end_ms, tuple(s.text.split("\n")), seg) for _, (s, _, seg) in order)
    return EditedTrack(
        replace(track, cues=cues),
        tuple(cid for cid, _ in order),
        tuple(v for _, (_, v, _) in order),
        frozenset(edited),
        tuple(stale),
    )
