"""The studio's export and approvals against a source that changes: SRT renumbering, rows left with no text,
stale edits, versions that must never match again, approvals of cues nobody saw, an unreadable transcript."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.batch.convert import convert_file
from pipeline.core.errors import UsageError
from pipeline.ingest import editstore
from pipeline.ingest.segments import load_transcript
from pipeline.studio.access import Access
from pipeline.studio.serve import bind

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import VIDEO, Served, cue, set_segment_text, signed_in_to, update, write_job

EDITS = f"/api/videos/{VIDEO}/tracks/en/edits"


@pytest.fixture()
def srv(tmp_path: Path, clip15: Path) -> Iterator[Served]:
    with signed_in_to(write_job(tmp_path, clip15, burn=False)) as served:
        yield served


def _shown(track: dict[str, Any]) -> list[tuple[int, int, str]]:
    return [(c["start_ms"], c["end_ms"], c["text"]) for c in track["cues"]]


def _srt_job(folder: Path, clip: Path) -> Path:
    """A job whose transcript is an English SRT of the clip's three cues."""
    srt = folder / "talk.en.srt"
    srt.write_text(
        "1\n00:00:02,002 --> 00:00:04,771\nThe world changes.\n\n"
        "2\n00:00:05,438 --> 00:00:09,275\nPeople expect more.\n\n"
        "3\n00:00:09,342 --> 00:00:12,679\nAnd the role grows.\n",
        encoding="utf-8",
    )
    job = folder / "job.toml"
    job.write_text(
        f'output_dir = "{folder / "out"}"\n[[videos]]\nname = "{VIDEO}"\nvideo = "{clip}"\ntranscript = "{srt}"\n'
        'languages = ["en"]\n[outputs]\nburn = false\nmux = []\nreview = false\n',
        encoding="utf-8",
    )
    return job


def test_an_srt_export_renumbers_and_a_later_fix_on_disk_keeps_the_track_whole(tmp_path: Path, clip15: Path) -> None:
    with signed_in_to(_srt_job(tmp_path, clip15)) as srv:
        srv.post(EDITS, {"changes": [{"op": "insert", "start_ms": 500, "end_ms": 1500, "text": "Hello."}]})
        wanted = _shown(srv.track())
        assert srv.post("/api/export", {}).status_code == 200
        assert _shown(srv.track()) == wanted
        # the SRT holds the cues; what it cannot (the build lengthens a 1 s cue) stays, keyed on the new numbering
        assert [s.id for s in editstore.overlay(srv.studio.db, VIDEO, "en")] == ["1.0"]
        srt = srv.studio.job.videos[0].transcript
        fixed = srt.read_text(encoding="utf-8").replace("The world changes.", "The world changes fast.")
        srt.write_text(fixed, encoding="utf-8")
        srv.studio.reload_if_changed()
        texts = [t for _, _, t in _shown(srv.track())]
        assert texts == ["Hello.", "The world changes fast.", "People expect more.", "And the role grows."]


def test_an_old_version_never_matches_again_after_an_export(srv: Served) -> None:
    """Page A holds s01.0 at the version before B's edit; B's edit goes into the transcript (its row dropped)."""
    seen_by_a = cue(srv.track(), "s01.0")
    assert srv.post(EDITS, {"changes": [update(seen_by_a, text="The world changes.")]}).status_code == 200
    assert srv.post("/api/export", {}).status_code == 200
    late = srv.post(EDITS, {"changes": [update(seen_by_a, end_ms=seen_by_a["end_ms"] - 100)]})
    assert late.status_code == 409
    assert cue(srv.track(), "s01.0")["text"] == "The world changes."


def test_a_segment_with_no_text_left_is_dropped_and_the_sheet_reads_back(tmp_path: Path, clip15: Path) -> None:
    job = write_job(tmp_path, clip15, burn=False)
    doc = json.loads((tmp_path / "transcript.json").read_text(encoding="utf-8"))
    rows = ["id,start,end,speaker,en,fr"]
    for seg in doc["segments"]:
        texts = f'"{seg["text"]["en"]}","{seg["text"]["fr"]}"'
        rows.append(f'{seg["id"]},{seg["start_ms"] / 1000},{seg["end_ms"] / 1000},,{texts}')
    sheet = tmp_path / "transcript.csv"
    sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
    job.write_text(job.read_text(encoding="utf-8").replace("transcript.json", "transcript.csv"), encoding="utf-8")
    with signed_in_to(job) as srv:
        for lang in ("en", "fr"):
            gone = cue(srv.track(lang), "s01.0")
            url = f"/api/videos/{VIDEO}/tracks/{lang}/edits"
            assert srv.post(url, {"changes": [{"op": "delete", "id": "s01.0", "version": gone["version"]}]}).is_success
        wanted = {lang: _shown(srv.track(lang)) for lang in ("en", "fr")}
        assert srv.post("/api/export", {}).status_code == 200
        assert [s.id for s in load_transcript(sheet).segments] == ["s02"]
        assert {lang: _shown(srv.track(lang)) for lang in ("en", "fr")} == wanted


def test_a_stale_edit_survives_an_export(srv: Served, tmp_path: Path) -> None:
    s01 = cue(srv.track(), "s01.0")
    srv.post(EDITS, {"changes": [update(s01, text="Mine.")]})
    set_segment_text(tmp_path / "transcript.json", "s01", "en", "The source changed this line.")
    srv.studio.reload_if_changed()
    assert [s["id"] for s in srv.track()["stale"]] == ["s01.0"]
    fr = cue(srv.track("fr"), "s01.0")
    srv.post(f"/api/videos/{VIDEO}/tracks/fr/edits", {"changes": [update(fr, text="Le monde change.")]})
    assert srv.post("/api/export", {}).status_code == 200
    assert [s["id"] for s in srv.track()["stale"]] == ["s01.0"]
    assert [s.state.text for s in editstore.overlay(srv.studio.db, VIDEO, "en") if s.state] == ["Mine."]


def test_an_export_tells_every_open_page_to_reload(srv: Served) -> None:
    sent: list[tuple[str, object]] = []
    srv.events.publish = lambda name, data: sent.append((name, data))  # type: ignore[method-assign]
    srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="Exported.")]})
    assert srv.client.post("/api/export", headers={"x-csrf-token": srv.csrf}).status_code == 200  # no body
    assert "reload" in [name for name, _ in sent]


def test_an_approval_is_for_the_cues_the_approver_saw(srv: Served, tmp_path: Path) -> None:
    approve = f"/api/videos/{VIDEO}/tracks/en/approve"
    seen = srv.track()["digest"]
    assert srv.post(approve, {"digest": seen}).status_code == 200
    assert srv.track()["approved"] is not None
    set_segment_text(tmp_path / "transcript.json", "s01", "en", "Text nobody reviewed.")
    srv.studio.reload_if_changed()
    now = srv.track()
    assert now["approved"] is None and now["digest"] != seen
    stale = srv.post(approve, {"digest": seen})
    assert stale.status_code == 409 and stale.json()["digest"] == now["digest"]
    assert srv.track()["approved"] is None


def test_an_unreadable_transcript_is_named_on_its_video_and_the_overview_still_answers(
    srv: Served, tmp_path: Path
) -> None:
    (tmp_path / "transcript.json").write_text('{"segments": [', encoding="utf-8")
    srv.studio.reload_if_changed()
    response = srv.client.get("/api/overview")
    assert response.status_code == 200
    (video,) = response.json()["videos"]
    assert "invalid JSON" in video["error"]


def test_the_served_address_is_what_a_browser_sends_and_wildcards_are_refused() -> None:
    access = Access()
    access.serve("::1", 8800)
    assert access.hosts == {"[::1]:8800"} and access.cookie == "subpipe_studio_8800"
    access.serve("127.0.0.1", 8801)
    assert access.hosts == {"127.0.0.1:8801", "localhost:8801"} and access.cookie == "subpipe_studio_8801"
    for wildcard in ("0.0.0.0", "::"):
        with pytest.raises(UsageError, match="every address"):
            bind(wildcard, 0)


def test_a_csrf_token_of_other_bytes_is_403_not_500(srv: Served) -> None:
    change = update(cue(srv.track(), "s01.0"), text="Nope.")
    refused = srv.post(EDITS, {"changes": [change]}, **{"x-csrf-token": ("é" * 32).encode("latin-1")})
    assert refused.status_code == 403
    assert cue(srv.track(), "s01.0")["text"] != "Nope."


def test_a_page_holding_cues_from_before_a_change_on_disk_gets_409(srv: Served, tmp_path: Path) -> None:
    seen = cue(srv.track("fr"), "s01.0")
    set_segment_text(tmp_path / "transcript.json", "s01", "fr", "Correction du traducteur.")
    srv.studio.reload_if_changed()
    assert cue(srv.track("fr"), "s01.0")["text"] == "Correction du traducteur."
    late = srv.post(f"/api/videos/{VIDEO}/tracks/fr/edits", {"changes": [update(seen, text="Le monde (revu).")]})
    assert late.status_code == 409
    assert cue(srv.track("fr"), "s01.0")["text"] == "Correction du traducteur."


def test_an_export_keeps_the_transcript_s_mode_and_a_failed_write_changes_nothing(srv: Served, tmp_path: Path) -> None:
    transcript = tmp_path / "transcript.json"
    transcript.chmod(0o600)
    srv.post(EDITS, {"changes": [update(cue(srv.track(), "s01.0"), text="Private.")]})
    blocker = tmp_path / ".transcript.json.studio-export"
    blocker.mkdir()  # the file the new transcript is written to cannot be made
    refused = srv.post("/api/export", {})
    assert refused.status_code == 503 and "cannot replace the transcript" in refused.json()["error"]
    assert "Private." not in transcript.read_text(encoding="utf-8")
    assert [s.id for s in editstore.overlay(srv.studio.db, VIDEO, "en")] == ["s01.0"]
    blocker.rmdir()
    assert srv.post("/api/export", {}).status_code == 200
    assert "Private." in transcript.read_text(encoding="utf-8") and transcript.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("suffix", [".ttml", ".scc", ".stl"])
def test_a_delivery_format_transcript_is_refused_before_any_work(tmp_path: Path, clip15: Path, suffix: str) -> None:
    """The studio cannot write edits back into a TTML, SCC or STL transcript: it says so, and changes nothing."""
    job = _srt_job(tmp_path, clip15)
    delivered = tmp_path / f"talk.en{suffix}"
    convert_file(tmp_path / "talk.en.srt", delivered)
    job.write_text(job.read_text(encoding="utf-8").replace("talk.en.srt", delivered.name), encoding="utf-8")
    before = delivered.read_bytes()
    with signed_in_to(job) as srv:
        srv.post(EDITS, {"changes": [{"op": "insert", "start_ms": 500, "end_ms": 1500, "text": "Hello."}]})
        refused = srv.post("/api/export", {})
        assert refused.status_code == 400
        assert f"cannot write edits back into a {suffix} transcript" in refused.json()["error"]
        assert [s.id for s in editstore.overlay(srv.studio.db, VIDEO, "en")] != []
    assert delivered.read_bytes() == before
