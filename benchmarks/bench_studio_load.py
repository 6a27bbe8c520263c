"""The studio under load: simulated reviewers reading and editing the sample job at once, on the loopback.

    .venv/bin/python benchmarks/bench_studio_load.py [--users 50] [--seconds 60] [--think 1.0] [--seed 1]
                                                     [--json figures.json]

The job is copied and warmed up as in ``bench_studio.py`` (whose helpers this imports): a temporary copy of
``subpipe.toml`` with its own output folder, rendered once by ``python -m pipeline run`` so the studio's
re-renders are incremental. One ``python -m pipeline studio JOB --port 0`` then serves ``--users`` reviewers,
each an ``httpx.AsyncClient`` of its own (keep-alive) carrying the cookie ``subpipe_studio_<port>`` and the
``X-CSRF-Token`` header, for ``--seconds``. Each reviewer acts, waits a think time (exponential, mean ``--think``
s; 0: none, a closed-loop stress test), and acts again:

* 80% reads: a track (70% of reads), the overview (15%), one cue's history (12%), the waveform peaks (3%);
* 20% edits: one cue of a random language, its text (75%) or its times (25%, within the cue's built times),
  carrying the version of the reviewer's last read of that track (a GET, or the answer of its last save
  there, which holds the whole track). A 409 is expected: it is counted, the track read again and the
  edit retried once. Any other failure (a status that is not 2xx, a refused connection, a timeout) is an
  error. A reviewer opens a track before its first edit there: those reads count as reads.

Every acknowledged edit (cue -> version, times, text) is kept. After the load, every track is read: a lost
update is an acknowledged state overwritten without a later acknowledged edit of the same cue (the final
cue differs from the acknowledged edit with its highest version); every acknowledged state must also be in
the cue's history. Latencies are client round trips on the loopback, taken in the same Python process as
the 50 clients (its own CPU use is printed: the client shares the 2 cores with the server and its renders);
a client does not reuse a connection idle for over 4 s (uvicorn closes them after 5 s, as browsers expect).
The machine's load average and busy CPU seconds are printed too: on a shared machine, other work inflates every
latency. The reviewers share one address and credential, so the studio's per-client limits (200 reads a second,
``--write-rate`` saves, default 25) apply to them together: at the default think time they stay well under
(about 45 reads and 10 saves a second); with ``--think 0`` the saves over the limit get 429s, counted as errors.
The server's RSS (not its children) and the render process's are sampled every 0.5 s; ffmpeg is not counted.
Renders completed are the ``render`` events "done" of ``/api/events`` during the load.
The run stops by itself: reviewers start no action after ``--seconds``, and requests time out after 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_studio import MIB, VIDEO, Studio, make_job, memory, warm_up

READS = {"track": 70, "overview": 15, "history": 12, "peaks": 3}
EDIT_SHARE, TIME_SHARE, TIMEOUT = 0.2, 0.25, 30.0
KEEPALIVE = 4.0  # s: a connection idle longer is not reused (uvicorn closes idle ones after 5 s)
SAVE_TARGET_MS = 100.0
T = f"/api/videos/{VIDEO}/tracks"


@dataclass
class Ack:
    """One acknowledged edit: the cue's version and state as the server answered."""

    lang: str
    cid: str
    version: int
    state: tuple[int, int, str]


@dataclass
class Tally:
    """What every reviewer did: latencies by kind (ms), conflicts, errors, acknowledged edits."""

    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    conflicts: int = 0
    retried_saved: int = 0
    mismatched: int = 0
    errors: list[str] = field(default_factory=list)
    error_kinds: Counter[str] = field(default_factory=Counter)
    acks: list[Ack] = field(default_factory=list)


@dataclass
class World:
    """The sample's languages and their built cues by id (read once before the load)."""

    langs: list[str]
    base: dict[str, dict[str, dict[str, Any]]]


def _state(cue: dict[str, Any]) -> tuple[int, int, str]:
    return int(cue["start_ms"]), int(cue["end_ms"]), str(cue["text"])


class Reviewer:
    """One simulated reviewer with its own connection and its own view of the tracks it read."""

    def __init__(self, n: int, client: httpx.AsyncClient, world: World, tally: Tally, seed: int) -> None:
        self.n, self.client, self.world, self.tally = n, client, world, tally
        self.rng = random.Random(seed * 1000 + n)
        self.seen: dict[str, dict[str, dict[str, Any]]] = {}
        self.edits = 0

    async def run(self, deadline: float, think: float) -> None:
        """Act until ``deadline`` (perf_counter), with exponential think times of mean ``think`` s."""
        while time.perf_counter() < deadline:
            await (self.edit() if self.rng.random() < EDIT_SHARE else self.read())
            if think > 0:
                await asyncio.sleep(min(self.rng.expovariate(1 / think), max(0.0, deadline - time.perf_counter())))

    async def _call(self, kind: str, method: str, path: str, body: Any = None) -> httpx.Response | None:
        """One request, timed under ``kind``; None after an error (recorded). A save's 409 is returned."""
        start = time.perf_counter()
        try:
            response = await self.client.request(method, path, json=body)
        except httpx.HTTPError as exc:
            self.tally.errors.append(f"{kind} {path}: {type(exc).__name__}: {exc}"[:300])
            self.tally.error_kinds[f"{kind} {type(exc).__name__}"] += 1
            return None
        ms = (time.perf_counter() - start) * 1000
        if kind == "save" and response.status_code == 409:
            self.tally.conflicts += 1
            self.tally.ms["save_409"].append(ms)
            return response
        if not response.is_success:
            self.tally.errors.append(f"{kind} {path}: {response.status_code} {response.text[:200]}")
            self.tally.error_kinds[f"{kind} {response.status_code}"] += 1
            return None
        self.tally.ms[kind].append(ms)
        return response

    async def read_track(self, lang: str) -> bool:
        """GET one track and keep its cues as this reviewer's view."""
        response = await self._call("track", "GET", f"{T}/{lang}")
        if response is not None:
            self.seen[lang] = {c["id"]: c for c in response.json()["cues"]}
        return response is not None

    async def read(self) -> None:
        """One read, drawn by ``READS``."""
        kind = self.rng.choices(list(READS), weights=list(READS.values()))[0]
        lang = self.rng.choice(self.world.langs)
        if kind == "track":
            await self.read_track(lang)
        elif kind == "overview":
            await self._call(kind, "GET", "/api/overview")
        elif kind == "peaks":
            await self._call(kind, "GET", f"/api/videos/{VIDEO}/peaks")
        else:
            cid = self.rng.choice(list(self.world.base[lang]))
            await self._call(kind, "GET", f"{T}/{lang}/cues/{cid}/history")

    def _body(self, lang: str, cid: str) -> dict[str, Any]:
        """A text or time change of cue ``cid`` on this reviewer's last view of it."""
        cue, base = self.seen[lang][cid], self.world.base[lang][cid]
        start, end, text = _state(cue)
        label = "time" if self.rng.random() < TIME_SHARE else "text"
        if label == "time":
            start = base["start_ms"] + self.rng.randint(0, 40)
            end = max(start + 100, base["end_ms"] - self.rng.randint(0, 40))
        else:
            self.edits += 1
            text = f"{base['text']} [{self.n}.{self.edits}]"
        change = {"op": "update", "id": cid, "version": cue["version"], "start_ms": start, "end_ms": end,
                  "text": text}  # fmt: skip
        return {"label": label, "changes": [change]}

    async def edit(self) -> None:
        """Save one change; on a 409 read the track again and retry once."""
        lang = self.rng.choice(self.world.langs)
        if lang not in self.seen and not await self.read_track(lang):
            return
        cid = self.rng.choice(list(self.world.base[lang]))
        for attempt in (0, 1):
            body = self._body(lang, cid)
            response = await self._call("save", "POST", f"{T}/{lang}/edits", body)
            if response is None:
                return
            if response.status_code == 409:
                if attempt == 0 and await self.read_track(lang):
                    continue
                return
            self.tally.retried_saved += attempt
            self._acknowledge(lang, cid, body["changes"][0], response.json())
            return

    def _acknowledge(self, lang: str, cid: str, change: dict[str, Any], answer: dict[str, Any]) -> None:
        self.seen[lang] = {c["id"]: c for c in answer["cues"]}
        cue = self.seen[lang][cid]
        if _state(cue) != _state(change) or cue["version"] <= change["version"]:
            self.tally.mismatched += 1
        self.tally.acks.append(Ack(lang, cid, int(cue["version"]), _state(cue)))


def _busy() -> float:
    """CPU seconds the whole machine has been busy (all cores)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def _cpu(p: psutil.Process, reaped: bool = False) -> float:
    """CPU seconds of ``p`` (and of its children it waited for, with ``reaped``)."""
    t = p.cpu_times()
    return float(t.user + t.system + (t.children_user + t.children_system if reaped else 0.0))


class Sampler:
    """A thread sampling every 0.5 s the RSS of the server and of its render process, and CPU seconds: the
    server's, the render process's with its ffmpeg (alive, or waited for), the whole machine's."""

    def __init__(self, pid: int) -> None:
        self.server = psutil.Process(pid)
        self.peak = {"server": 0.0, "render": 0.0}
        self.last = dict(self.peak)
        self.render_pids: set[int] = set()
        self.render_cpu = self.ffmpeg_max = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._start: dict[str, float] = {}

    def _render(self) -> psutil.Process | None:
        for child in self.server.children(recursive=False):
            try:
                if "spawn_main" in " ".join(child.cmdline()):
                    return child
            except psutil.Error:
                continue
        return None

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        """One sample: the RSS now and the peaks so far (MiB); the render tree's CPU seconds so far."""
        try:
            self.last["server"] = self.server.memory_info().rss / MIB
            render = self._render()
            if render is not None:
                self.last["render"] = render.memory_info().rss / MIB
                self.render_pids.add(render.pid)
                tree = render.children(recursive=True)
                self.ffmpeg_max = max(self.ffmpeg_max, len(tree))
                self.render_cpu = _cpu(render, reaped=True) + sum(_cpu(p) for p in tree if p.is_running())
        except psutil.Error:
            return
        for key, value in self.last.items():
            self.peak[key] = max(self.peak[key], value)

    def start(self) -> None:
        """Start sampling."""
        self.sample()
        self._start = {"server": _cpu(self.server), "render": self.render_cpu, "machine": _busy()}
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        """Stop sampling; the figures."""
        self._stop.set()
        self._thread.join()
        self.sample()
        render_cpu = self.render_cpu - self._start["render"] if len(self.render_pids) <= 1 else None
        return {"server_peak_mib": self.peak["server"], "server_end_mib": self.last["server"],
                "render_peak_mib": self.peak["render"], "render_end_mib": self.last["render"],
                "server_cpu_s": _cpu(self.server) - self._start["server"], "render_tree_cpu_s": render_cpu,
                "render_children_max": self.ffmpeg_max,
                "machine_busy_cpu_s": _busy() - self._start["machine"]}  # fmt: skip


async def count_events(client: httpx.AsyncClient, counts: dict[str, int]) -> None:
    """Count the ``/api/events`` events (render ones by state) until cancelled."""
    name = ""
    try:
        async with client.stream("GET", "/api/events", timeout=httpx.Timeout(TIMEOUT, read=None)) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
                    key = f"render_{data['state']}" if name == "render" else name
                    counts[key] = counts.get(key, 0) + 1
    except httpx.HTTPError as exc:
        counts[f"stream ended: {type(exc).__name__}"] = 1


def lost_updates(acks: list[Ack], final: dict[str, dict[str, dict[str, Any]]]) -> dict[str, int]:
    """Acknowledged states the final store lost, and final states no acknowledged edit explains."""
    last: dict[tuple[str, str], list[Ack]] = defaultdict(list)
    for ack in acks:
        key = (ack.lang, ack.cid)
        if not last[key] or ack.version > last[key][0].version:
            last[key] = [ack]
        elif ack.version == last[key][0].version:
            last[key].append(ack)  # two acknowledged edits with one version: one was overwritten
    lost = unexplained = 0
    for (lang, cid), tops in last.items():
        cue = final[lang][cid]
        now = (int(cue["version"]), _state(cue))
        lost += sum(1 for a in tops if (a.version, a.state) != now)
        unexplained += cue["version"] > tops[0].version
    unexplained += sum(1 for lang, cues in final.items() for cid, cue in cues.items()
                       if cue["edited"] and (lang, cid) not in last)  # fmt: skip
    return {"lost_updates": lost, "unacknowledged_final_states": unexplained, "cues_edited": len(last)}


async def history_check(client: httpx.AsyncClient, acks: list[Ack]) -> int:
    """Acknowledged states missing from their cue's history."""
    by_cue: dict[tuple[str, str], list[Ack]] = defaultdict(list)
    for ack in acks:
        by_cue[(ack.lang, ack.cid)].append(ack)
    missing = 0
    for (lang, cid), cue_acks in by_cue.items():
        response = await client.get(f"{T}/{lang}/cues/{cid}/history")
        response.raise_for_status()
        afters = [r["after"] for r in response.json()["history"] if r["after"] is not None]
        states = [_state(a) for a in afters]
        missing += sum(1 for a in cue_acks if a.state not in states)
    return missing


def _client(studio: Studio, csrf: str) -> httpx.AsyncClient:
    port = httpx.URL(studio.base).port
    return httpx.AsyncClient(base_url=studio.base, cookies={f"subpipe_studio_{port}": studio.token},
                             headers={"Origin": studio.base, "X-CSRF-Token": csrf}, timeout=TIMEOUT,
                             limits=httpx.Limits(keepalive_expiry=KEEPALIVE))  # fmt: skip


async def _world(client: httpx.AsyncClient) -> World:
    overview = (await client.get("/api/overview")).raise_for_status().json()
    langs = [lang["lang"] for lang in overview["videos"][0]["languages"]]
    base = {}
    for lang in langs:
        track = (await client.get(f"{T}/{lang}")).raise_for_status().json()
        base[lang] = {c["id"]: c for c in track["cues"]}
    return World(langs, base)


async def load(studio: Studio, args: argparse.Namespace) -> dict[str, Any]:
    """``args.users`` reviewers for ``args.seconds``; then every track read back and checked."""
    csrf = studio.get("/api/session")["csrf"]
    clients = [_client(studio, csrf) for _ in range(args.users + 1)]
    harness, events = clients.pop(), _client(studio, csrf)
    counts: dict[str, int] = {}
    try:
        world = await _world(harness)
        tally, sampler = Tally(), Sampler(studio.proc.pid)
        listener = asyncio.create_task(count_events(events, counts))
        reviewers = [Reviewer(n, c, world, tally, args.seed) for n, c in enumerate(clients)]
        sampler.start()
        load_before = os.getloadavg()[0]
        own_cpu, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        deadline = start + args.seconds
        runs = [asyncio.create_task(r.run(deadline, args.think)) for r in reviewers]
        done, stuck = await asyncio.wait(runs, timeout=args.seconds + TIMEOUT + 10)
        for task in stuck:
            task.cancel()
        window = time.perf_counter() - start
        figures_load = {"loadavg_1min": [load_before, os.getloadavg()[0]]}
        after = resource.getrusage(resource.RUSAGE_SELF)
        figures = {**sampler.stop(), **figures_load}
        listener.cancel()
        tally.errors += [f"a reviewer still busy {TIMEOUT + 10:.0f} s after the end"] * len(stuck)
        tally.errors += [f"a reviewer failed: {t.exception()!r}" for t in done if t.exception() is not None]
        final = {lang: {c["id"]: c for c in (await harness.get(f"{T}/{lang}")).raise_for_status().json()["cues"]}
                 for lang in world.langs}  # fmt: skip
        figures.update(lost_updates(tally.acks, final))
        figures["missing_from_history"] = await history_check(harness, tally.acks)
        figures["memory_end"] = memory(studio.proc.pid)
    finally:
        for client in [*clients, harness, events]:
            await client.aclose()
    client_cpu = after.ru_utime + after.ru_stime - own_cpu.ru_utime - own_cpu.ru_stime
    return {**figures, **_summary(tally, window), "client_cpu_s": client_cpu, "events": counts,
            "users": args.users, "seconds": args.seconds, "think_s": args.think, "seed": args.seed,
            "languages": len(world.langs), "cues": sum(len(b) for b in world.base.values())}  # fmt: skip


def _percentiles(times: list[float]) -> dict[str, Any]:
    if len(times) < 2:
        return {"n": len(times), **{k: times[0] if times else None for k in ("p50", "p95", "p99", "max")}}
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return {"n": len(times), "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": max(times)}


def _summary(tally: Tally, window: float) -> dict[str, Any]:
    reads = [ms for kind in READS for ms in tally.ms[kind]]
    total = len(reads) + len(tally.ms["save"]) + tally.conflicts + len(tally.errors)
    return {"window_s": window, "requests": total, "rps": total / window, "reads_ms": _percentiles(reads),
            "saves_ms": _percentiles(tally.ms["save"]), "conflict_409_ms": _percentiles(tally.ms["save_409"]),
            "by_read_ms": {kind: _percentiles(tally.ms[kind]) for kind in READS},
            "conflicts_409": tally.conflicts, "retried_and_saved": tally.retried_saved,
            "acknowledged": len(tally.acks), "answer_mismatches": tally.mismatched,
            "errors": len(tally.errors), "error_kinds": dict(tally.error_kinds),
            "error_samples": tally.errors[:5]}  # fmt: skip


def _pct(p: dict[str, Any]) -> str:
    if not p["n"]:
        return "none"
    return f"{p['p50']:.1f}/{p['p95']:.1f}/{p['p99']:.1f} ms"


def report(f: dict[str, Any]) -> None:
    """Print each figure beside its target."""
    r, s, c = f["reads_ms"], f["saves_ms"], f["conflict_409_ms"]
    ev = f["events"]
    mine = f["server_cpu_s"] + (f["render_tree_cpu_s"] or 0) + f["client_cpu_s"]
    rows: list[tuple[str, str, str, bool | None]] = [
        ("warm-up run (subpipe run of the temp job)", f"{f['warmup_s']:.1f} s", "", None),
        (f"reviewers x seconds (think time mean {f['think_s']} s)", f"{f['users']} x {f['window_s']:.1f} s", "",
         None),
        ("requests / per second", f"{f['requests']} / {f['rps']:.1f}", "", None),
        (f"reads ({r['n']}): p50/p95/p99", _pct(r), "", None),
        (f"   of them track GETs ({f['by_read_ms']['track']['n']}): p50/p95/p99", _pct(f["by_read_ms"]["track"]),
         "", None),
        (f"saves acknowledged ({s['n']}): p50/p95/p99", _pct(s), f"p95 <= {SAVE_TARGET_MS:.0f} ms",
         bool(s["n"]) and s["p95"] <= SAVE_TARGET_MS),
        (f"409s (expected; {f['retried_and_saved']} saved on retry): p50/p95",
         f"{f['conflicts_409']}: {c['p50']:.0f}/{c['p95']:.0f} ms" if c["n"] else "0", "", None),
        (f"errors (anything else not 2xx, or no answer) {f['error_kinds'] or ''}", str(f["errors"]), "0",
         f["errors"] == 0),
        (f"lost updates ({f['acknowledged']} acknowledged edits, {f['cues_edited']} cues)", str(f["lost_updates"]),
         "0", f["lost_updates"] == 0),
        ("final states no acknowledged edit explains", str(f["unacknowledged_final_states"]), "0",
         f["unacknowledged_final_states"] == 0),
        ("acknowledged states missing from the cue's history", str(f["missing_from_history"]), "0",
         f["missing_from_history"] == 0),
        ("save answers not showing the saved state", str(f["answer_mismatches"]), "0", f["answer_mismatches"] == 0),
        ("server RSS: peak sampled / at the end / VmHWM",
         f"{f['server_peak_mib']:.0f}/{f['server_end_mib']:.0f}/{f['memory_end']['server_peak_mib']:.0f} MiB", "",
         None),
        ("render process RSS: peak sampled / at the end", f"{f['render_peak_mib']:.0f}/{f['render_end_mib']:.0f} MiB",
         "", None),
        (f"renders completed during the load (done / failed; up to {f['render_children_max']} ffmpeg at once)",
         f"{ev.get('render_done', 0)} / {ev.get('render_failed', 0)}", "", None),
        ("machine load average (1 min) before / after the load", "{:.1f} / {:.1f}".format(*f["loadavg_1min"]), "",
         None),
        ("CPU s: server / render process+ffmpeg / this client",
         f"{f['server_cpu_s']:.1f}/{f['render_tree_cpu_s'] or 0:.1f}/{f['client_cpu_s']:.1f} s", "", None),
        (f"   machine busy (of {psutil.cpu_count()} x {f['window_s']:.0f} s) / others' (not this benchmark's)",
         f"{f['machine_busy_cpu_s']:.0f}/{max(0.0, f['machine_busy_cpu_s'] - mine):.0f} s", "", None),
    ]  # fmt: skip
    for label, value, target, met in rows:
        verdict = "" if met is None else f"target {target}: {'met' if met else 'MISSED'}"
        print(f"{label:<62}{value:>24}  {verdict}")
    for line in f["error_samples"]:
        print(f"  error: {line}")


def main() -> None:
    """Copy the job, render it once, load the studio, print (and with --json write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="simulated reviewers")
    parser.add_argument("--seconds", type=float, default=60, help="how long they act")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time between actions, s (0: none)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the reviewers' choices")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if args.users < 1 or not 0 < args.seconds <= 3600 or args.think < 0:
        parser.error("--users must be at least 1, --seconds in (0, 3600], --think at least 0")
    with tempfile.TemporaryDirectory(prefix="bench_studio_load-") as tmp:
        job = make_job(Path(tmp))
        warmup = warm_up(job)
        studio = Studio(job, job.parent / "studio.log")
        try:
            studio.wait_address()
            studio.first_page()
            print(f"studio pid {studio.proc.pid} at {studio.base}", file=sys.stderr, flush=True)
            figures = {"warmup_s": warmup, **asyncio.run(load(studio, args))}
        finally:
            studio.stop()
    report(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
