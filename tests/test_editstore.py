"""The studio's edits below the web app: stable cue ids and the overlay of stored edits on a built track
(pipeline.tracks.overlay), and the SQLite store (pipeline.ingest.editstore): versions, conflicts, history, approvals."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.core.cues import Cue, Track
from pipeline.core.edits import CueState, StoredCue, check_state, state_problem
from pipeline.core.errors import InputError
from pipeline.ingest import approvalstore, edithistory, editstore
from pipeline.ingest.editstore import Change, EditConflictError, UnknownCueError
from pipeline.tracks.overlay import apply_overlay, base_states, cue_ids

V, L = "clip", "en"


def built(*cues: tuple[int, int, str, str]) -> Track:
    """A built track of (start, end, text, segment) cues."""
    return Track("en", tuple(Cue(s, e, tuple(text.split("\n")), seg) for s, e, text, seg in cues))


TRACK = built(
    (1000, 2000, "One.", "s01"),
    (2100, 3000, "One more.", "s01"),
    (4000, 5000, "Two.", "s02"),
)
BASE = base_states(TRACK)


def upd(cid: str, version: int, text: str, start: int | None = None, end: int | None = None) -> Change:
    """An update of ``cid`` keeping its built times unless given."""
    old = BASE.get(cid, CueState(0, 1, ""))
    return Change("update", cid, version, CueState(start or old.start_ms, end or old.end_ms, text))


def ins(start: int, end: int, text: str) -> Change:
    return Change("insert", "", 0, CueState(start, end, text))


def dele(cid: str, version: int) -> Change:
    return Change("delete", cid, version, None)


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with closing(editstore.connect(tmp_path / editstore.STORE_NAME)) as conn:
        yield conn


def rows(db: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every row of the cues and edits tables."""
    return db.execute("SELECT * FROM cues ORDER BY id").fetchall(), db.execute("SELECT * FROM edits").fetchall()


# --- overlay -------------------------------------------------------------------------------------------------------


def test_ids_name_segment_and_place_and_survive_other_segments() -> None:
    assert cue_ids(TRACK) == ["s01.0", "s01.1", "s02.0"]
    fewer = replace(TRACK, cues=TRACK.cues[2:])
    more = replace(TRACK, cues=(Cue(0, 500, ("Zero.",), "s00"), *TRACK.cues))
    assert cue_ids(fewer) == ["s02.0"]
    assert cue_ids(more) == ["s00.0", "s01.0", "s01.1", "s02.0"]
    assert cue_ids(built((0, 10, "a", ""), (20, 30, "b", ""))) == ["c.0", "c.1"]


def test_an_edit_applies_while_the_build_still_makes_its_base() -> None:
    stored = [StoredCue("s01.1", 3, CueState(2200, 3100, "Edited\nline"), BASE["s01.1"])]
    edited = apply_overlay(TRACK, stored)
    assert edited.ids == ("s01.0", "s01.1", "s02.0")
    assert edited.versions == (0, 3, 0)
    assert edited.edited == {"s01.1"} and edited.stale == ()
    cue = edited.track.cues[1]
    assert (cue.start_ms, cue.end_ms, cue.lines, cue.segment_id) == (2200, 3100, ("Edited", "line"), "s01")
    assert edited.track.cues[0] == TRACK.cues[0] and edited.track.cues[2] == TRACK.cues[2]


def test_an_edit_is_stale_when_the_source_changed_the_cue_or_dropped_it() -> None:
    changed = replace(TRACK, cues=(TRACK.cues[0], replace(TRACK.cues[1], lines=("New source.",)), TRACK.cues[2]))
    dropped = replace(TRACK, cues=TRACK.cues[:1] + TRACK.cues[2:])
    stored = [StoredCue("s01.1", 1, CueState(2100, 3000, "Mine."), BASE["s01.1"])]
    for track, word in ((changed, "changed"), (dropped, "no longer makes")):
        edited = apply_overlay(track, stored)
        assert [cid for cid, _ in edited.stale] == ["s01.1"]
        assert word in edited.stale[0][1]
        assert edited.edited == frozenset()
        assert "Mine." not in edited.track.texts()
        assert edited.track.cues == track.cues  # the build as it is, the edit kept out
    retimed = replace(TRACK, cues=(TRACK.cues[0], replace(TRACK.cues[1], end_ms=3050), TRACK.cues[2]))
    assert [cid for cid, _ in apply_overlay(retimed, stored).stale] == ["s01.1"]


def test_inserted_cues_always_apply_in_time_order_and_deleted_cues_vanish() -> None:
    stored = [
        StoredCue("new1", 1, CueState(3200, 3800, "Inserted."), None),
        StoredCue("s01.0", 2, None, BASE["s01.0"]),
    ]
    other_build = replace(TRACK, cues=(*TRACK.cues[1:], Cue(6000, 7000, ("Three.",), "s03")))
    for track in (TRACK, other_build):
        edited = apply_overlay(track, stored)
        assert "Inserted." in edited.track.texts() and "One." not in edited.track.texts()
        assert [c.start_ms for c in edited.track.cues] == sorted(c.start_ms for c in edited.track.cues)
        assert edited.versions[edited.ids.index("new1")] == 1
    edited = apply_overlay(TRACK, stored)
    assert edited.ids == ("s01.1", "new1", "s02.0")
    assert edited.edited == {"new1", "s01.0"} and edited.stale == ()
    gone = apply_overlay(TRACK, [StoredCue("new1", 2, None, None)])
    assert gone.ids == tuple(cue_ids(TRACK)) and gone.track.cues == TRACK.cues


@pytest.mark.parametrize(
    ("state", "field"),
    [
        (CueState(-1, 10, "a"), "start_ms"),
        (CueState(10, 10, "a"), "end_ms"),
        (CueState(10, 5, "a"), "end_ms"),
        (CueState(10, 15_001, "a"), "end_ms"),
        (CueState(10, 20, "x" * 1001), "text"),
        (CueState(10, 20, " \n "), "text"),
        (CueState(10, 20, "bell\u0007"), "text"),
        (CueState(10, 20, "tab\there"), "text"),
        (CueState(10, 20, "cr\ronly"), "text"),
    ],
)
def test_state_problem_names_the_field(state: CueState, field: str) -> None:
    problem = state_problem(state, 15_000)
    assert problem is not None and problem[0] == field
    with pytest.raises(InputError, match=f"cue.{field}"):
        check_state(state, 15_000, "cue")


def test_a_cue_of_two_lines_and_1000_characters_ending_at_the_video_end_is_fine() -> None:
    assert state_problem(CueState(0, 15_000, "é" * 500 + "\n" + "x" * 499), 15_000) is None
    assert state_problem(CueState(0, 10**9, "any length without a video"), None) is None


# --- store ---------------------------------------------------------------------------------------------------------


def test_the_store_is_wal_intact_and_a_second_connection_sees_committed_rows(db: sqlite3.Connection) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    editstore.save(db, V, L, [upd("s01.0", 0, "Edited.")], BASE, "ann", "text")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    path = Path(db.execute("PRAGMA database_list").fetchone()[2])
    with closing(sqlite3.connect(path)) as other:
        assert other.execute("SELECT id, version, text FROM cues").fetchall() == [("s01.0", 1, "Edited.")]
        assert other.execute("SELECT COUNT(*) FROM edits").fetchone()[0] == 1
    assert editstore.read_overlay(path.parent, V, L) == editstore.overlay(db, V, L)


def test_save_stores_versions_bases_and_returns_the_ids(db: sqlite3.Connection) -> None:
    done = editstore.save(db, V, L, [upd("s01.0", 0, "A."), ins(3200, 3800, "B."), dele("s02.0", 0)], BASE, "ann", "x")
    assert done == ["s01.0", "new1", "s02.0"]
    stored = {c.id: c for c in editstore.overlay(db, V, L)}
    assert stored["s01.0"] == StoredCue("s01.0", 1, CueState(1000, 2000, "A."), BASE["s01.0"])
    assert stored["new1"] == StoredCue("new1", 1, CueState(3200, 3800, "B."), None)
    assert stored["s02.0"] == StoredCue("s02.0", 1, None, BASE["s02.0"])
    again = editstore.save(db, V, L, [upd("s01.0", 1, "A again."), ins(100, 900, "C.")], BASE, "bob", "x")
    assert again == ["s01.0", "new2"]
    assert {c.id: c.version for c in editstore.overlay(db, V, L)} == {"s01.0": 2, "new1": 1, "new2": 1, "s02.0": 1}
    assert editstore.overlay(db, V, "fr") == [] and editstore.overlay(db, "other", L) == []


def test_a_batch_with_one_stale_version_stores_nothing(db: sqlite3.Connection) -> None:
    editstore.save(db, V, L, [upd("s01.0", 0, "First.")], BASE, "ann", "text")
    before = rows(db)
    batch = [upd("s01.1", 0, "Fine."), ins(3200, 3800, "New."), upd("s01.0", 0, "Late.")]
    with pytest.raises(EditConflictError) as caught:
        editstore.save(db, V, L, batch, BASE, "bob", "text")
    assert caught.value.conflicts == [("s01.0", StoredCue("s01.0", 1, CueState(1000, 2000, "First."), BASE["s01.0"]))]
    assert "s01.0" in str(caught.value)
    assert rows(db) == before
    assert not db.in_transaction  # rolled back, the connection usable
    editstore.save(db, V, L, [upd("s01.1", 0, "Fine.")], BASE, "bob", "text")


def test_a_built_cue_is_at_version_0_and_a_deleted_one_conflicts_as_none(db: sqlite3.Connection) -> None:
    with pytest.raises(EditConflictError) as caught:
        editstore.save(db, V, L, [upd("s02.0", 3, "Ahead.")], BASE, "ann", "text")
    assert caught.value.conflicts == [("s02.0", StoredCue("s02.0", 0, BASE["s02.0"], BASE["s02.0"]))]
    editstore.save(db, V, L, [dele("s02.0", 0)], BASE, "ann", "delete")
    with pytest.raises(EditConflictError) as caught:
        editstore.save(db, V, L, [upd("s02.0", 0, "Too late.")], BASE, "bob", "text")
    assert caught.value.conflicts == [("s02.0", None)]


def test_an_unknown_cue_is_refused_and_nothing_is_stored(db: sqlite3.Connection) -> None:
    for change in (upd("s09.0", 0, "Who?"), dele("s01.7", 0), upd("new1", 0, "Not inserted yet.")):
        with pytest.raises(UnknownCueError, match=change.id):
            editstore.save(db, V, L, [upd("s01.0", 0, "Fine."), change], BASE, "ann", "text")
        assert rows(db) == ([], [])


def test_history_rows_hold_before_after_label_and_user(db: sqlite3.Connection) -> None:
    editstore.save(db, V, L, [upd("s01.0", 0, "A.")], BASE, "ann", "text")
    editstore.save(db, V, L, [upd("s01.0", 1, "A.", 900, 2000)], BASE, "bob", "time")
    editstore.save(db, V, L, [dele("s01.0", 2)], BASE, "ann", "delete")
    editstore.save(db, V, L, [ins(3200, 3800, "New.")], BASE, "cy", "insert")
    hist = edithistory.history(db, V, L, "s01.0")
    assert [(h.user, h.label) for h in hist] == [("ann", "text"), ("bob", "time"), ("ann", "delete")]
    assert hist[0].before == BASE["s01.0"] and hist[0].after == CueState(1000, 2000, "A.")
    assert hist[1].before == CueState(1000, 2000, "A.") and hist[1].after == CueState(900, 2000, "A.")
    assert hist[2].before == CueState(900, 2000, "A.") and hist[2].after is None
    assert [h.seq for h in hist] == sorted(h.seq for h in hist) and all(h.at for h in hist)
    new = edithistory.history(db, V, L, "new1")
    assert [(h.user, h.label, h.before, h.after) for h in new] == [("cy", "insert", None, CueState(3200, 3800, "New."))]
    assert edithistory.history(db, V, L, "s02.0") == [] and edithistory.history(db, V, "fr", "s01.0") == []


def test_an_approval_stands_until_the_next_edit_of_its_track(db: sqlite3.Connection) -> None:
    assert approvalstore.approval(db, V, L, "d1") is None
    assert editstore.edit_count(db, V, L) == (0, 0)
    first = approvalstore.approve(db, V, L, "ann", "d1")
    assert (first.by, first.edits, first.edit_seq) == ("ann", 0, 0)
    assert first.as_json() == {"by": "ann", "at": first.at, "edits": 0}
    assert approvalstore.approval(db, V, L, "d1") == first
    editstore.save(db, V, L, [upd("s01.0", 0, "A."), upd("s01.1", 0, "B.")], BASE, "bob", "text")
    assert editstore.edit_count(db, V, L)[0] == 2
    assert approvalstore.approval(db, V, L, "d1") is None
    second = approvalstore.approve(db, V, L, "cy", "d2")
    assert (second.by, second.edits) == ("cy", 2) and approvalstore.approval(db, V, L, "d2") == second
    editstore.save(db, V, "fr", [upd("s01.0", 0, "Un.")], BASE, "bob", "text")  # another track's edit
    assert approvalstore.approval(db, V, L, "d2") == second
    assert approvalstore.approval(db, V, "fr", "d2") is None


def test_an_approval_is_for_the_cues_it_saw(db: sqlite3.Connection) -> None:
    """The source built other cues since (a transcript edited on disk): the approval no longer stands."""
    approvalstore.approve(db, V, L, "ann", "digest-of-what-ann-saw")
    assert approvalstore.approval(db, V, L, "digest-of-what-ann-saw") is not None
    assert approvalstore.approval(db, V, L, "digest-of-other-cues") is None


def test_an_approval_is_read_from_the_output_folder(tmp_path: Path) -> None:
    assert approvalstore.read_approval(tmp_path, V, L, "d") is None
    assert editstore.read_overlay(tmp_path, V, L) == []
    assert not (tmp_path / editstore.STORE_NAME).exists()  # reading never creates the store
    with closing(editstore.connect(tmp_path / editstore.STORE_NAME)) as db:
        made = approvalstore.approve(db, V, L, "ann", "d")
    assert approvalstore.read_approval(tmp_path, V, L, "d") == made



def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / editstore.STORE_NAME
    path.write_bytes(b"not a database at all, " * 100)
    with pytest.raises(InputError, match="edit store"):
        editstore.connect(path)


def test_a_cue_whose_edit_went_stale_can_be_edited_again_on_the_new_build(db: sqlite3.Connection) -> None:
    """The source changed s01.0 after it was edited: the edit is stale. A reviewer who edits the cue again
    (from the current build, with the cue's stored version) decides, and the new edit applies."""
    editstore.save(db, V, L, [upd("s01.0", 0, "Reviewer's text.")], BASE, "ann", "text")
    rebuilt = replace(TRACK, cues=(replace(TRACK.cues[0], lines=("Source fixed.",)), *TRACK.cues[1:]))
    new_base = base_states(rebuilt)
    assert [cid for cid, _ in apply_overlay(rebuilt, editstore.overlay(db, V, L)).stale] == ["s01.0"]
    version = editstore.overlay(db, V, L)[0].version
    change = Change("update", "s01.0", version, CueState(1000, 2000, "Source fixed, reviewed."))
    editstore.save(db, V, L, [change], new_base, "bob", "text")
    edited = apply_overlay(rebuilt, editstore.overlay(db, V, L))
    assert edited.stale == ()
    assert edited.track.cues[0].text == "Source fixed, reviewed."


def test_a_full_disk_refuses_the_save_clearly_and_leaves_the_store_intact(db: sqlite3.Connection) -> None:
    editstore.save(db, V, L, [upd("s01.0", 0, "Kept.")], BASE, "ann", "text")
    before = editstore.overlay(db, V, L), edithistory.history(db, V, L, "s01.0")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the store can grow no more: SQLite's "database or disk is full"
    big = "x" * 900
    with pytest.raises(editstore.StoreWriteError, match="the disk is full: nothing was saved") as caught:
        many = [Change("insert", "", 0, CueState(5000 + n, 5001 + n, big)) for n in range(100)]
        editstore.save(db, V, L, [upd("s01.0", 1, big), *many], BASE, "bob", "text")
    assert caught.value.full
    assert (editstore.overlay(db, V, L), edithistory.history(db, V, L, "s01.0")) == before
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("PRAGMA max_page_count = 1073741823")  # room again: the next save works
    editstore.save(db, V, L, [upd("s02.0", 0, big)], BASE, "bob", "text")
