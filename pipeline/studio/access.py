"""Who may talk to the studio: the access token, its cookie, the CSRF token, the Host/Origin checks and the
security headers every response carries.

The start address carries a random token (``/?token=...``); the first visit turns it into an HttpOnly,
SameSite=Strict cookie and redirects to the address without it. Tokens are compared in constant time.
A request whose Host is not the served address (DNS rebinding) or whose Origin is another site gets 403;
a state-changing request also needs the CSRF token the page reads from ``/api/session``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

COOKIE = "subpipe_studio"
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; style-src 'self'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Access:
    """The studio's secrets and the addresses it answers to."""

    hosts: set[str] = field(default_factory=set)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))

    @property
    def csrf(self) -> str:
        """The CSRF token: derived from the access token, so it needs no storage."""
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()[:32]

    cookie: str = COOKIE

    def serve(self, host: str, port: int) -> None:
        """Answer to ``host:port`` (and localhost and 127.0.0.1 when ``host`` is the loopback); the cookie is
        named after the port, since browsers share cookies between the ports of one host."""
        names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
        self.hosts = {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}
        self.cookie = f"{COOKIE}_{port}"

    def origins(self) -> set[str]:
        """The origins a page of the studio has."""
        return {f"http://{h}" for h in self.hosts} | {f"https://{h}" for h in self.hosts}

    def ok_token(self, given: str) -> bool:
        """Whether ``given`` is the access token (constant time)."""
        return hmac.compare_digest(given.encode(), self.token.encode())


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _cookie(scope: Scope, name: str) -> str:
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _refuse(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message, "field": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _welcome(scope: Scope, send: Send, access: Access) -> None:
    """The first visit with the token: set the cookie and send the browser to the address without it."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"]
    location = scope["path"] + (f"?{urlencode(query)}" if query else "")
    cookie = f"{access.cookie}={access.token}; HttpOnly; SameSite=Strict; Path=/"
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": b""})


def _why_refused(scope: Scope, access: Access) -> tuple[int, str] | None:
    if _header(scope, b"host") not in access.hosts:
        return 403, "this studio does not answer to that host name"
    origin = _header(scope, b"origin")
    if origin and origin not in access.origins():
        return 403, "requests from another site are refused"
    if not access.ok_token(_cookie(scope, access.cookie)):
        return 401, "no valid access token: open the address the studio printed when it started"
    given = _header(scope, b"x-csrf-token").encode("latin-1")
    if scope["method"] in UNSAFE and not hmac.compare_digest(given, access.csrf.encode()):
        return 403, "missing or wrong CSRF token: reload the page"
    return None


def guarded(app: App, access: Access) -> App:
    """``app`` behind the access checks, every response with the security headers."""

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        host_ok = _header(scope, b"host") in access.hosts
        if scope["method"] == "GET" and "token" in query and host_ok and access.ok_token(query["token"]):
            await _welcome(scope, send, access)
            return
        refused = _why_refused(scope, access)
        if refused:
            await _refuse(send, *refused)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await app(scope, receive, with_headers)

    return guard
