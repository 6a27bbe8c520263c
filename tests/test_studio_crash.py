"""kill -9 of ``subpipe studio`` while edits stream in: an edit is acknowledged only once it is committed.

A client thread sends 2,000 small edits (single updates, two-cue batches, insert+delete batches) to the real server,
within its write rate, while the main thread kills it with SIGKILL at random moments (seeded), 0.1-1.0 s after each
restart was checked, at least 20 times, often with a render running, and starts it again. After every restart each
acknowledged edit is there, the edit in flight at the kill is there whole or not at all, versions are exactly what
the acknowledged edits made them, the store holds one history row per committed change and passes
``PRAGMA integrity_check``. At the end the last render carries the last edits, the manifest matches the files, no file
is partial under any name, no process of a killed server outlives it by 10 s, and SIGINT stops the last server with 0.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

import httpx
import psutil
import pytest

from pipeline.studio.limits import Buckets, Rate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import LANGS, ROOT, VIDEO, write_job

SEED = 2026
EDITS = 2000
WRITE_RATE = 1000.0  # the stream is the test, not the limit (tests/test_studio_access.py tests that)
MIN_KILLS = 20
STREAM_S = 600  # the whole stream of edits and kills, at most
LAST_MS = 14_400  # every cue stays inside the 15 s clip
State = tuple[int, int, str]  # start_ms, end_ms, text
Cues = dict[str, tuple[State, int]]  # cue id -> (state, version)


@dataclass(frozen=True)
class Change:
    """One change of an edit: ``op`` update/insert/delete, the cue (None: inserted), its new state (None: deleted)."""

    op: str
    cid: str | None
    new: State | None
    version: int = 0

    def body(self) -> dict[str, Any]:
        fields = {} if self.new is None else dict(zip(("start_ms", "end_ms", "text"), self.new, strict=True))
        if self.op == "insert":
            return {"op": "insert", **fields}
        return {"op": self.op, "id": self.cid, "version": self.version, **fields}


@dataclass(frozen=True)
class Edit:
    lang: str
    label: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Life:
    """One run of the server: its process, address, cookie and CSRF token."""

    gen: int
    proc: subprocess.Popen[str]
    base: str
    cookies: dict[str, str]
    csrf: str
    final: bool


def cues_of(cues: list[dict[str, Any]]) -> Cues:
    return {c["id"]: ((c["start_ms"], c["end_ms"], c["text"]), c["version"]) for c in cues}


def start_server(job: Path, gen: int, final: bool) -> Life:
    """``python -m pipeline studio JOB --port 0``, signed in (cookie ``subpipe_studio_<port>``, CSRF token)."""
    argv = [sys.executable, "-m", "pipeline", "studio", str(job), "--port", "0", "--write-rate", str(WRITE_RATE)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with (job.parent / f"server{gen}.err").open("w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env, start_new_session=True)
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        line = proc.stdout.readline() if ready else ""
        found = re.fullmatch(r"studio: (http://127\.0\.0\.1:(\d+))/\?token=([\w-]+)\n", line)
        assert found, f"server {gen} printed {line!r}"
        with httpx.Client(base_url=found[1], timeout=10) as page:
            welcome = page.get(f"/?token={found[3]}")
            name = f"subpipe_studio_{found[2]}"
            assert welcome.status_code == 303 and name in welcome.cookies, welcome.headers
            csrf = page.get("/api/session").json()["csrf"]
    except BaseException:
        proc.kill()
        proc.wait(5)
        raise
    return Life(gen, proc, found[1], {name: welcome.cookies[name]}, csrf, final)


def store_facts(store: Path) -> tuple[str, int]:
    """``PRAGMA integrity_check`` of the store, opened read-only beside the running server (WAL), and its history
    rows (one per committed change)."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)) as db:
        verdict = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
        return verdict, int(db.execute("SELECT COUNT(*) FROM edits").fetchone()[0])


class Stage:
    """What the killer and the editor share: the current server, how far each got, the editor's failure."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.life: Life | None = None
        self.checked = 0
        self.sent = 0
        self.stop = False
        self.error: BaseException | None = None

    def publish(self, life: Life) -> None:
        with self.cond:
            self.life = life
            self.cond.notify_all()

    def next_life(self, after: int) -> Life | None:
        """The first server after generation ``after`` (None: stop)."""
        with self.cond:
            while not self.stop and (self.life is None or self.life.gen <= after):
                self.cond.wait(0.5)
            return None if self.stop else self.life

    def wait_checked(self, gen: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.checked < gen and self.error is None:
                assert time.monotonic() < deadline, f"restart {gen} was not checked within {timeout} s"
                self.cond.wait(0.1)
        if self.error is not None:
            raise self.error


@dataclass
class Editor:
    """Streams edits, keeps the model of every acknowledged cue and checks each restart against it."""

    stage: Stage
    store: Path
    rng: random.Random = field(default_factory=lambda: random.Random(SEED + 1))
    model: dict[str, Cues] = field(default_factory=dict)
    pending: Edit | None = None  # the edit a kill cut short: applied or not, whole
    committed = 0  # changes committed: one history row each
    acked = 0
    unknown = 0
    applied_unknown = 0
    checks = 0
    throttled = 0  # 429 answers (the edit is then sent again)

    def run(self) -> None:
        try:
            gen = 0
            while (life := self.stage.next_life(gen)) is not None:
                gen = life.gen
                with httpx.Client(base_url=life.base, cookies=life.cookies, timeout=5) as client:
                    self.check(client)
                    with self.stage.cond:
                        self.stage.checked = gen
                        self.stage.cond.notify_all()
                    if life.final:
                        return
                    self.stream(client, life.csrf)
        except BaseException as exc:
            with self.stage.cond:
                self.stage.error = exc
                self.stage.cond.notify_all()

    def check(self, client: httpx.Client) -> None:
        """Every acknowledged state is there, the edit in flight all or nothing, the store whole."""
        for lang in LANGS:
            response = client.get(f"/api/videos/{VIDEO}/tracks/{lang}")
            assert response.status_code == 200, response.text
            seen = cues_of(response.json()["cues"])
            known = self.model.get(lang)
            if known is not None:
                edit = self.pending if self.pending is not None and self.pending.lang == lang else None
                self.expect(lang, known, seen, edit, self.outcome(known, seen, edit) if edit else False)
            self.model[lang] = seen
        self.pending = None
        self.checks += 1
        assert store_facts(self.store) == ("ok", self.committed), "store damaged, or history rows != changes committed"

    def outcome(self, known: Cues, seen: Cues, edit: Edit) -> bool:
        """Whether the edit a kill cut short was committed: every change of it, or none (else fail)."""
        applied = []
        for change in edit.changes:
            if change.op == "insert":
                applied.append(any(s == change.new for cid, (s, _) in seen.items() if cid not in known))
            elif change.op == "delete":
                applied.append(change.cid not in seen)
            else:
                assert change.cid in seen, f"cue {change.cid} vanished"
                applied.append(seen[change.cid][0] == change.new)
        assert len(set(applied)) == 1, f"half-applied {edit}: {applied} in {seen}"
        self.applied_unknown += applied[0]
        return applied[0]

    def expect(self, lang: str, known: Cues, seen: Cues, edit: Edit | None, applied: bool) -> None:
        """``seen`` is ``known`` with ``edit`` applied or not; versions grow by one on a changed cue, else stay."""
        expected = {cid: s for cid, (s, _) in known.items()}
        changed: set[str] = set()
        for change in edit.changes if edit is not None and applied else ():
            cid = change.cid or next(c for c, (s, _) in seen.items() if c not in known and s == change.new)
            changed.add(cid)
            if change.new is None:
                expected.pop(cid)
            else:
                expected[cid] = change.new
            self.committed += 1
        assert {cid: s for cid, (s, _) in seen.items()} == expected, f"{lang}: acknowledged edits lost or changed"
        for cid, (_, version) in seen.items():
            old = known[cid][1] if cid in known else 0
            assert version == (old + 1 if cid in changed else old), f"{lang} {cid}: version {version} after {old}"

    def stream(self, client: httpx.Client, csrf: str) -> None:
        """Send edits until the server dies (that edit is then unknown) or every edit was sent, within the
        studio's write rate (a new server's bucket is full)."""
        bucket = Buckets(Rate(WRITE_RATE, 2 * WRITE_RATE))
        while self.stage.sent < EDITS:
            edit = self.make(self.stage.sent)
            body = {"label": edit.label, "changes": [c.body() for c in edit.changes]}
            with self.stage.cond:
                self.stage.sent += 1
            try:
                response = self.post(client, bucket, f"/api/videos/{VIDEO}/tracks/{edit.lang}/edits", body, csrf)
            except httpx.TransportError:  # connection refused or cut, or a timeout: committed or not
                self.pending = edit
                self.unknown += 1
                return
            assert response.status_code == 200, f"{body} -> {response.status_code} {response.text}"
            answer = response.json()
            seen = cues_of(answer["cues"])
            self.expect(edit.lang, self.model[edit.lang], seen, edit, True)
            assert [c.cid or i for c, i in zip(edit.changes, answer["changed"], strict=True)] == answer["changed"]
            self.model[edit.lang] = seen
            self.acked += 1

    def post(self, client: httpx.Client, bucket: Buckets, url: str, body: Any, csrf: str) -> httpx.Response:
        """POST ``body``, waiting first when the client is over the studio's write rate, and again after a 429."""
        while True:
            while wait := bucket.take("me"):
                time.sleep(wait)
            response = client.post(url, json=body, headers={"x-csrf-token": csrf})
            if response.status_code != 429:
                return response
            self.throttled += 1
            time.sleep(0.05)

    def make(self, n: int) -> Edit:
        """Edit number ``n``: a text or time update (half), two cues updated together or an insert with a delete."""
        lang = self.rng.choice(LANGS)
        cues = self.model[lang]
        ids = sorted(cues)
        kind = self.rng.random()
        if kind < 0.5 or len(ids) < 2:
            cid = self.rng.choice(ids)
            return Edit(lang, "text", (self.update(cid, cues[cid], f"e{n} {lang}"),))
        if kind < 0.75:
            a, b = self.rng.sample(ids, 2)
            return Edit(lang, "text", (self.update(a, cues[a], f"e{n}a"), self.update(b, cues[b], f"e{n}b\ntwo")))
        start = self.rng.randrange(0, LAST_MS - 1500, 10)
        insert = Change("insert", None, (start, start + self.rng.randrange(400, 1500, 10), f"e{n} new"))
        gone = self.rng.choice(ids)
        return Edit(lang, "insert", (insert, Change("delete", gone, None, cues[gone][1])))

    def update(self, cid: str, cue: tuple[State, int], text: str) -> Change:
        """An update of ``cue`` to a new unique ``text``, moved in time too three times in ten."""
        (start, end, _), version = cue
        if self.rng.random() < 0.3:
            shift = self.rng.choice([-1, 1]) * self.rng.randrange(10, 200, 10)
            shift = max(-start, min(shift, LAST_MS - end)) or (10 if end < LAST_MS else -10)
            start, end = start + shift, end + shift
        return Change("update", cid, (start, end, text), version)


def _cmd(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(proc.cmdline())
    return ""


@dataclass
class Killer:
    """Starts the server, lets the editor check it, kills it 0.1-1.0 s later; records what each kill left."""

    job: Path
    stage: Stage
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    lives: list[Life] = field(default_factory=list)
    family: list[psutil.Process] = field(default_factory=list)  # every process below a killed server
    timings: list[tuple[float, float, int]] = field(default_factory=list)  # per life: start, check (s), edits
    kills = 0
    rendering = 0  # kills with an ffmpeg of a render running
    last_kill = 0.0

    def run(self) -> Life:
        """Kill and restart until every edit was sent and there were enough kills; the last server, checked."""
        deadline = time.monotonic() + STREAM_S
        while True:
            assert time.monotonic() < deadline, f"{self.stage.sent} edits, {self.kills} kills in {STREAM_S} s"
            final = self.stage.sent >= EDITS and self.kills >= MIN_KILLS
            began = time.monotonic()
            life = start_server(self.job, len(self.lives) + 1, final)
            self.lives.append(life)
            up = time.monotonic()
            self.stage.publish(life)
            self.stage.wait_checked(life.gen, 30)
            checked, sent = time.monotonic(), self.stage.sent
            if final:
                return life
            time.sleep(self.rng.uniform(0.1, 1.0))
            self.kill(life)
            self.timings.append((up - began, checked - up, self.stage.sent - sent))

    def kill(self, life: Life) -> None:
        assert life.proc.poll() is None, f"server {life.gen} ended by itself ({life.proc.returncode})"
        below = psutil.Process(life.proc.pid).children(recursive=True)
        self.family += below
        life.proc.send_signal(signal.SIGKILL)
        life.proc.wait(5)
        self.last_kill = time.monotonic()
        self.kills += 1
        self.rendering += any("ffmpeg" in _cmd(p).split(" ")[0] for p in below)

    def ours(self) -> list[psutil.Process]:
        """Every live process of a server this test started (each in its own session), the last one's included."""
        sessions = {life.proc.pid for life in self.lives}
        found = []
        for proc in psutil.process_iter(["status"]):
            with contextlib.suppress(psutil.Error, OSError):
                if (proc in self.family or os.getsid(proc.pid) in sessions) and proc.info["status"] != "zombie":
                    found.append(proc)
        return found

    def survivors(self, last: Life) -> list[str]:
        """What of a killed server still runs 10 s after the last kill."""
        psutil.wait_procs(self.family, timeout=max(0.0, self.last_kill + 10 - time.monotonic()))
        alive = [p for p in self.ours() if p.pid != last.proc.pid and os.getsid(p.pid) != last.proc.pid]
        return [f"{p.pid}: {_cmd(p)}" for p in alive]

    def end(self) -> None:
        """Kill every server still running, then whatever they left (by pid)."""
        for life in self.lives:
            if life.proc.poll() is None:
                life.proc.kill()
                life.proc.wait(5)
        for proc in self.ours():
            with contextlib.suppress(psutil.Error):
                proc.kill()


def rendered(client: httpx.Client, timeout: float) -> dict[str, Any]:
    """The render state once the video is done (twice in a row, same seq), within ``timeout`` s."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        video = client.get("/api/overview").json()["videos"][0]
        states = {lang["lang"]: lang["render"] for lang in video["languages"]}
        assert all(s["state"] != "failed" for s in states.values()), states
        if all(s["state"] == "done" for s in states.values()):
            if states == last:
                return states
            last = states
        time.sleep(0.25)
    raise AssertionError(f"the last server did not render within {timeout} s: {last}")


def srt_cues(path: Path) -> list[State]:
    found = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.split("\n")
        times = re.findall(r"(\d+):(\d\d):(\d\d),(\d\d\d)", lines[1])
        start, end = (((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms) for h, m, s, ms in times)
        found.append((start, end, "\n".join(lines[2:])))
    return sorted(found)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def facts(path: Path) -> tuple[str, int]:
    return sha256(path), path.stat().st_size


def check_outputs(out: Path, model: dict[str, Cues], ass: dict[str, bytes]) -> None:
    """The files carry the last edits, the manifest matches them, nothing partial under any name."""
    folder = out / VIDEO
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for lang in LANGS:
        assert srt_cues(folder / lang / f"{VIDEO}.{lang}.srt") == sorted(s for s, _ in model[lang].values()), lang
        drawn = manifest["burns"][lang]["decided_by"]["ass"]  # the burned cut was drawn from this document
        assert drawn == sha256(folder / lang / f"{VIDEO}.{lang}.ass") == hashlib.sha256(ass[lang]).hexdigest(), lang
    listed = {f["path"]: f for f in manifest["files"]}
    assert {"srt", "ass", "burned"} <= {f["kind"] for f in listed.values()}, listed
    wrong = [p for p, f in listed.items() if facts(folder / p) != (f["sha256"], f["size"])]
    assert wrong == [], f"files that are not what the manifest says: {wrong}"
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present - set(listed) == {"manifest.json"}, "files under output names the manifest does not list"
    left = [p.relative_to(out).as_posix() for p in out.rglob("*") if ".partial" in p.name or ".commit-" in p.name]
    assert left == [], f"partial files or commit journals left: {left}"


@pytest.mark.render
@pytest.mark.soak
def test_acknowledged_edits_survive_kill_9_whole_and_renders_are_redone(tmp_path: Path, clip15: Path) -> None:
    job = write_job(tmp_path, clip15)
    out = tmp_path / "out"
    stage = Stage()
    editor = Editor(stage, out / "studio.sqlite")
    killer = Killer(job, stage)
    thread = threading.Thread(target=editor.run, name="editor", daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        last = killer.run()
        thread.join(10)
        assert not thread.is_alive() and stage.error is None, stage.error
        with httpx.Client(base_url=last.base, cookies=last.cookies, timeout=10) as client:
            states = rendered(client, 30)
            ass = {lang: client.get(f"/api/videos/{VIDEO}/tracks/{lang}/ass").content for lang in LANGS}
        check_outputs(out, editor.model, ass)
        left = killer.survivors(last)
        last.proc.send_signal(signal.SIGINT)
        code = last.proc.wait(15)
        store = store_facts(out / "studio.sqlite")
    finally:
        with stage.cond:
            stage.stop = True
        killer.end()
        thread.join(5)
    starts, checks, edits = zip(*killer.timings, strict=True)
    print(
        f"\n{stage.sent} edits ({editor.acked} acknowledged, {editor.unknown} cut short of which"
        f" {editor.applied_unknown} committed, {editor.throttled} throttled), {killer.kills} kills"
        f" ({killer.rendering} with ffmpeg burning), {editor.checks} checks; per life: start {mean(starts):.2f} s"
        f" (max {max(starts):.2f}), check {mean(checks):.2f} s (max {max(checks):.2f}), {mean(edits):.0f} edits"
        f" ({min(edits)}-{max(edits)}); {time.monotonic() - started:.1f} s"
        f" in all; last render {states['en']['message']}"
    )
    assert stage.sent >= EDITS and killer.kills >= MIN_KILLS
    errs = [f.read_text(encoding="utf-8") for f in tmp_path.glob("server*.err")]
    problems = {
        "no kill landed while an ffmpeg of a render ran": killer.rendering == 0,
        "processes of killed servers still running 10 s after the last kill": left,
        "exit code of the last server on SIGINT": code,
        "store after the last stop (integrity, history rows)": [] if store == ("ok", editor.committed) else store,
        "tracebacks on a server's stderr": [e for e in errs if "Traceback" in e],
    }
    assert {k: v for k, v in problems.items() if v} == {}
