"""The studio's edit store: one SQLite file (WAL) in the job's output folder.

``cues`` holds the current state of every cue a reviewer touched (with its base and version),
``edits`` every change as a row (who, when, before, after, findings), ``floors`` the version of a
track's unedited cues, and ``approvals`` (:mod:`pipeline.ingest.approvals`) who approved a language
of a video, after which edit and for which cues. A batch of changes commits in one transaction or not at all; a change
based on an old version of a cue is refused with the cue as it now stands (:class:`EditConflictError`).
Built cues that were never edited are at version 0. ``subpipe run`` reads the same file
(:func:`read_overlay`), so a later batch keeps every fix.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.edits import CueState, StoredCue
from pipeline.core.errors import InputError, OutputError, PipelineError

STORE_NAME = "studio.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cues (
    video TEXT NOT NULL, lang TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    start_ms INTEGER, end_ms INTEGER, text TEXT,
    base_start INTEGER, base_end INTEGER, base_text TEXT,
    PRIMARY KEY (video, lang, id));
CREATE TABLE IF NOT EXISTS edits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, video TEXT NOT NULL, lang TEXT NOT NULL, id TEXT NOT NULL,
    user TEXT NOT NULL, at TEXT NOT NULL, label TEXT NOT NULL, before TEXT, after TEXT, findings TEXT);
CREATE INDEX IF NOT EXISTS edits_cue ON edits (video, lang, id);
CREATE TABLE IF NOT EXISTS approvals (
    video TEXT NOT NULL, lang TEXT NOT NULL, user TEXT NOT NULL, at TEXT NOT NULL,
    edit_seq INTEGER NOT NULL, edits INTEGER NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (video, lang));
CREATE TABLE IF NOT EXISTS floors (
    video TEXT NOT NULL, lang TEXT NOT NULL, floor INTEGER NOT NULL, PRIMARY KEY (video, lang));
CREATE TABLE IF NOT EXISTS builds (
    video TEXT NOT NULL, lang TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (video, lang));
"""


class EditConflictError(PipelineError):
    """Changes based on old versions: each conflicting cue id with its current state (None: deleted)."""

    def __init__(self, conflicts: Sequence[tuple[str, StoredCue | None]]) -> None:
        self.conflicts = list(conflicts)
        names = ", ".join(cid for cid, _ in self.conflicts)
        super().__init__(f"someone else changed cue(s) {names} since you loaded them")


class UnknownCueError(InputError):
    """A change names a cue the track does not have."""


@dataclass(frozen=True)
class Change:
    """One change of a batch: ``op`` is update, insert or delete; ``state`` None for a delete."""

    op: str
    id: str
    version: int
    state: CueState | None


def timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _state(start: int | None, end: int | None, text: str | None) -> CueState | None:
    return None if start is None or end is None or text is None else CueState(start, end, text)


def _dump(state: CueState | None) -> str | None:
    return None if state is None else json.dumps(state.as_json(), ensure_ascii=False)


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating) the store at ``path``: WAL, full sync, foreign writers waited for up to 5 s.

    Raises:
        InputError: when the file is not an SQLite database or cannot be opened.
    """
    try:
        db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
    except sqlite3.Error as exc:
        raise InputError(path, f"cannot open the studio's edit store: {exc}") from exc
    return db


class StoreWriteError(OutputError):
    """The store refused a write: ``full`` when the disk (or the store's size limit) is full. Nothing was stored."""

    def __init__(self, path: str, problem: str, full: bool) -> None:
        self.full = full
        super().__init__(path, problem)


def _store_error(db: sqlite3.Connection, exc: sqlite3.Error) -> StoreWriteError:
    try:
        path = str(db.execute("PRAGMA database_list").fetchone()[2])
    except sqlite3.Error:
        path = STORE_NAME
    full = getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "full" in str(exc)
    if full:
        return StoreWriteError(path, "the disk is full: nothing was saved (the store is as it was)", True)
    return StoreWriteError(path, f"cannot write the studio's edit store ({exc}): nothing was saved", False)


@contextmanager
def write_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE): committed whole or rolled back.

    Raises:
        StoreWriteError: when SQLite cannot write (a full disk, a store locked for more than 5 s).
    """
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise _store_error(db, exc) from exc
    try:
        yield db
        db.execute("COMMIT")
    except BaseException as exc:
        with suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise _store_error(db, exc) from exc
        raise


def overlay(db: sqlite3.Connection, video: str, lang: str) -> list[StoredCue]:
    """Every edited cue of one track."""
    rows = db.execute(
        "SELECT id, version, start_ms, end_ms, text, base_start, base_end, base_text FROM cues"
        " WHERE video = ? AND lang = ?",
        (video, lang),
    ).fetchall()
    return [StoredCue(r[0], r[1], _state(r[2], r[3], r[4]), _state(r[5], r[6], r[7])) for r in rows]


def read_overlay(output_dir: Path, video: str, lang: str) -> list[StoredCue]:
    """The edits of one track stored in ``output_dir`` (none when the studio never ran there)."""
    path = output_dir / STORE_NAME
    if not path.is_file():
        return []
    with closing(connect(path)) as db:
        return overlay(db, video, lang)


def floor(db: sqlite3.Connection, video: str, lang: str) -> int:
    """The version of every cue of a track that has no stored edit: 0, raised past every version a cue
    of the track had whenever the store drops edits (an export), so an old version never matches again."""
    row = db.execute("SELECT floor FROM floors WHERE video = ? AND lang = ?", (video, lang)).fetchone()
    return int(row[0]) if row else 0


def note_build(db: sqlite3.Connection, video: str, lang: str, digest: str) -> None:
    """Record the digest of a track's build; when it differs from the last one (the source changed on disk),
    raise the track's floor past every version it had, so a page that loaded the old cues gets 409."""
    row = db.execute("SELECT digest FROM builds WHERE video = ? AND lang = ?", (video, lang)).fetchone()
    if row is not None and row[0] == digest:
        return
    with write_transaction(db):
        if row is not None:
            highest = db.execute("SELECT MAX(version) FROM cues WHERE video = ? AND lang = ?", (video, lang))
            raised = max(floor(db, video, lang), highest.fetchone()[0] or 0) + 1
            db.execute("INSERT OR REPLACE INTO floors VALUES (?,?,?)", (video, lang, raised))
        db.execute("INSERT OR REPLACE INTO builds VALUES (?,?,?)", (video, lang, digest))


def _check_version(
    change: Change, stored: StoredCue | None, base: Mapping[str, CueState], lowest: int
) -> tuple[StoredCue | None, bool]:
    """The cue a change applies to (None for an insert) and whether its version is stale."""
    if change.op == "insert":
        return None, False
    if stored is not None:  # a stale edit shows the build's cue, at the floor when that is higher
        shown = max(stored.version, lowest) if stored.base != base.get(change.id, stored.base) else stored.version
        return stored, shown != change.version
    if change.id not in base:
        raise UnknownCueError(None, f"cue {change.id!r}: no such cue in this track")
    return StoredCue(change.id, lowest, base[change.id], base[change.id]), change.version != lowest


def _new_id(db: sqlite3.Connection, video: str, lang: str) -> str:
    count = db.execute(
        "SELECT COUNT(DISTINCT id) FROM edits WHERE video = ? AND lang = ? AND id LIKE 'new%'", (video, lang)
    ).fetchone()[0]
    return f"new{count + 1}"


def save(
    db: sqlite3.Connection,
    video: str,
    lang: str,
    changes: Sequence[Change],
    base: Mapping[str, CueState],
    user: str,
    label: str,
    findings: Sequence[Sequence[str]] = (),
) -> list[str]:
    """Commit ``changes`` to one track as one transaction; returns the ids changed, inserted ones included.

    ``findings``: per change, what the rules found on its cue once changed (a reviewer may overrule a
    warning: the edit is stored with it).

    Raises:
        EditConflictError: when a change is based on an old version (nothing is stored).
        UnknownCueError: when a change names a cue the track does not have.
    """
    at = timestamp()
    with write_transaction(db):
        current = {c.id: c for c in overlay(db, video, lang)}
        lowest = floor(db, video, lang)
        checked = [(change, *_check_version(change, current.get(change.id), base, lowest)) for change in changes]
        conflicts = [(c.id, s if s is not None and s.state is not None else None) for c, s, old in checked if old]
        if conflicts:
            raise EditConflictError(conflicts)
        done = []
        for n, (change, stored, _) in enumerate(checked):
            cid = _new_id(db, video, lang) if change.op == "insert" else change.id
            before = stored.state if stored else None
            origin = stored.base if stored else None
            if stored is not None and origin is not None and cid in base and origin != base[cid]:
                before = origin = base[cid]  # a stale edit (the source changed the cue): edit the build's cue
            version = (stored.version if stored else lowest) + 1
            db.execute(
                "INSERT OR REPLACE INTO cues VALUES (?,?,?,?,?,?,?,?,?,?)",
                (video, lang, cid, version, *_fields(change.state), *_fields(origin)),
            )
            db.execute(
                "INSERT INTO edits (video, lang, id, user, at, label, before, after, findings)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (video, lang, cid, user, at, label, _dump(before), _dump(change.state), _notes(findings, n)),
            )
            done.append(cid)
    return done


def _notes(findings: Sequence[Sequence[str]], n: int) -> str | None:
    return json.dumps(list(findings[n]), ensure_ascii=False) if n < len(findings) and findings[n] else None


def _fields(state: CueState | None) -> tuple[int | None, int | None, str | None]:
    return (None, None, None) if state is None else (state.start_ms, state.end_ms, state.text)


def edit_count(db: sqlite3.Connection, video: str, lang: str) -> tuple[int, int]:
    """How many changes one track has had, and the seq of its last one (0 without any)."""
    count, last = db.execute(
        "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM edits WHERE video = ? AND lang = ?", (video, lang)
    ).fetchone()
    return int(count), int(last)


def replace_overlays(db: sqlite3.Connection, video: str, rows: Mapping[str, Sequence[StoredCue]]) -> None:
    """Replace the edited cues of each track of ``video`` (by language) by ``rows``, in one transaction, after
    an export changed the source under them. Each track's floor is raised past every version it had,
    and the new rows take it, so no page's old version matches again; the edit history is kept."""
    with write_transaction(db):
        for lang, found in rows.items():
            highest = db.execute("SELECT MAX(version) FROM cues WHERE video = ? AND lang = ?", (video, lang))
            raised = max(floor(db, video, lang), highest.fetchone()[0] or 0) + 1
            db.execute("INSERT OR REPLACE INTO floors VALUES (?,?,?)", (video, lang, raised))
            db.execute("DELETE FROM cues WHERE video = ? AND lang = ?", (video, lang))
            for row in found:
                db.execute(
                    "INSERT INTO cues VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (video, lang, row.id, raised, *_fields(row.state), *_fields(row.base)),
                )
