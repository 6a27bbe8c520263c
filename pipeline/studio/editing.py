"""Edits as the studio receives them: parsed and checked field by field, linted, saved, shown as JSON.

A request's changes are checked before the store is touched (an invalid one is refused with the
field it concerns), then committed together (:func:`pipeline.ingest.editstore.save`). Findings come
from the same rules as ``subpipe check``: the track rules, then the audio rules when the video has speech.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from pipeline.batch.edited import track_findings
from pipeline.batch.steps import LangTrack
from pipeline.core.cues import Cue
from pipeline.core.edits import CueState, state_problem
from pipeline.core.errors import InputError
from pipeline.core.findings import Finding
from pipeline.ingest.editstore import Change
from pipeline.qc.audiocheck import audio_findings
from pipeline.qc.rules import sort_findings
from pipeline.studio.state import VideoState
from pipeline.tracks.overlay import EditedTrack

OPS = ("update", "insert", "delete")
LABELS = ("text", "time", "split", "merge", "insert", "delete", "undo", "redo", "restore", "edit")
MAX_CHANGES = 200


class FieldError(InputError):
    """A request field that is missing or wrong: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(None, f"{field}: {message}")


def _int(raw: Mapping[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"{where}.{key}", f"must be an integer, got {json.dumps(value, ensure_ascii=False)[:60]}")
    if abs(value) > 10**12:
        raise FieldError(f"{where}.{key}", "is out of range")
    return value


def _text(raw: Mapping[str, Any], where: str) -> str:
    value = raw.get("text")
    if not isinstance(value, str):
        raise FieldError(f"{where}.text", "must be a string")
    return value.replace("\r\n", "\n")


def parse_changes(body: Any, duration_ms: int | None) -> list[Change]:
    """The changes of a request body ``{"changes": [...]}``, each checked.

    Raises:
        FieldError: naming the first field that is missing, of the wrong type or out of range.
    """
    raw = body.get("changes") if isinstance(body, dict) else None
    if not isinstance(raw, list) or not raw:
        raise FieldError("changes", "must be a non-empty list")
    if len(raw) > MAX_CHANGES:
        raise FieldError("changes", f"at most {MAX_CHANGES} changes in one request")
    changes = [_change(item, f"changes[{n}]", duration_ms) for n, item in enumerate(raw)]
    seen: set[str] = set()
    for n, change in enumerate(changes):
        if change.op != "insert" and change.id in seen:
            raise FieldError(f"changes[{n}].id", f"names cue {change.id} a second time (one change per cue)")
        seen.add(change.id)
    return changes


def _change(item: Any, where: str, duration_ms: int | None) -> Change:
    if not isinstance(item, dict):
        raise FieldError(where, "must be an object")
    op = item.get("op")
    if op not in OPS:
        raise FieldError(f"{where}.op", f"must be one of {', '.join(OPS)}")
    cid = item.get("id", "")
    if op != "insert" and (not isinstance(cid, str) or not cid or len(cid) > 64):
        raise FieldError(f"{where}.id", "must be a cue id")
    version = _int(item, "version", where) if op != "insert" else 0
    if op == "delete":
        return Change(op, cid, version, None)
    state = CueState(_int(item, "start_ms", where), _int(item, "end_ms", where), _text(item, where))
    problem = state_problem(state, duration_ms)
    if problem:
        raise FieldError(f"{where}.{problem[0]}", problem[1])
    return Change(op, cid if op == "update" else "", version, state)


def parse_label(body: Any) -> str:
    """The request's label (what kind of edit it is; ``edit`` when none is given)."""
    label = body.get("label", "edit") if isinstance(body, dict) else "edit"
    if label not in LABELS:
        raise FieldError("label", f"must be one of {', '.join(LABELS)}")
    return str(label)


def findings_of(state: VideoState, item: LangTrack) -> list[Finding]:
    """The rule and audio findings of ``item``'s track (the build's own findings until a cue is edited)."""
    found = track_findings(item.track, item.profile, state.media, state.shots)
    if state.speech is not None and state.media is not None and state.media.fps:
        found += audio_findings(item.track, state.speech, state.media.fps)
    return sort_findings(found)


def with_changes(item: LangTrack, edited: EditedTrack, changes: Sequence[Change]) -> tuple[LangTrack, list[str]]:
    """``item`` as it would be with ``changes`` (nothing stored), and the cue ids in time order."""
    cues = dict(zip(edited.ids, edited.track.cues, strict=True))
    for n, change in enumerate(changes):
        if change.state is None:
            cues.pop(change.id, None)
        else:
            old = cues.get(change.id)
            segment = old.segment_id if old else ""
            cues[change.id or f"draft{n}"] = Cue(
                change.state.start_ms, change.state.end_ms, tuple(change.state.text.split("\n")), segment
            )
    order = sorted(cues.items(), key=lambda kv: (kv[1].start_ms, kv[1].end_ms, kv[0]))
    track = replace(item.track, cues=tuple(c for _, c in order))
    return replace(item, track=track), [cid for cid, _ in order]


def findings_json(found: Sequence[Finding], ids: Sequence[str]) -> list[dict[str, object]]:
    """Findings as the page shows them, each on the id of the cue it concerns."""
    return [
        {
            "rule": f.rule,
            "severity": f.severity,
            "cue_id": ids[f.cue - 1] if f.cue and 0 < f.cue <= len(ids) else None,
            "start_ms": f.start_ms,
            "message": f.message,
            "fix": f.fix,
        }
        for f in found
    ]


def cues_json(edited: EditedTrack) -> list[dict[str, object]]:
    """Every cue of a track with its id, version and whether it was edited."""
    return [
        {**CueState.of(cue).as_json(), "id": cid, "version": version, "edited": cid in edited.edited}
        for cid, cue, version in zip(edited.ids, edited.track.cues, edited.versions, strict=True)
    ]
