"""Running the studio: bind the address, start the render thread and uvicorn, stop everything on Ctrl-C.

uvicorn is the server (the reference ASGI server, pure Python with its standard loop); Starlette the
app. The socket is bound here, before the server starts, so that ``--port 0`` gives a known port for
the printed address and the Host check.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from pipeline.core.errors import PipelineError, UsageError
from pipeline.studio.access import Access, guarded
from pipeline.studio.app import create_app
from pipeline.studio.events import Events
from pipeline.studio.export import export_job
from pipeline.studio.limits import WRITES, Buckets, Rate
from pipeline.studio.renderer import Renderer
from pipeline.studio.state import Studio
from pipeline.studio.users import load_users

logger = logging.getLogger(__name__)
WILDCARDS = frozenset({"0.0.0.0", "::", ""})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WATCH_S = 1.0  # how often the job file and its inputs are looked at for changes


@dataclass(frozen=True)
class Served:
    """What the studio listens on, and the address to open (with the access token)."""

    host: str
    port: int
    address: str
    warnings: list[str] = field(default_factory=list)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (0: any free port).

    Raises:
        UsageError: when the address is taken or cannot be bound.
    """
    if host in WILDCARDS:
        raise UsageError(f"--host {host} listens on every address, but the studio checks the Host header against one: "
                         "give the address or name its users will open (e.g. --host 192.168.1.20)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on such sockets; without it every response waits ~40 ms
    # for a delayed ACK (Nagle), since uvicorn writes the headers and the body separately
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@dataclass(frozen=True)
class Options:
    """How the studio is served: the address, the users file (None: the printed token), the public URLs
    a reverse proxy serves it at (their Host and Origin are accepted), and the saves a second per client."""

    host: str = "127.0.0.1"
    port: int = 8800
    users: Path | None = None
    public: tuple[str, ...] = ()
    write_rate: float = WRITES.per_second


def _access(options: Options, port: int) -> tuple[Access, list[str]]:
    """The access rules of the studio, and the warnings to print."""
    access = Access(users=load_users(options.users) if options.users else None)
    access.writes = Buckets(Rate(options.write_rate, 2 * options.write_rate))
    access.serve(options.host, port, options.public)
    warnings = []
    if options.host not in LOOPBACK and options.users is None:
        warnings.append(
            f"--host {options.host}: anyone who can reach this address and learns the token can edit; "
            "give named users with --users FILE, and put TLS in front "
            '(a reverse proxy: see the manual, docs/studio.md, "A studio for a team")'
        )
    return access, warnings


def serve(job: Path, options: Options, announce: Callable[[Served], None]) -> None:
    """Serve the studio of ``job`` until interrupted; ``announce`` gets the address once it listens.

    Raises:
        InputError: when the job file or the users file cannot be read.
        UsageError: when the address cannot be bound.
    """
    studio = Studio(job)
    events = Events()
    renderer = Renderer(studio, events)
    sock = bind(options.host, options.port)
    bound = sock.getsockname()[1]
    access, warnings = _access(options, bound)
    app = guarded(create_app(studio, renderer, events, access), access)
    config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=1, lifespan="off")
    server = uvicorn.Server(config)
    name = f"[{options.host}]" if ":" in options.host else options.host
    where = f"http://{name}:{bound}/"
    served = Served(options.host, bound, where if access.users else f"{where}?token={access.token}", warnings)

    async def watch() -> None:
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                said = await asyncio.to_thread(studio.reload_if_changed)
            except PipelineError as exc:  # a job file saved half-way: the studio keeps the old one
                events.publish("reload", {"message": str(exc), "ok": False})
                continue
            if said:
                logger.warning("studio: %s", "; ".join(said))
                events.publish("reload", {"message": said[0], "stale": said[1:], "ok": True})
                for vj in studio.job.videos:
                    renderer.request(vj.name)

    async def main() -> None:
        events.bind(asyncio.get_running_loop())
        watcher = asyncio.create_task(watch())
        renderer.start()
        for vj in studio.job.videos:
            renderer.request(vj.name)  # an unchanged video is kept as is in under a second
        announce(served)
        try:
            await server.serve(sockets=[sock])
        finally:
            watcher.cancel()
            events.close()

    try:
        asyncio.run(main())
    finally:
        renderer.stop()
        sock.close()
        studio.db.close()


def export(job: Path) -> list[Path]:
    """Write the stored edits of ``job`` into its transcripts (``subpipe studio --export``), without serving.

    Raises:
        InputError: when the job or a transcript cannot be read.
        OutputError: when a transcript cannot be written.
    """
    studio = Studio(job)
    try:
        return export_job(studio)
    finally:
        studio.db.close()
