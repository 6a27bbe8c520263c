"""The history of a cue in the studio's edit store: every change, oldest first, with who, when and what the
rules found on the cue once changed."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from pipeline.core.edits import CueState


@dataclass(frozen=True)
class HistoryRow:
    """One stored change of a cue."""

    seq: int
    user: str
    at: str
    label: str
    before: CueState | None
    after: CueState | None
    findings: tuple[str, ...] = ()


def _json_state(raw: str | None) -> CueState | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return CueState(int(data["start_ms"]), int(data["end_ms"]), str(data["text"]))


def history(db: sqlite3.Connection, video: str, lang: str, cid: str) -> list[HistoryRow]:
    """Every stored change of one cue, oldest first."""
    rows = db.execute(
        "SELECT seq, user, at, label, before, after, findings FROM edits WHERE video = ? AND lang = ? AND id = ?"
        " ORDER BY seq",
        (video, lang, cid),
    ).fetchall()
    return [
        HistoryRow(r[0], r[1], r[2], r[3], _json_state(r[4]), _json_state(r[5]), tuple(json.loads(r[6] or "[]")))
        for r in rows
    ]
