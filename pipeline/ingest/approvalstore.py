"""Approvals in the studio's store: who approved one language of a video, when, after which edit, and
for which cues (the digest of the track they saw).

An approval stands while the track is the one approved: a later edit, or a change of the source
that builds other cues (a transcript edited on disk, an export), reopens it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from pipeline.ingest.editstore import STORE_NAME, connect, edit_count, timestamp, write_transaction


@dataclass(frozen=True)
class Approval:
    """Who approved one language of a video, when, after how many edits, and the track's digest then."""

    by: str
    at: str
    edits: int
    edit_seq: int
    digest: str

    def as_json(self) -> dict[str, object]:
        """The approval as the manifest and the studio show it."""
        return {"by": self.by, "at": self.at, "edits": self.edits}


def approve(db: sqlite3.Connection, video: str, lang: str, user: str, digest: str) -> Approval:
    """Record that ``user`` approves the track whose cues have ``digest``, as it stands now."""
    with write_transaction(db):
        count, last = edit_count(db, video, lang)
        approval = Approval(user, timestamp(), count, last, digest)
        db.execute(
            "INSERT OR REPLACE INTO approvals VALUES (?,?,?,?,?,?,?)",
            (video, lang, user, approval.at, last, count, digest),
        )
    return approval


def approval(db: sqlite3.Connection, video: str, lang: str, digest: str) -> Approval | None:
    """The standing approval of the track whose cues have ``digest``: None when never approved, edited
    since, or approved for other cues."""
    row = db.execute(
        "SELECT user, at, edits, edit_seq, digest FROM approvals WHERE video = ? AND lang = ?", (video, lang)
    ).fetchone()
    if row is None or row[4] != digest or edit_count(db, video, lang)[1] > row[3]:
        return None
    return Approval(row[0], row[1], row[2], row[3], row[4])


def read_approval(output_dir: Path, video: str, lang: str, digest: str) -> Approval | None:
    """The standing approval of one track stored in ``output_dir`` (None without a store)."""
    path = output_dir / STORE_NAME
    if not path.is_file():
        return None
    with closing(connect(path)) as db:
        return approval(db, video, lang, digest)
