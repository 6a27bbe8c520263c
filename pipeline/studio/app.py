"""The studio's web app (Starlette): its pages, the JSON API of ``docs/studio-api.md``, media and events.

Handlers are plain functions that Starlette runs in its thread pool (the store and the loaded
videos are shared through :class:`pipeline.studio.state.Studio`'s lock); only the event stream is async.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline.core.errors import InputError, OutputError, PipelineError, UsageError
from pipeline.ingest.editstore import EditConflictError, StoreWriteError, UnknownCueError
from pipeline.media.fonts import FONTS
from pipeline.studio import api
from pipeline.studio.access import Access
from pipeline.studio.events import Events
from pipeline.studio.renderer import Renderer
from pipeline.studio.state import NotFoundError, Studio
from pipeline.studio.users import User, check_password

WEB = Path(__file__).parent / "web"
MAX_BODY = 256 * 1024
Handler = Callable[[Request], Any]
_FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".ttc": "font/collection", ".otc": "font/collection"}



def _error(status: int, message: str, field: str | None = None, **extra: object) -> JSONResponse:
    return JSONResponse({"error": message, "field": field, **extra}, status_code=status)


def _problem(exc: PipelineError) -> JSONResponse:
    if isinstance(exc, EditConflictError):
        return _error(409, str(exc), None, conflicts=api.conflicts_json(exc))
    if isinstance(exc, api.TrackChangedError):
        return _error(409, str(exc), None, digest=exc.digest)
    if isinstance(exc, api.TooLargeError):
        return _error(413, exc.problem)
    if isinstance(exc, api.ForbiddenError):
        return _error(403, str(exc))
    if isinstance(exc, NotFoundError | UnknownCueError):
        return _error(404, getattr(exc, "problem", str(exc)))
    if isinstance(exc, InputError):
        return _error(422 if hasattr(exc, "field") else 400, exc.problem, getattr(exc, "field", None))
    if isinstance(exc, StoreWriteError):
        return _error(507 if exc.full else 503, exc.problem)
    if isinstance(exc, OutputError):  # a transcript or output that cannot be written: nothing was half-done
        return _error(507 if "full" in exc.problem else 503, str(exc))
    if isinstance(exc, UsageError):
        return _error(400, str(exc))
    return _error(500, str(exc))


class AnyText(Convertor[str]):
    """A path parameter of any characters, "/" and newlines included (a cue id holds its segment's id)."""

    regex = r"[\s\S]+"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("anytext", AnyText())


async def _read_body(request: Request) -> bytes:
    """The request's body, read no further than the limit (a chunked body has no length to check first)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise api.TooLargeError(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _not_found(request: Request, exc: Exception) -> Response:
    """Starlette's own 404 and 405 in the API's shape."""
    status = getattr(exc, "status_code", 404)
    return _error(status, "no such route" if status == 404 else f"{request.method} is not allowed here")


def _body(raw: bytes) -> Any:
    if len(raw) > MAX_BODY:
        raise api.TooLargeError(len(raw))
    if not raw.strip():
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise api.FieldError("body", f"is not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise api.FieldError("body", f"is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise api.FieldError("body", "is nested too deep") from None
    except ValueError:  # a number of more than 4,300 digits
        raise api.FieldError("body", "holds a number too long to read") from None


def _json_route(path: str, method: str, fn: Callable[..., object], *, body: bool = False, user: bool = False) -> Route:
    """A route whose handler ``fn`` takes the path's parameters (and the parsed body, and the signed-in user)
    and returns JSON data."""

    async def endpoint(request: Request) -> Response:
        length = int(request.headers.get("content-length") or 0)
        if length > MAX_BODY:
            return _error(413, f"request body of {length} bytes; at most {MAX_BODY}")
        try:
            args = [_body(await _read_body(request))] if body else []
            extra = {"user": request.state.user} if user else {}
            result = await run_in_threadpool(fn, *args, **request.path_params, **extra)
        except api.TooLargeError as exc:
            return _error(413, exc.problem)
        except PipelineError as exc:
            return _problem(exc)
        return JSONResponse(result, headers={"cache-control": "no-store"})

    return Route(path, endpoint, methods=[method])


def _page(name: str) -> Route:
    def page(_request: Request) -> Response:
        return FileResponse(WEB / name, media_type="text/html", headers={"cache-control": "no-store"})

    return Route("/" if name == "index.html" else "/edit/{video}/{lang}", page, methods=["GET"])


def _media_routes(studio: Studio) -> list[Route]:
    def source(request: Request) -> Response:
        vj = studio.video_job(request.path_params["video"])
        if vj.video is None:
            raise NotFoundError(None, f"video {vj.name!r} has no source video")
        return FileResponse(vj.video)

    def cut(request: Request) -> Response:
        path = api.cut_path(studio, request.path_params["video"], request.path_params["lang"])
        if path is None:
            return _error(404, "not rendered yet")
        return FileResponse(path, media_type="video/mp4", headers={"cache-control": "no-store"})

    def font(request: Request) -> Response:
        key = request.path_params["key"]
        if key not in FONTS:
            return _error(404, f"no font {key!r}")
        path = FONTS[key].path
        kind = _FONT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return FileResponse(path, media_type=kind, headers={"cache-control": "max-age=86400"})

    def wrap(fn: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def handler(request: Request) -> Response:
            try:
                return fn(request)
            except PipelineError as exc:
                return _problem(exc)

        return handler

    return [
        Route("/media/{video}/source", wrap(source), methods=["GET"]),
        Route("/media/{video}/cut/{lang}", wrap(cut), methods=["GET"]),
        Route("/fonts/{key}", wrap(font), methods=["GET"]),
    ]


def _session_routes(access: Access) -> tuple[Handler, Handler, Handler, Handler]:
    """Who the page acts as, signing in with a users file, signing out, and the sign-in page."""
    checking = asyncio.Semaphore(2)

    def session(request: Request) -> Response:
        user: User = request.state.user
        return JSONResponse({**user.as_json(), "csrf": request.state.csrf, "sign_in": access.users is not None})

    async def login(request: Request) -> Response:
        if access.users is None:
            return _error(404, "this studio has no users file: open the address it printed")
        try:
            name, password = api.credentials(_body(await _read_body(request)))
        except PipelineError as exc:
            return _problem(exc)
        # per address and name (guessing one account's password is slowed), and per address (made-up names)
        address = request.state.address
        wait = access.logins.take(f"{address}|{name}") or access.login_addresses.take(address)
        if wait:
            return _error(429, f"too many sign-in attempts: try again in {wait:.0f} s")
        if checking.locked():  # Argon2 costs 64 MiB and a core: two checks at a time, the rest wait their turn
            return _error(429, "sign-ins are busy: try again in 1 s")
        async with checking:
            user = await run_in_threadpool(check_password, access.users, name, password)
        if user is None:
            return _error(401, "wrong name or password")
        response = JSONResponse(user.as_json())
        response.headers["set-cookie"] = access.set_cookie(access.open_session(user, request.state.credential))
        return response

    def logout(request: Request) -> Response:
        if access.users is None:
            return _error(404, "this studio has no users file: there is nothing to sign out of")
        access.close_session(request.state.credential)
        response = JSONResponse({"signed_out": True})
        response.headers["set-cookie"] = f"{access.cookie}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        return response

    def login_page(_request: Request) -> Response:
        return FileResponse(WEB / "login.html", media_type="text/html", headers={"cache-control": "no-store"})

    return session, login, logout, login_page


def create_app(studio: Studio, renderer: Renderer, events: Events, access: Access) -> Starlette:
    """The studio's app (without the access guard: :func:`pipeline.studio.access.guarded` wraps it)."""
    calls = api.Api(studio, renderer, events, access)
    t = "/api/videos/{video}/tracks/{lang}"

    async def stream(request: Request) -> Response:
        credential = request.state.credential
        feed = events.stream(lambda: access.user_for(credential) is not None)
        return StreamingResponse(feed, media_type="text/event-stream", headers={"cache-control": "no-store"})

    def ass(request: Request) -> Response:
        try:
            text = calls.ass(request.path_params["video"], request.path_params["lang"])
        except PipelineError as exc:
            return _problem(exc)
        return PlainTextResponse(text, headers={"cache-control": "no-store"})

    session, login, logout, login_page = _session_routes(access)

    def schema(_request: Request) -> Response:
        return FileResponse(Path(__file__).parent / "openapi.json", media_type="application/json")

    routes = [
        _page("index.html"),
        _page("editor.html"),
        Route("/api/session", session, methods=["GET"]),
        Route("/api/login", login, methods=["POST"]),
        Route("/api/logout", logout, methods=["POST"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/api/openapi.json", schema, methods=["GET"]),
        _json_route("/api/overview", "GET", calls.overview),
        _json_route("/api/videos/{video}", "GET", calls.video),
        _json_route("/api/videos/{video}/peaks", "GET", calls.peaks),
        _json_route(t, "GET", calls.track),
        Route(t + "/ass", ass, methods=["GET"]),
        _json_route(t + "/edits", "POST", calls.edit, body=True, user=True),
        _json_route(t + "/lint", "POST", calls.lint, body=True),
        _json_route(t + "/reflow", "POST", calls.reflow, body=True),
        _json_route(t + "/cues/{cid:anytext}/history", "GET", calls.history),  # a segment id may hold "/" or "\n"
        _json_route(t + "/approve", "POST", calls.approve, body=True, user=True),
        _json_route("/api/export", "POST", calls.export, body=True, user=True),
        Route("/api/events", stream, methods=["GET"]),
        *_media_routes(studio),
        Mount("/static", app=StaticFiles(directory=WEB, follow_symlink=False), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
