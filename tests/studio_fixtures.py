"""Shared pieces of the studio tests: a two-language job on the 15 s clip, the studio app as ``serve`` builds it,
a signed-in test client, and a real uvicorn server in a thread."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from pipeline.studio.access import Access, guarded
from pipeline.studio.app import create_app
from pipeline.studio.events import Events
from pipeline.studio.renderer import Renderer
from pipeline.studio.serve import bind
from pipeline.studio.state import Studio

with warnings.catch_warnings():  # Starlette prefers httpx2 for its TestClient; httpx 0.28 is what is installed
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

__all__ = [
    "LANGS",
    "VIDEO",
    "Served",
    "TestClient",
    "build_app",
    "cue",
    "real_server",
    "set_segment_text",
    "signed_in",
    "signed_in_to",
    "update",
    "write_job",
]

ROOT = Path(__file__).resolve().parents[1]
TRANSCRIPT = ROOT / "subtitles" / "promo" / "transcript.json"
LANGS = ("en", "fr")
VIDEO = "clip"
CLIP_END_MS = 14_500  # segments wholly before this lie inside the 15 s clip


def write_transcript(folder: Path) -> Path:
    """``folder/transcript.json``: the sample's segments inside the 15 s clip (s01, s02), English and French only."""
    doc = json.loads(TRANSCRIPT.read_text(encoding="utf-8"))
    segments = [s for s in doc["segments"] if s["end_ms"] <= CLIP_END_MS]
    for seg in segments:
        seg["text"] = {lang: seg["text"][lang] for lang in LANGS}
    doc.update(segments=segments, languages=list(LANGS))
    path = folder / "transcript.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def set_segment_text(transcript: Path, segment: str, lang: str, text: str) -> None:
    """Change one segment's text of one language in a transcript on disk."""
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    for seg in doc["segments"]:
        if seg["id"] == segment:
            seg["text"][lang] = text
    transcript.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def write_job(folder: Path, clip: Path, burn: bool = True) -> Path:
    """``folder/job.toml``: the clip in English and French, burned (fast encoder) or not, no mux, no review page."""
    transcript = write_transcript(folder)
    text = (
        f'output_dir = "{folder / "out"}"\n[[videos]]\nname = "{VIDEO}"\nvideo = "{clip}"\n'
        f'transcript = "{transcript}"\nlanguages = ["en", "fr"]\ndefault_language = "en"\n'
        f"[outputs]\nburn = {'true' if burn else 'false'}\nmux = []\nreview = false\n"
        '[render]\ncrf = 30\npreset = "ultrafast"\n'
    )
    path = folder / "job.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Served:
    """The studio's parts as ``pipeline.studio.serve.serve`` wires them, and a signed-in client."""

    job: Path
    studio: Studio
    events: Events
    renderer: Renderer
    access: Access
    app: Any
    client: TestClient
    csrf: str

    @property
    def out(self) -> Path:
        """The job's output folder."""
        return self.studio.job.output_dir

    def post(self, url: str, body: Any, **headers: str | bytes) -> Any:
        """POST ``body`` (JSON data, or str/bytes sent as is) with the CSRF token."""
        content = body if isinstance(body, str | bytes) else json.dumps(body)
        sent = {"x-csrf-token": self.csrf, "content-type": "application/json", **headers}
        return self.client.post(url, content=content, headers=sent)

    def track(self, lang: str = "en") -> dict[str, Any]:
        """The track JSON of one language."""
        response = self.client.get(f"/api/videos/{VIDEO}/tracks/{lang}")
        assert response.status_code == 200, response.text
        return dict(response.json())


def build_app(job: Path) -> tuple[Studio, Events, Renderer, Access, Any]:
    """The guarded app as ``serve`` builds it (the render thread not started)."""
    studio = Studio(job)
    events = Events()
    renderer = Renderer(studio, events)
    access = Access()
    return studio, events, renderer, access, guarded(create_app(studio, renderer, events, access), access)


def signed_in(job: Path) -> Served:
    """The studio of ``job`` with a TestClient that took the token's cookie.

    TestClient sends ``Host: testserver`` (no port), so the studio is told to answer to exactly that host:
    ``access.serve("testserver", 80)`` would expect ``testserver:80``.
    """
    studio, events, renderer, access, app = build_app(job)
    access.hosts = {"testserver"}
    client = TestClient(app, raise_server_exceptions=False)
    welcome = client.get(f"/?token={access.token}", follow_redirects=False)
    assert welcome.status_code == 303, welcome.text
    csrf = client.get("/api/session").json()["csrf"]
    return Served(job, studio, events, renderer, access, app, client, csrf)


@contextmanager
def real_server(studio: Studio, events: Events, access: Access, app: Any) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1 (a free port) in a thread; yields its base address."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    access.serve("127.0.0.1", port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1))

    async def main() -> None:
        events.bind(asyncio.get_running_loop())
        try:
            await server.serve(sockets=[sock])
        finally:
            events.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start within 10 s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        events.close()
        server.should_exit = True
        thread.join(10)
        sock.close()
        assert not thread.is_alive(), "uvicorn did not stop within 10 s"


def cue(track: dict[str, Any], cid: str) -> dict[str, Any]:
    """The cue ``cid`` of a track JSON."""
    return dict(next(c for c in track["cues"] if c["id"] == cid))


def update(c: dict[str, Any], **new: Any) -> dict[str, Any]:
    """An update change of cue ``c`` (as the track JSON gives it) with some fields changed."""
    fields = {k: c[k] for k in ("start_ms", "end_ms", "text")}
    return {"op": "update", "id": c["id"], "version": c["version"], **fields, **new}


@contextmanager
def signed_in_to(job: Path) -> Iterator[Served]:
    """:func:`signed_in`, closed afterwards."""
    served = signed_in(job)
    try:
        yield served
    finally:
        served.client.close()
        served.studio.db.close()
