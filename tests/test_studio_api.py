"""The studio's HTTP contract (STUDIO_API.md) on the app as ``subpipe studio`` builds it: every route with good and
bad input, the access checks, the event stream on a real uvicorn server, and one real re-render after an edit.

The job is the first 15 s of the sample in English and French (cues s01.0, s02.0, s02.1). The render thread is not
started except in the one test that renders; an edit then only queues its video.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.ingest import editstore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import (
    VIDEO,
    Served,
    TestClient,
    build_app,
    cue,
    real_server,
    set_segment_text,
    signed_in,
    signed_in_to,
    update,
    write_job,
)

T = f"/api/videos/{VIDEO}/tracks"
EDITS = f"{T}/en/edits"
IDS = ["s01.0", "s02.0", "s02.1"]
CONTRACT_CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
    "frame-ancestors 'none'"
)


@pytest.fixture()
def srv(tmp_path: Path, clip15: Path) -> Iterator[Served]:
    with signed_in_to(write_job(tmp_path, clip15)) as served:
        yield served


def stored(srv: Served) -> tuple[list[Any], ...]:
    """Every row of the store (cues, edits, approvals): what a refused request must leave as it was."""
    db = srv.studio.db
    return tuple(db.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall() for t in ("cues", "edits", "approvals"))


def csp_directives(header: str) -> dict[str, str]:
    return {d.strip().split(" ", 1)[0]: d.strip() for d in header.split(";") if d.strip()}


# --- reading --------------------------------------------------------------------------------------------------------


def test_session_gives_the_user_role_and_csrf(srv: Served) -> None:
    data = srv.client.get("/api/session").json()
    assert data == {
        "user": data["user"],
        "role": "approver",
        "languages": ["*"],
        "csrf": srv.access.csrf,
        "sign_in": False,
    }
    assert isinstance(data["user"], str) and data["user"]


def test_overview_lists_each_language_with_verdict_edits_approval_and_render(srv: Served) -> None:
    data = srv.client.get("/api/overview").json()
    assert data["job"].endswith("job.toml")
    (video,) = data["videos"]
    assert video["name"] == VIDEO and abs(video["duration_ms"] - 15_000) < 200
    assert [lang["lang"] for lang in video["languages"]] == ["en", "fr"]
    for lang in video["languages"]:
        assert lang["verdict"] in ("pass", "warn", "fail")
        assert isinstance(lang["errors"], int) and isinstance(lang["warnings"], int)
        assert (lang["edits"], lang["approved"]) == (0, None)
        assert lang["render"]["state"] == "idle" and isinstance(lang["render"]["seq"], int)
    fr = video["languages"][1]
    assert fr["verdict"] == "warn" and fr["warnings"] >= 1  # French reads faster than 17 cps here


def test_video_gives_its_facts(srv: Served) -> None:
    data = srv.client.get(f"/api/videos/{VIDEO}").json()
    assert data["name"] == VIDEO and data["fps"] == [30000, 1001]
    assert (data["width"], data["height"]) == (1280, 720)
    assert data["languages"] == ["en", "fr"] and data["default_language"] == "en"
    assert all(isinstance(t, int) and 0 <= t <= data["duration_ms"] for t in data["shots_ms"])
    assert data["speech"] and all(0 <= s < e <= data["duration_ms"] + 100 for s, e in data["speech"])
    assert data["source_url"] == f"/media/{VIDEO}/source" and data["peaks_url"] == f"/api/videos/{VIDEO}/peaks"
    missing = srv.client.get("/api/videos/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_peaks_are_one_per_10_ms_between_0_and_1(srv: Served) -> None:
    data = srv.client.get(f"/api/videos/{VIDEO}/peaks").json()
    assert data["per_second"] == 100
    assert abs(len(data["peaks"]) - data["duration_ms"] / 10) <= 10
    assert all(0.0 <= p <= 1.0 for p in data["peaks"]) and max(data["peaks"]) > 0.1
    assert srv.client.get("/api/videos/nope/peaks").status_code == 404


def test_track_gives_cues_with_ids_versions_findings_and_urls(srv: Served) -> None:
    en, fr = srv.track("en"), srv.track("fr")
    for data, lang in ((en, "en"), (fr, "fr")):
        assert (data["lang"], data["video"]) == (lang, VIDEO)
        assert [c["id"] for c in data["cues"]] == IDS
        assert all(c["version"] == 0 and c["edited"] is False for c in data["cues"])
        assert all(c["start_ms"] < c["end_ms"] and c["text"] for c in data["cues"])
        assert data["approved"] is None and data["stale"] == [] and data["cut_url"] is None
        assert data["ass_url"] == f"{T}/{lang}/ass"
    assert cue(en, "s01.0")["text"] == "The world continues\nto change by the minute."
    assert en["profile"] == {
        "max_chars": 42,
        "max_lines": 2,
        "max_cps": en["profile"]["max_cps"],
        "min_duration_ms": en["profile"]["min_duration_ms"],
        "max_duration_ms": en["profile"]["max_duration_ms"],
        "min_gap_frames": en["profile"]["min_gap_frames"],
        "direction": "ltr",
    }
    assert fr["findings"] and {f["cue_id"] for f in fr["findings"]} <= set(IDS)
    assert all(f["severity"] in ("error", "warning", "info") and f["rule"] and f["message"] for f in fr["findings"])
    (font,) = en["fonts"]
    response = srv.client.get(font["url"])
    assert response.status_code == 200 and len(response.content) > 10_000
    assert srv.client.get(f"{T}/de").status_code == 404
    assert srv.client.get("/api/videos/nope/tracks/en").status_code == 404


def test_ass_is_the_burn_s_document_with_the_edits(srv: Served) -> None:
    before = srv.client.get(f"{T}/en/ass")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    assert "[Script Info]" in before.text and "PlayResX: 1280" in before.text
    assert "The world continues\\Nto change by the minute." in before.text
    c = cue(srv.track(), "s01.0")
    assert srv.post(EDITS, {"label": "text", "changes": [update(c, text="Edited in\nthe studio")]}).status_code == 200
    after = srv.client.get(f"{T}/en/ass").text
    assert "Edited in\\Nthe studio" in after and "The world continues" not in after
    assert srv.client.get(f"{T}/de/ass").status_code == 404


# --- edits ---------------------------------------------------------------------------------------------------------


def test_one_request_updates_inserts_and_deletes_and_split_and_merge_work(srv: Served) -> None:
    track = srv.track()
    s01, s020 = (cue(track, cid) for cid in IDS[:2])
    mid = (s020["start_ms"] + s020["end_ms"]) // 2
    split = [  # split s02.0 = update (first half) + insert (second half); with a text fix of s01.0
        update(s01, text="The world keeps\nchanging by the minute."),
        update(s020, end_ms=mid, text="People's expectations\ntoward the government"),
        {"op": "insert", "start_ms": mid + 67, "end_ms": s020["end_ms"], "text": "have increased dramatically,"},
    ]
    response = srv.post(EDITS, {"label": "split", "changes": split})
    assert response.status_code == 200, response.text
    data = response.json()
    (new,) = data["inserted"]
    assert data["changed"] == ["s01.0", "s02.0", new]
    assert [c["id"] for c in data["cues"]] == ["s01.0", "s02.0", new, "s02.1"]
    assert [c["version"] for c in data["cues"]] == [1, 1, 1, 0]
    assert [c["edited"] for c in data["cues"]] == [True, True, True, False]
    assert cue(data, new)["text"] == "have increased dramatically,"
    assert isinstance(data["findings"], list) and data["edits"] == 3
    assert data == {**srv.track(), "changed": data["changed"], "inserted": data["inserted"]}
    merge = [  # merge the inserted cue back: update s02.0 to its end + delete the inserted cue
        update(cue(data, "s02.0"), end_ms=cue(data, new)["end_ms"], text=s020["text"]),
        {"op": "delete", "id": new, "version": 1},
    ]
    merged = srv.post(EDITS, {"label": "merge", "changes": merge})
    assert merged.status_code == 200, merged.text
    assert merged.json()["changed"] == ["s02.0", new] and merged.json()["inserted"] == []
    after = srv.track()
    assert [c["id"] for c in after["cues"]] == IDS
    assert (cue(after, "s02.0")["text"], cue(after, "s02.0")["version"]) == (s020["text"], 2)
    assert srv.renderer.states[VIDEO].state == "queued"  # the render thread is not started: queued only


def test_a_stale_version_gets_409_with_the_current_cue_and_nothing_is_stored(srv: Served) -> None:
    c = cue(srv.track(), "s01.0")
    assert srv.post(EDITS, {"changes": [update(c, text="First writer.")]}).status_code == 200
    before = stored(srv)
    late = [update(cue(srv.track(), "s02.1"), text="Fine."), update(c, text="Second writer.")]
    response = srv.post(EDITS, {"label": "text", "changes": late})
    assert response.status_code == 409
    data = response.json()
    assert data["error"] and data["conflicts"] == [
        {
            "id": "s01.0",
            "current": {"start_ms": c["start_ms"], "end_ms": c["end_ms"], "text": "First writer.", "version": 1},
        }
    ]
    assert stored(srv) == before
    gone = srv.post(EDITS, {"label": "delete", "changes": [{"op": "delete", "id": "s02.1", "version": 0}]})
    assert gone.status_code == 200
    again = srv.post(
        EDITS, {"changes": [update(cue(srv.track(), "s02.0")), {"op": "delete", "id": "s02.1", "version": 0}]}
    )
    assert again.status_code == 409
    assert again.json()["conflicts"] == [{"id": "s02.1", "current": None}]


GOOD = {"op": "update", "id": "s01.0", "version": 0, "start_ms": 2002, "end_ms": 4371, "text": "Fine."}


def _with(**fields: Any) -> dict[str, Any]:
    return {"label": "text", "changes": [{**GOOD, **fields}]}


INVALID: list[tuple[str, Any, str]] = [
    ("end before start", _with(end_ms=2000), "changes[0].end_ms"),
    ("end equal to start", _with(end_ms=2002), "changes[0].end_ms"),
    ("end past the video", _with(end_ms=60_000), "changes[0].end_ms"),
    ("negative start", _with(start_ms=-5), "changes[0].start_ms"),
    ("control character", _with(text="ring\u0007"), "changes[0].text"),
    ("escape character", _with(text="\u001b[31mred"), "changes[0].text"),
    ("1001 characters", _with(text="x" * 1001), "changes[0].text"),
    ("empty text", _with(text=""), "changes[0].text"),
    ("blank text", _with(text=" \n "), "changes[0].text"),
    ("text not a string", _with(text=5), "changes[0].text"),
    ("start as a string", _with(start_ms="2002"), "changes[0].start_ms"),
    ("start as a bool", _with(start_ms=True), "changes[0].start_ms"),
    ("start as a float", _with(start_ms=2002.5), "changes[0].start_ms"),
    ("start as null", _with(start_ms=None), "changes[0].start_ms"),
    ("huge start", _with(start_ms=10**20), "changes[0].start_ms"),
    ("huge end", _with(end_ms=2**63), "changes[0].end_ms"),
    ("version as a string", _with(version="0"), "changes[0].version"),
    ("unknown op", _with(op="rename"), "changes[0].op"),
    ("update without id", {"changes": [{k: v for k, v in GOOD.items() if k != "id"}]}, "changes[0].id"),
    ("id not a string", _with(id=["s01.0"]), "changes[0].id"),
    ("change not an object", {"changes": ["update s01.0"]}, "changes[0]"),
    ("no changes", {"label": "text"}, "changes"),
    ("empty changes", {"changes": []}, "changes"),
    ("changes not a list", {"changes": GOOD}, "changes"),
    ("201 changes", {"changes": [GOOD] * 201}, "changes"),
    ("body a list", [GOOD], "changes"),
    ("unknown label", {**_with(), "label": "rewrite"}, "label"),
    ("second change bad", {"changes": [GOOD, {**GOOD, "id": "s02.0", "text": "x\u0000"}]}, "changes[1].text"),
    ("not JSON", "changes: please", "body"),
    ("invalid UTF-8", b'{"changes": [{"text": "\xff\xfe"}]}', "body"),
    ("integer of 5000 digits", '{"changes": [{"op": "insert", "start_ms": ' + "7" * 5000 + "}]}", "body"),
    ("nesting 100000 deep", "[" * 100_000 + "]" * 100_000, "body"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in INVALID], ids=[n for n, _, _ in INVALID])
def test_an_invalid_edit_is_refused_with_its_field_and_nothing_is_stored(srv: Served, body: Any, field: str) -> None:
    before = stored(srv)
    response = srv.post(EDITS, body)
    assert response.status_code in (400, 422), response.text[:300]
    data = response.json()
    assert data["field"] == field and data["error"]
    assert stored(srv) == before and srv.renderer.states[VIDEO].state == "idle"


@pytest.mark.parametrize(
    ("url", "change"),
    [
        ("/api/videos/nope/tracks/en/edits", GOOD),
        (f"{T}/de/edits", GOOD),
        (EDITS, {**GOOD, "id": "s09.0"}),
        (EDITS, {"op": "delete", "id": "s01.5", "version": 0}),
    ],
    ids=["unknown video", "unknown language", "unknown cue", "unknown cue deleted"],
)
def test_an_unknown_video_language_or_cue_is_404_and_nothing_is_stored(srv: Served, url: str, change: Any) -> None:
    before = stored(srv)
    fine = {**GOOD, "id": "s02.1", "start_ms": 9342, "end_ms": 12679}
    response = srv.post(url, {"label": "text", "changes": [fine, change]})
    assert response.status_code == 404, response.text
    assert response.json()["error"]
    assert stored(srv) == before


@pytest.mark.parametrize("text", ["One line\n\nafter a blank line", "\nstarts with a blank line", "a\n \nb"])
def test_an_empty_line_inside_a_cue_is_refused(srv: Served, text: str) -> None:
    """SRT and WebVTT end a cue at an empty line: such a text would cut the cue (and the rest would be read as
    another cue, or dropped), so the studio refuses it like an empty text."""
    before = stored(srv)
    response = srv.post(EDITS, _with(text=text + "\n\n2\n00:00:13,000 --> 00:00:14,000\nInjected cue"))
    assert response.status_code in (400, 422), response.text[:300]
    assert response.json()["field"] == "changes[0].text"
    assert stored(srv) == before


def test_a_batch_naming_one_cue_twice_is_refused_or_chains_its_versions(srv: Served) -> None:
    c = cue(srv.track(), "s01.0")
    before = stored(srv)
    response = srv.post(EDITS, {"changes": [update(c, text="First."), update(c, text="Second.")]})
    if response.status_code != 200:  # refused: nothing stored
        assert response.status_code in (400, 409, 422) and stored(srv) == before
        return
    hist = srv.client.get(f"{T}/en/cues/s01.0/history").json()["history"]
    assert [(h["before"]["text"], h["after"]["text"]) for h in hist] == [(c["text"], "First."), ("First.", "Second.")]
    assert cue(srv.track(), "s01.0")["version"] == 2


# --- lint, reflow, history, approval, export -------------------------------------------------------------------------


def test_lint_shows_findings_of_the_changed_track_and_stores_nothing(srv: Served) -> None:
    c = cue(srv.track(), "s01.0")
    long_line = "The whole world continues to change by the minute, every minute."
    found = srv.post(f"{T}/en/lint", {"changes": [update(c, text=long_line)]})
    assert found.status_code == 200, found.text
    rules = {(f["rule"], f["cue_id"]) for f in found.json()["findings"]}
    assert ("line_length", "s01.0") in rules
    fixed = srv.post(
        f"{T}/en/lint", {"changes": [update(c, text="The whole world continues\nto change by the minute.")]}
    )
    assert not any(f["rule"] == "line_length" for f in fixed.json()["findings"])
    inserted = srv.post(
        f"{T}/en/lint", {"changes": [{"op": "insert", "start_ms": 14_000, "end_ms": 14_100, "text": "Hi"}]}
    )
    assert any(f["rule"] == "min_duration" for f in inserted.json()["findings"])
    assert stored(srv) == ([], [], []) and cue(srv.track(), "s01.0") == c
    assert srv.renderer.states[VIDEO].state == "idle"
    bad = srv.post(f"{T}/en/lint", {"changes": [update(c, end_ms=1)]})
    assert bad.status_code == 422 and bad.json()["field"] == "changes[0].end_ms"
    assert srv.post(f"{T}/de/lint", {"changes": [update(c)]}).status_code == 404


def test_reflow_breaks_lines_as_the_profile_does(srv: Served) -> None:
    text = "People's expectations toward the government have increased dramatically,"
    response = srv.post(f"{T}/en/reflow", {"text": text})
    assert response.status_code == 200
    lines = response.json()["text"].split("\n")
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines) and " ".join(lines) == text
    assert srv.post(f"{T}/en/reflow", {"text": "  Short   text \n here "}).json() == {"text": "Short text here"}
    for body in ({"text": 5}, {}, {"text": "x" * 1001}, ["text"]):
        refused = srv.post(f"{T}/en/reflow", body)
        assert refused.status_code == 422 and refused.json()["field"] == "text"
    assert srv.post(f"{T}/de/reflow", {"text": "x"}).status_code == 404
    assert stored(srv) == ([], [], [])


def test_history_lists_changes_and_restore_brings_an_old_state_back(srv: Served) -> None:
    c = cue(srv.track(), "s01.0")
    assert srv.client.get(f"{T}/en/cues/s01.0/history").json() == {"history": []}
    srv.post(EDITS, {"label": "text", "changes": [update(c, text="Changed once.")]})
    srv.post(EDITS, {"label": "time", "changes": [update(cue(srv.track(), "s01.0"), start_ms=2100)]})
    hist = srv.client.get(f"{T}/en/cues/s01.0/history").json()["history"]
    assert [h["label"] for h in hist] == ["text", "time"]
    assert hist[0]["before"] == {k: c[k] for k in ("start_ms", "end_ms", "text")}
    assert hist[0]["after"]["text"] == "Changed once." and hist[1]["after"]["start_ms"] == 2100
    assert all(h["user"] == "local" and h["at"] and isinstance(h["seq"], int) for h in hist)
    now = cue(srv.track(), "s01.0")
    restored = srv.post(EDITS, {"label": "restore", "changes": [update(now, **hist[0]["before"])]})
    assert restored.status_code == 200
    back = cue(restored.json(), "s01.0")
    assert (back["text"], back["start_ms"], back["version"]) == (c["text"], c["start_ms"], 3)
    hist = srv.client.get(f"{T}/en/cues/s01.0/history").json()["history"]
    assert [h["label"] for h in hist] == ["text", "time", "restore"]
    assert srv.client.get(f"{T}/en/cues/s09.9/history").status_code == 404
    assert srv.client.get(f"{T}/de/cues/s01.0/history").status_code == 404


def test_approve_then_an_edit_reopens_the_track(srv: Served) -> None:
    unseen = srv.post(f"{T}/en/approve", {})  # an approval is for the cues the page shows: it must say which
    assert unseen.status_code == 422 and unseen.json()["field"] == "digest"
    response = srv.post(f"{T}/en/approve", {"digest": srv.track("en")["digest"]})
    assert response.status_code == 200
    approved = response.json()["approved"]
    assert approved["by"] == "local" and approved["edits"] == 0 and "T" in approved["at"]
    assert srv.track("en")["approved"] == approved and srv.track("fr")["approved"] is None
    langs = srv.client.get("/api/overview").json()["videos"][0]["languages"]
    assert [lang["approved"] for lang in langs] == [approved, None]
    srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="After approval.")]})
    assert srv.track("en")["approved"] is None
    again = srv.post(f"{T}/en/approve", {"digest": srv.track("en")["digest"]}).json()["approved"]
    assert again["edits"] == 1 and srv.track("en")["approved"] == again
    assert srv.post(f"{T}/de/approve", {"digest": "0" * 32}).status_code == 404


def test_export_writes_the_edits_into_the_transcript_and_the_track_reads_back_the_same(srv: Served) -> None:
    assert srv.post("/api/export", {}).json() == {"written": []}
    transcript = srv.studio.job.videos[0].transcript
    original = transcript.read_text(encoding="utf-8")
    srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="Exported edit.")]})
    moved = cue(srv.track(), "s02.1")
    srv.post(EDITS, {"label": "time", "changes": [update(moved, start_ms=moved["start_ms"] + 100)]})
    wanted = srv.track()["cues"]
    response = srv.post("/api/export", {})
    assert response.status_code == 200, response.text
    assert [Path(p) for p in response.json()["written"]] == [transcript]
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    assert doc["segments"][0]["text"] == {
        "en": "Exported edit.",
        "fr": json.loads(original)["segments"][0]["text"]["fr"],
    }
    (backup,) = (srv.out / "studio-backup").iterdir()
    assert backup.read_text(encoding="utf-8") == original
    after = srv.track()
    assert [{k: c[k] for k in ("id", "start_ms", "end_ms", "text")} for c in after["cues"]] == [
        {k: c[k] for k in ("id", "start_ms", "end_ms", "text")} for c in wanted
    ]
    assert {s.id for s in editstore.overlay(srv.studio.db, VIDEO, "en")} == {"s02.1"}  # times stay in the store
    assert srv.post("/api/export", {}).json() == {"written": []}


# --- media, fonts, static, pages -----------------------------------------------------------------------------------


def test_the_source_video_answers_range_requests(srv: Served, clip15: Path) -> None:
    size = clip15.stat().st_size
    whole = srv.client.get(f"/media/{VIDEO}/source")
    assert whole.status_code == 200 and len(whole.content) == size
    part = srv.client.get(f"/media/{VIDEO}/source", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{size}"
    assert part.content == clip15.read_bytes()[100:1100]
    assert srv.client.get("/media/nope/source").status_code == 404


def test_the_cut_is_404_until_rendered_and_fonts_by_key(srv: Served) -> None:
    before = srv.client.get(f"/media/{VIDEO}/cut/en")
    assert before.status_code == 404 and before.json()["error"]
    assert srv.client.get(f"/media/{VIDEO}/cut/de").status_code == 404
    assert srv.client.get("/media/nope/cut/en").status_code == 404
    assert srv.client.get("/fonts/noto-sans").status_code == 200
    assert srv.client.get("/fonts/no-such-font").status_code == 404
    assert srv.client.get("/fonts/..%2F..%2Fapp.py").status_code == 404


def test_pages_and_static_files_carry_the_csp(srv: Served) -> None:
    for url, kind in (
        ("/", "text/html"),
        (f"/edit/{VIDEO}/en?cue=s01.0", "text/html"),
        ("/static/studio.css", "text/css"),
    ):
        response = srv.client.get(url)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), url
        have = csp_directives(response.headers["content-security-policy"])
        assert {k: have.get(k) for k in csp_directives(CONTRACT_CSP)} == csp_directives(CONTRACT_CSP)
    assert srv.client.get("/static/nope.js").status_code == 404
    assert srv.client.get("/static/../app.py").status_code == 404
    api = srv.client.get("/api/overview")
    assert "content-security-policy" in api.headers and api.headers["x-content-type-options"] == "nosniff"


# --- access ------------------------------------------------------------------------------------------------------


def test_a_request_without_the_cookie_is_401(srv: Served) -> None:
    with TestClient(srv.app, raise_server_exceptions=False) as stranger:
        for url in ("/", "/api/session", "/api/overview", f"/media/{VIDEO}/source", "/static/editor.js"):
            response = stranger.get(url)
            assert response.status_code == 401, url
            assert "content-security-policy" in response.headers
        bad = stranger.get("/?token=not-the-token", follow_redirects=False)
        assert bad.status_code == 401 and "set-cookie" not in bad.headers
        stranger.cookies.set(srv.access.cookie, "not-the-token")
        assert stranger.get("/api/session").status_code == 401
        assert stranger.get("/static/studio.css").status_code == 200  # the sign-in page's style: nothing secret


def test_the_token_sets_an_httponly_strict_cookie_and_redirects_without_it(srv: Served) -> None:
    with TestClient(srv.app, raise_server_exceptions=False) as visitor:
        url = f"/edit/{VIDEO}/en?token={srv.access.token}&cue=s01.0"
        response = visitor.get(url, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/edit/{VIDEO}/en?cue=s01.0"
        cookie = response.headers["set-cookie"]
        attributes = {a.strip().lower() for a in cookie.split(";")}
        assert cookie.startswith(f"{srv.access.cookie}={srv.access.token};")
        assert {"httponly", "samesite=strict"} <= attributes
        assert visitor.get("/api/overview").status_code == 200


def test_a_foreign_host_or_origin_is_403(srv: Served) -> None:
    assert srv.client.get("/api/session", headers={"host": "evil.example"}).status_code == 403
    token = srv.client.get(f"/?token={srv.access.token}", headers={"host": "evil.example"}, follow_redirects=False)
    assert token.status_code == 403 and "set-cookie" not in token.headers
    body = _with()
    foreign = srv.post(EDITS, body, origin="http://evil.example")
    assert foreign.status_code == 403 and stored(srv) == ([], [], [])
    assert srv.post(EDITS, body, origin="null").status_code == 403
    assert srv.post(EDITS, body, origin="http://testserver").status_code == 200


def test_a_post_without_the_csrf_token_is_403_and_stores_nothing(srv: Served) -> None:
    body = json.dumps(_with())
    for headers in ({}, {"x-csrf-token": "0" * 32}, {"x-csrf-token": srv.access.token}):
        response = srv.client.post(EDITS, content=body, headers={"content-type": "application/json", **headers})
        assert response.status_code == 403 and "csrf" in response.json()["error"].lower()
        assert srv.client.post(f"{T}/en/approve", content="{}", headers=headers).status_code == 403
    assert stored(srv) == ([], [], [])


def test_a_body_over_256_kib_is_413_and_stores_nothing(srv: Served) -> None:
    big = json.dumps({**_with(), "padding": "x" * (256 * 1024)})
    assert srv.post(EDITS, big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is only known once read
        for _ in range(300):
            yield b" " * 1024
        yield json.dumps(_with()).encode()

    chunked = srv.client.post(EDITS, content=chunks(), headers={"x-csrf-token": srv.csrf})
    assert chunked.status_code == 413
    assert stored(srv) == ([], [], [])


# --- events, reloads, stale edits and a real render ------------------------------------------------------------------


def _sse(lines: Iterator[str], deadline: float) -> Iterator[tuple[str, Any]]:
    """(event name, data) of an event stream; comments as ("comment", text)."""
    name = ""
    for line in lines:
        assert time.monotonic() < deadline, "no event in time"
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            yield name, json.loads(line.split(":", 1)[1])


def test_events_stream_an_edit_to_an_open_page(tmp_path: Path, clip15: Path) -> None:
    studio, events, _, access, app = build_app(write_job(tmp_path, clip15))
    try:
        with real_server(studio, events, access, app) as base:
            cookies = {access.cookie: access.token}
            with (
                httpx.Client(base_url=base, cookies=cookies, timeout=10) as page,
                httpx.Client(base_url=base, cookies=cookies, timeout=10) as other,
                page.stream("GET", "/api/events") as stream,
            ):
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                got = _sse(stream.iter_lines(), time.monotonic() + 15)
                assert next(got) == ("comment", "connected")
                track = other.get(f"{T}/en").json()
                change = update(cue(track, "s02.1"), text="Pushed to\nevery page.")
                sent = other.post(EDITS, json={"changes": [change]}, headers={"x-csrf-token": access.csrf})
                assert sent.status_code == 200, sent.text
                edit = next(data for name, data in got if name == "edit")
                assert edit == {"video": VIDEO, "lang": "en", "ids": ["s02.1"], "by": "local"}
                digest = other.get(f"{T}/fr").json()["digest"]
                other.post(f"{T}/fr/approve", json={"digest": digest}, headers={"x-csrf-token": access.csrf})
                approval = next(data for name, data in got if name == "approval")
                assert (approval["video"], approval["lang"], approval["approved"]["by"]) == (VIDEO, "fr", "local")
    finally:
        studio.db.close()


def test_a_transcript_changed_on_disk_is_reloaded_and_stale_edits_named(srv: Served) -> None:
    """What ``serve``'s watcher calls every second (the watcher itself runs in test_studio_run's CLI test)."""
    assert srv.studio.reload_if_changed() == []
    srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="Reviewer's text.")]})
    transcript = srv.studio.job.videos[0].transcript
    set_segment_text(transcript, "s01", "en", "The transcript was fixed on disk.")
    said = srv.studio.reload_if_changed()
    assert str(transcript) in said[0] and any("s01.0" in line and "changed" in line for line in said[1:])
    track = srv.track()
    assert cue(track, "s01.0")["text"] == "The transcript was fixed on disk."
    assert [s["id"] for s in track["stale"]] == ["s01.0"]
    assert srv.studio.reload_if_changed() == []


def test_a_stale_cue_can_be_edited_again_from_the_page(srv: Served) -> None:
    first = srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="Reviewer's text.")]})
    assert first.status_code == 200
    set_segment_text(srv.studio.job.videos[0].transcript, "s01", "en", "The source was fixed.")
    restarted = signed_in(srv.job)  # a new studio on the same job and store
    try:
        track = restarted.track()
        assert [s["id"] for s in track["stale"]] == ["s01.0"]
        shown = cue(track, "s01.0")
        assert shown["text"] == "The source was fixed."
        again = restarted.post(
            EDITS, {"label": "text", "changes": [update(shown, text="The source was fixed, reviewed.")]}
        )
        assert again.status_code == 200, again.text
        assert cue(again.json(), "s01.0")["text"] == "The source was fixed, reviewed."
        assert restarted.track()["stale"] == []
        last = restarted.client.get(f"{T}/en/cues/s01.0/history").json()["history"][-1]
        assert (last["before"]["text"], last["after"]["text"]) == (
            "The source was fixed.",
            "The source was fixed, reviewed.",
        )
    finally:
        restarted.client.close()
        restarted.studio.db.close()


@pytest.mark.render
def test_an_edit_is_rendered_in_the_background(srv: Served) -> None:
    c = cue(srv.track(), "s02.1")
    srv.renderer.start()
    try:
        response = srv.post(EDITS, {"label": "text", "changes": [update(c, text="Rendered\nin the background.")]})
        assert response.status_code == 200
        deadline = time.monotonic() + 90
        while not srv.renderer.idle() and time.monotonic() < deadline:
            time.sleep(0.2)
        state = srv.renderer.states[VIDEO]
        assert (state.state, state.seq) == ("done", 1), state
    finally:
        srv.renderer.stop()
    cut = srv.client.get(f"/media/{VIDEO}/cut/en?v=1")
    assert cut.status_code == 200 and cut.headers["content-type"] == "video/mp4" and len(cut.content) > 10_000
    assert srv.track()["cut_url"] == f"/media/{VIDEO}/cut/en" and srv.track()["render"]["state"] == "done"
    manifest = json.loads((srv.out / VIDEO / "manifest.json").read_text(encoding="utf-8"))
    kinds = {(f["path"], f["kind"]) for f in manifest["files"]}
    assert {("en/clip.en.mp4", "burned"), ("fr/clip.fr.mp4", "burned")} <= kinds
    assert "Rendered\nin the background." in (srv.out / VIDEO / "en" / "clip.en.srt").read_text(encoding="utf-8")
    assert editstore.read_overlay(srv.out, VIDEO, "en")[0].id == "s02.1"
