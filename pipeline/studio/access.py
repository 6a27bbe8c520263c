"""Who may talk to the studio: the access token, its cookie, the CSRF token, the Host/Origin checks and the
security headers every response carries.

The start address carries a random token (``/?token=...``); the first visit turns it into an HttpOnly,
SameSite=Strict cookie and redirects to the address without it. Tokens are compared in constant time.
With a users file (:mod:`pipeline.studio.users`) there is no token: a person signs in at ``/login`` and
gets a session cookie of the same kind. A request whose Host is not the served address (DNS rebinding)
or whose Origin is another site gets 403; one without a valid credential 401; a state-changing request
also needs the CSRF token the page reads from ``/api/session`` (derived from its credential). Requests
over a client's rate (:mod:`pipeline.studio.limits`) get 429.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pipeline.studio.limits import LOGIN_ADDRESSES, LOGINS, READS, WRITES, Buckets
from pipeline.studio.users import LOCAL, User

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


SESSION_IDLE_S = 8 * 3600
SESSION_MAX_S = 24 * 3600
SESSIONS_PER_USER = 20


@dataclass
class Session:
    """A signed-in browser: who, when it signed in, when it was last used (monotonic seconds)."""

    user: User
    opened: float
    used: float


@dataclass
class Access:
    """The studio's secrets, its users and sessions, and the addresses it answers to."""

    hosts: set[str] = field(default_factory=set)
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    cookie: str = COOKIE
    users: dict[str, User] | None = None
    sessions: dict[str, Session] = field(default_factory=dict)
    secure: bool = False
    extra_origins: set[str] = field(default_factory=set)
    reads: Buckets = field(default_factory=lambda: Buckets(READS))
    writes: Buckets = field(default_factory=lambda: Buckets(WRITES))
    logins: Buckets = field(default_factory=lambda: Buckets(LOGINS))
    login_addresses: Buckets = field(default_factory=lambda: Buckets(LOGIN_ADDRESSES))

    @property
    def csrf(self) -> str:
        """The CSRF token of the access token (without a users file)."""
        return self.csrf_for(self.token)

    def csrf_for(self, credential: str) -> str:
        """The CSRF token of a credential (the token or a session): derived, so it needs no storage."""
        return hmac.new(credential.encode(), b"csrf", hashlib.sha256).hexdigest()[:32]

    def serve(self, host: str, port: int, public: Sequence[str] = ()) -> None:
        """Answer to ``host:port`` (and localhost and 127.0.0.1 when ``host`` is the loopback), and to each
        ``public`` URL a reverse proxy serves it at; the cookie is named after the port, since browsers
        share cookies between the ports of one host."""
        names = {host, "127.0.0.1", "localhost"} if host in ("127.0.0.1", "localhost") else {host}
        self.hosts = {f"[{name}]:{port}" if ":" in name else f"{name}:{port}" for name in names}
        for url in public:
            parts = urlsplit(url)
            self.hosts.add(parts.netloc)
            self.extra_origins.add(f"{parts.scheme}://{parts.netloc}")
        self.secure = bool(public) and all(urlsplit(u).scheme == "https" for u in public)
        self.cookie = f"{COOKIE}_{port}"

    def origins(self) -> set[str]:
        """The origins a page of the studio has."""
        return {f"http://{h}" for h in self.hosts} | {f"https://{h}" for h in self.hosts} | self.extra_origins

    def ok_token(self, given: str) -> bool:
        """Whether ``given`` is the access token (constant time)."""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def user_for(self, credential: str) -> User | None:
        """Who holds ``credential`` (the cookie's value): the token's local user, or a session's user."""
        if self.users is None:
            return LOCAL if credential and self.ok_token(credential) else None
        if not credential:
            return None
        key = hashlib.sha256(credential.encode()).hexdigest()
        session = self.sessions.get(key)
        now = time.monotonic()
        if session is None or now - session.used > SESSION_IDLE_S or now - session.opened > SESSION_MAX_S:
            self.sessions.pop(key, None)
            return None
        session.used = now
        return session.user

    def open_session(self, user: User, replacing: str = "") -> str:
        """A new session of ``user`` (ending the one of ``replacing``, the cookie the browser had): the
        cookie's value. A user has at most ``SESSIONS_PER_USER`` sessions: the oldest ends first."""
        self.close_session(replacing)
        mine = sorted((s.opened, k) for k, s in self.sessions.items() if s.user.name == user.name)
        for _, key in mine[: max(0, len(mine) - SESSIONS_PER_USER + 1)]:
            del self.sessions[key]
        credential = secrets.token_urlsafe(32)
        now = time.monotonic()
        self.sessions[hashlib.sha256(credential.encode()).hexdigest()] = Session(user, now, now)
        return credential

    def close_session(self, credential: str) -> None:
        """End the session of ``credential``."""
        self.sessions.pop(hashlib.sha256(credential.encode()).hexdigest(), None)

    def set_cookie(self, credential: str) -> str:
        """The Set-Cookie value carrying ``credential``."""
        secure = "; Secure" if self.secure else ""
        return f"{self.cookie}={credential}; HttpOnly; SameSite=Strict; Path=/{secure}"


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


async def _refuse(send: Send, status: int, message: str, wait: float = 0) -> None:
    body = json.dumps({"error": message, "field": None}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS]
    if wait:
        headers.append((b"retry-after", str(max(1, math.ceil(wait))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303, "headers": [(b"location", location.encode()), *HEADERS]})
    await send({"type": "http.response.body", "body": b""})


def _is_page(scope: Scope) -> bool:
    return scope["method"] == "GET" and not scope["path"].startswith(("/api/", "/static/", "/media/", "/fonts/"))


async def _welcome(scope: Scope, send: Send, access: Access) -> None:
    """The first visit with the token: set the cookie and send the browser to the address without it."""
    query = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode()) if k != "token"]
    location = scope["path"] + (f"?{urlencode(query)}" if query else "")
    cookie = access.set_cookie(access.token)
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode()), (b"set-cookie", cookie.encode()), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": b""})


PUBLIC = frozenset({"/login", "/static/login.js", "/static/studio.css"})


def _client(scope: Scope, access: Access, credential: str) -> str:
    """Whose bucket a request takes from: its address and, once signed in, its credential (a made-up cookie
    is no one's: it shares its address's bucket)."""
    address = (scope.get("client") or ("", 0))[0]
    if access.user_for(credential) is None:
        return str(address)
    return f"{address}|{hashlib.sha256(credential.encode()).hexdigest()[:16]}"


def _why_refused(scope: Scope, access: Access, credential: str) -> tuple[int, str, float] | None:
    """Why a request is refused (status, message, seconds to wait for a 429), or None."""
    if _header(scope, b"host") not in access.hosts:
        return 403, "this studio does not answer to that host name", 0
    origin = _header(scope, b"origin")
    if origin and origin not in access.origins():
        return 403, "requests from another site are refused", 0
    unsafe = scope["method"] in UNSAFE
    wait = (access.writes if unsafe else access.reads).take(_client(scope, access, credential))
    if wait:
        return 429, f"too many requests: try again in {wait:.1f} s", wait
    if scope["path"] in PUBLIC or scope["path"] == "/api/login":
        return None
    if access.user_for(credential) is None:
        return 401, "not signed in: sign in, or open the address the studio printed when it started", 0
    given = _header(scope, b"x-csrf-token").encode("latin-1")
    if unsafe and not hmac.compare_digest(given, access.csrf_for(credential).encode()):
        return 403, "missing or wrong CSRF token: reload the page", 0
    return None


def guarded(app: App, access: Access) -> App:
    """``app`` behind the access checks, every response with the security headers."""

    async def guard(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode()))
        host_ok = _header(scope, b"host") in access.hosts
        token_mode = access.users is None
        if scope["method"] == "GET" and "token" in query and host_ok and token_mode and access.ok_token(query["token"]):
            await _welcome(scope, send, access)
            return
        credential = _cookie(scope, access.cookie)
        refused = _why_refused(scope, access, credential)
        if refused is not None and refused[0] == 401 and access.users is not None and _is_page(scope):
            query = scope.get("query_string", b"").decode("latin-1")
            await _redirect(send, "/login?" + urlencode({"next": scope["path"] + (f"?{query}" if query else "")}))
            return
        if refused is not None:
            await _refuse(send, *refused)
            return
        state = scope.setdefault("state", {})
        state["user"] = access.user_for(credential)  # None only on the public paths (sign-in)
        state["csrf"] = access.csrf_for(credential)
        state["credential"] = credential
        state["address"] = (scope.get("client") or ("", 0))[0]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await app(scope, receive, with_headers)

    return guard
