"""The studio's edits reach ``subpipe run``: the built SRT/VTT/ASS and the burned cut carry them (only the edited
chunk is burned again), the manifest names them, stale edits are reported and left out, ``--require-approval``
holds the run until every language is approved. And ``subpipe studio`` itself, end to end, stopped by Ctrl-C."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from pipeline.cli.main import main
from pipeline.media.ffmpeg import ffmpeg_exe

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import ROOT, VIDEO, Served, set_segment_text, signed_in, write_job

FPS = Fraction(30000, 1001)
EDITED = "EDITED IN\nTHE STUDIO"


def run_cli(*argv: str) -> tuple[int, str]:
    """``subpipe -q ARGV`` in this process: its exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["-q", *argv])
    return code, err.getvalue()


def frame(video: Path, at_ms: int) -> bytes:
    """The grey pixels of the frame shown at ``at_ms`` (the bundled ffmpeg, exact seek)."""
    argv = [ffmpeg_exe(), "-v", "error", "-ss", f"{at_ms / 1000:.3f}", "-i", str(video)]
    argv += ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    return subprocess.run(argv, capture_output=True, check=True).stdout


def manifest(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / VIDEO / "manifest.json").read_text(encoding="utf-8")))


def stamps(out: Path) -> dict[str, int]:
    """Every output file's modification time (the studio's store aside)."""
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and "studio" not in p.name
    }


def chunk_times(doc: dict[str, Any], lang: str) -> list[tuple[str, int, int]]:
    """Each burned chunk of ``lang``: its hash and the times (ms) of its first and last frame."""
    burn = doc["burns"][lang]
    return [
        (h, int(a * 1000 / FPS), int((b - 1) * 1000 / FPS))
        for h, (a, b) in zip(burn["chunks"], burn["frames"], strict=True)
    ]


@dataclass
class Story:
    """One job through the studio and the batch: what each step gave."""

    out: Path
    unstored: tuple[int, str] = (0, "")
    unapproved: tuple[int, str] = (0, "")
    reopened: tuple[int, str] = (0, "")
    held_stamps: tuple[dict[str, int], dict[str, int]] = ({}, {})
    cue: dict[str, Any] = field(default_factory=dict)
    first: dict[str, Any] = field(default_factory=dict)
    edited: dict[str, Any] = field(default_factory=dict)
    approved: dict[str, Any] = field(default_factory=dict)
    approved_code: int = -1
    frames: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    fr_cut: tuple[bytes, bytes] = (b"", b"")


def _edit(served: Served, cid: str, text: str) -> dict[str, Any]:
    c = next(c for c in served.track()["cues"] if c["id"] == cid)
    body = {
        "label": "text",
        "changes": [{"op": "update", **{k: c[k] for k in ("id", "version", "start_ms", "end_ms")}, "text": text}],
    }
    response = served.post(f"/api/videos/{VIDEO}/tracks/en/edits", body)
    assert response.status_code == 200, response.text
    return dict(c)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory, clip15: Path) -> Story:
    folder = tmp_path_factory.mktemp("studio_run")
    job = str(write_job(folder, clip15))
    told = Story(folder / "out")
    told.unstored = run_cli("run", "--require-approval", job)  # the studio never ran: nothing is approved
    assert not (told.out / VIDEO).exists()
    assert run_cli("run", job)[0] == 0
    told.first = manifest(told.out)
    cut_en, cut_fr = told.out / VIDEO / "en" / "clip.en.mp4", told.out / VIDEO / "fr" / "clip.fr.mp4"
    before_fr = cut_fr.read_bytes()
    served = signed_in(Path(job))
    try:
        told.cue = _edit(served, "s01.0", EDITED)
        held = stamps(told.out)
        told.unapproved = run_cli("run", "--require-approval", job)
        told.held_stamps = (held, stamps(told.out))
        shown = {"cue": (told.cue["start_ms"] + told.cue["end_ms"]) // 2}
        shown.update({f"chunk{n}": (a + b) // 2 for n, (_, a, b) in enumerate(chunk_times(told.first, "en"))})
        before = {name: frame(cut_en, at) for name, at in shown.items()}
        assert run_cli("run", job)[0] == 0
        told.edited = manifest(told.out)
        told.frames = {name: (before[name], frame(cut_en, at)) for name, at in shown.items()}
        told.fr_cut = (before_fr, cut_fr.read_bytes())
        for lang in ("en", "fr"):
            digest = served.track(lang)["digest"]
            assert served.post(f"/api/videos/{VIDEO}/tracks/{lang}/approve", {"digest": digest}).status_code == 200
        told.approved_code = run_cli("run", "--require-approval", job)[0]
        told.approved = manifest(told.out)
        _edit(served, "s02.0", "An edit after the approval.")
        told.reopened = run_cli("run", "--require-approval", job)
    finally:
        served.client.close()
        served.studio.db.close()
    return told


@pytest.mark.render
def test_the_built_files_carry_the_edit_and_the_manifest_names_it(story: Story) -> None:
    folder = story.out / VIDEO / "en"
    srt = (folder / "clip.en.srt").read_text(encoding="utf-8")
    vtt = (folder / "clip.en.vtt").read_text(encoding="utf-8")
    ass = (folder / "clip.en.ass").read_text(encoding="utf-8")
    assert f"00:00:02,002 --> 00:00:04,371\n{EDITED}\n" in srt and "The world continues" not in srt
    assert f"00:00:02.002 --> 00:00:04.371\n{EDITED}\n" in vtt
    assert "EDITED IN\\NTHE STUDIO" in ass and "The world continues" not in ass
    assert "Le monde ne cesse de changer" in (folder.parent / "fr" / "clip.fr.srt").read_text(encoding="utf-8")
    assert story.edited["notes"]["en/studio"] == ["1 cue(s) as edited in the studio: s01.0"]
    assert "fr/studio" not in story.edited["notes"] and "en/studio" not in story.first["notes"]


@pytest.mark.render
def test_the_burned_cut_changes_at_the_edited_cue_and_nowhere_else(story: Story) -> None:
    before, after = story.frames["cue"]
    assert before != after
    first, edited = chunk_times(story.first, "en"), chunk_times(story.edited, "en")
    assert [(a, b) for _, a, b in first] == [(a, b) for _, a, b in edited]
    at = (story.cue["start_ms"] + story.cue["end_ms"]) // 2
    changed = [n for n, ((h0, _, _), (h1, _, _)) in enumerate(zip(first, edited, strict=True)) if h0 != h1]
    assert [n for n, (_, a, b) in enumerate(first) if a <= at <= b] == changed  # only the cue's chunk burned again
    for n in range(len(first)):
        if n not in changed:
            old, new = story.frames[f"chunk{n}"]
            assert old == new, f"chunk {n} shows another picture"
    assert story.fr_cut[0] == story.fr_cut[1]
    assert story.first["burns"]["fr"] == story.edited["burns"]["fr"]


@pytest.mark.render
def test_require_approval_holds_the_run_until_every_language_is_approved(story: Story) -> None:
    for code, err in (story.unstored, story.unapproved):
        assert code == 1
        assert "not approved" in err and f"{VIDEO}/en" in err and f"{VIDEO}/fr" in err
    held, after = story.held_stamps
    assert held == after  # nothing rendered or rewritten
    assert story.approved_code == 0
    approvals = story.approved["approvals"]
    assert set(approvals) == {"en", "fr"}
    assert {k: approvals["en"][k] for k in ("by", "edits")} == {"by": "local", "edits": 1}
    assert {k: approvals["fr"][k] for k in ("by", "edits")} == {"by": "local", "edits": 0}
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", a["at"]) for a in approvals.values())
    code, err = story.reopened
    assert code == 1 and f"{VIDEO}/en" in err and f"{VIDEO}/fr" not in err


def _update(c: dict[str, Any], text: str) -> dict[str, Any]:
    return {"op": "update", **{k: c[k] for k in ("id", "version", "start_ms", "end_ms")}, "text": text}


def test_stale_edits_are_named_in_the_manifest_and_not_applied(tmp_path: Path, clip15: Path) -> None:
    job = write_job(tmp_path, clip15, burn=False)
    transcript = tmp_path / "transcript.json"
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    third = {"id": "s03", "start_ms": 12_900, "end_ms": 13_700, "text": {"en": "A third line.", "fr": "Une troisième."}}
    transcript.write_text(json.dumps({**doc, "segments": [*doc["segments"], third]}, ensure_ascii=False), "utf-8")
    served = signed_in(job)
    try:
        en = {c["id"]: c for c in served.track("en")["cues"]}
        changes = [
            _update(en["s01.0"], "Mine."),
            _update(en["s03.0"], "Gone."),
            {"op": "insert", "start_ms": 13_900, "end_ms": 14_900, "text": "Inserted in the studio."},
        ]
        assert served.post(f"/api/videos/{VIDEO}/tracks/en/edits", {"changes": changes}).status_code == 200
        deleted = {"changes": [{"op": "delete", "id": "s02.0", "version": 0}]}
        assert served.post(f"/api/videos/{VIDEO}/tracks/fr/edits", deleted).status_code == 200
    finally:
        served.client.close()
        served.studio.db.close()
    transcript.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")  # s03 gone
    set_segment_text(transcript, "s01", "en", "The source now says this.")  # s01 changed
    assert run_cli("run", str(job))[0] == 0
    srt = (tmp_path / "out" / VIDEO / "en" / "clip.en.srt").read_text(encoding="utf-8")
    assert "The source now says this." in srt.replace("\n", " ")
    assert "Mine." not in srt and "Gone." not in srt and "A third line." not in srt
    assert "Inserted in the studio." in srt
    fr = (tmp_path / "out" / VIDEO / "fr" / "clip.fr.srt").read_text(encoding="utf-8")
    assert "Les attentes" not in fr and "augmenté" in fr and "Une troisième." not in fr
    notes = manifest(tmp_path / "out")["notes"]
    assert any("s01.0" in n and "source changed this cue" in n for n in notes["en/studio"])
    assert any("s03.0" in n and "no longer makes this cue" in n for n in notes["en/studio"])
    assert "1 cue(s) as edited in the studio: new1" in notes["en/studio"]  # the inserted one
    assert notes["fr/studio"] == ["1 cue(s) as edited in the studio: s02.0"]


# --- subpipe studio, end to end -------------------------------------------------------------------------------------


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "subpipe studio printed nothing"
    return proc.stdout.readline()


def _ffmpeg_below(proc: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ffmpeg" in child.name() or "ffmpeg" in " ".join(child.cmdline()[:1]):
                found.append(child)
    return found


def _cpu_below(proc: psutil.Process) -> float:
    total = 0.0
    for child in proc.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            times = child.cpu_times()
            total += times.user + times.system
    return total


def _rendering(server: psutil.Process, before: float) -> bool:
    """The re-render is at work: an ffmpeg of it runs, or its process (chunks are encoded in-process)
    has used half a second of CPU since the edit."""
    return bool(_ffmpeg_below(server)) or _cpu_below(server) - before > 0.5


def _wait_for(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.mark.render
@pytest.mark.parametrize("to", ["server", "group"])
def test_subpipe_studio_serves_reloads_and_stops_on_ctrl_c_leaving_nothing(
    tmp_path: Path, clip15: Path, to: str
) -> None:
    """SIGINT to the server process alone, or to its whole process group as a terminal's Ctrl-C sends it."""
    job = write_job(tmp_path, clip15)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "pipeline", "studio", str(job), "--port", "0"]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, start_new_session=True
    )
    try:
        line = _first_line(proc, 30)
        found = re.fullmatch(r"studio: (http://127\.0\.0\.1:(\d+))/\?token=([\w-]+)\n", line)
        assert found, line
        base, token = found[1], found[3]
        with httpx.Client(base_url=base, timeout=10) as page:
            welcome = page.get(f"/?token={token}")
            assert welcome.status_code == 303 and "HttpOnly" in welcome.headers["set-cookie"]
            overview = page.get("/api/overview")
            assert overview.status_code == 200 and overview.json()["videos"][0]["name"] == VIDEO
            with page.stream("GET", "/api/events") as stream:
                lines = stream.iter_lines()
                assert next(lines) == ": connected"
                idle = _cpu_below(psutil.Process(proc.pid))
                set_segment_text(tmp_path / "transcript.json", "s01", "fr", "Le texte a changé sur le disque.")
                deadline = time.monotonic() + 10
                while next(lines) != "event: reload":
                    assert time.monotonic() < deadline, "no reload event within 10 s"
                reload = json.loads(next(lines).removeprefix("data:"))
                assert "transcript.json" in reload["message"]

            def reloaded() -> bool:
                cues = page.get(f"/api/videos/{VIDEO}/tracks/fr").json()["cues"]
                return "changé sur le disque" in cues[0]["text"].replace("\n", " ")

            _wait_for("the changed transcript shows", reloaded, 10)
        server = psutil.Process(proc.pid)
        burning = _wait_for("the re-render at work", lambda: _rendering(server, idle), 30)
        family = server.children(recursive=True)
        if to == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
    assert burning
    _, alive = psutil.wait_procs(family, timeout=3)  # a helper may take a moment to see its parent gone
    left = []
    for p in alive:
        with contextlib.suppress(psutil.Error):
            if p.status() != psutil.STATUS_ZOMBIE:
                left.append(" ".join(p.cmdline()))
    stderr = proc.stderr.read() if proc.stderr else ""
    problems = {
        "processes left running": left,
        "partial files left": sorted(
            p.relative_to(tmp_path).as_posix() for p in (tmp_path / "out").rglob("*.partial*")
        ),
        "tracebacks on stderr": [stderr] if "Traceback" in stderr else [],
    }
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.render
def test_after_an_export_a_run_makes_the_same_outputs(tmp_path: Path, clip15: Path) -> None:
    """Edit (text, times, an insert, a delete), run; export into the transcript; run again: every output the same."""
    job = write_job(tmp_path, clip15)
    served = signed_in(job)
    try:
        en = {c["id"]: c for c in served.track("en")["cues"]}
        s01, s02 = en["s01.0"], en["s02.1"]
        changes = [
            {"op": "update", "id": "s01.0", "version": s01["version"], "start_ms": s01["start_ms"],
             "end_ms": s01["end_ms"], "text": "Exported\nwith its own breaks."},
            {"op": "update", "id": "s02.1", "version": s02["version"], "start_ms": s02["start_ms"] + 200,
             "end_ms": s02["end_ms"], "text": s02["text"]},
            {"op": "insert", "start_ms": 13_600, "end_ms": 14_700, "text": "A new line."},
            {"op": "delete", "id": "s02.0", "version": en["s02.0"]["version"]},
        ]  # fmt: skip
        assert served.post(f"/api/videos/{VIDEO}/tracks/en/edits", {"changes": changes}).status_code == 200
    finally:
        served.client.close()
        served.studio.db.close()
    assert run_cli("run", str(job))[0] == 0
    out = tmp_path / "out"
    before = {e["path"]: e["sha256"] for e in manifest(out)["files"]}
    code, _ = run_cli("studio", str(job), "--export")
    assert code == 0 and "A new line." in (tmp_path / "transcript.json").read_text(encoding="utf-8")
    assert run_cli("run", str(job))[0] == 0
    assert {e["path"]: e["sha256"] for e in manifest(out)["files"]} == before
    assert "Exported\nwith its own breaks." in (out / VIDEO / "en" / f"{VIDEO}.en.srt").read_text(encoding="utf-8")
