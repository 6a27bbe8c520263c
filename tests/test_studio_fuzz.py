"""Fuzzing the studio's HTTP API in-process: every route of ``pipeline/studio/openapi.json`` with schemathesis
(valid and invalid requests), then hand-written hostile bodies. Whatever comes in, the studio answers a status the
schema documents, with a body the schema describes, never a 500 nor Python's exception text; a refusal of the
JSON API is ``{"error": ..., "field": ...}`` naming the field at fault.

``make test`` runs a few examples per route and mode; SUBPIPE_FUZZ_EXAMPLES raises it (as for tests/test_fuzz.py).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.asgi import ASGI_TRANSPORT
from starlette.routing import Mount, Route

from pipeline.studio.app import create_app
from pipeline.studio.limits import Buckets, Rate
from pipeline.studio.users import User

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import VIDEO, Served, TestClient, build_app, signed_in_to, write_job

EXAMPLES = int(os.environ.get("SUBPIPE_FUZZ_EXAMPLES", "0"))
ROUTE_EXAMPLES = EXAMPLES or 8  # per route and mode: 23 routes x 2 modes
BODY_EXAMPLES = EXAMPLES or 40  # per hand-written test
BODIES = settings(
    max_examples=BODY_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
# Schemathesis' cases shrink slowly (seconds per failure) and little: a failing route reports its first case.
FUZZ = settings(BODIES, max_examples=ROUTE_EXAMPLES, phases=[Phase.explicit, Phase.reuse, Phase.generate])
SCHEMA_FILE = Path(__file__).resolve().parents[1] / "pipeline" / "studio" / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(SCHEMA_FILE)
BASE = "http://testserver"
UNLIMITED = Rate(1e9, 1e9)  # the rate limits are not what this file is about: every request reaches its route
PASSWORD = "correct horse battery staple"
TRACK = f"/api/videos/{VIDEO}/tracks/en"
# A request that reaches its handler: the job's own names (a random name is a quick 404 before any body is read).
REAL = {"video": VIDEO, "lang": "en", "cid": "s01.0", "key": "noto-sans", "path": "studio.css"}
# What Python says when something escapes: a traceback, a frame, an exception's class, an object's repr.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]*\", line \d+|<[\w.]+ object at 0x[0-9a-f]+>")
EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]*(?:Error|Exception)\b|\b(?:errno|codec can't)\b")
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def _unlimited(srv: Served) -> None:
    srv.access.reads, srv.access.writes, srv.access.logins = (Buckets(UNLIMITED) for _ in range(3))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clip15: Path) -> Iterator[Served]:
    """The studio with the printed token (the local approver of every language), as ``subpipe studio`` serves it."""
    with signed_in_to(write_job(tmp_path_factory.mktemp("fuzz"), clip15, burn=False)) as served:
        _unlimited(served)
        yield served


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, clip15: Path) -> Iterator[Served]:
    """The studio with a users file, signed in as a reviewer of French only (a cheap Argon2id hash: its
    parameters travel in the hash)."""
    studio, events, renderer, access, app = build_app(write_job(tmp_path_factory.mktemp("team"), clip15, burn=False))
    hashed = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    access.users = {"rita": User("rita", "reviewer", frozenset({"fr"}), hashed)}
    access.hosts = {"testserver"}
    client = TestClient(app, raise_server_exceptions=False)
    served = Served(studio.job_path, studio, events, renderer, access, app, client, "")
    _unlimited(served)
    assert client.post("/api/login", json={"name": "rita", "password": PASSWORD}).status_code == 200
    served.csrf = client.get("/api/session").json()["csrf"]
    yield served
    client.close()
    studio.db.close()


# --- what every answer must be ---------------------------------------------------------------------------------------


def _media_type(response: Response) -> str:
    return (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()


def _error_body(status: int, content: bytes, plain: bool = True) -> dict[str, Any]:
    """The JSON error body of a refusal: {"error": non-empty message, "field": name or null}; ``plain``: the
    message holds no exception text."""
    try:
        body = json.loads(content)
    except ValueError:
        raise AssertionError(f"{status} without a JSON body: {content[:200]!r}") from None
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"].strip(), body
    assert "field" in body and (body["field"] is None or isinstance(body["field"], str)), body
    assert not (plain and EXCEPTION.search(body["error"])), f"Python's exception text in the error: {body['error']!r}"
    return body


def check_answer(case: Case[Any], response: Response) -> None:
    """No 500, no traceback, what the schema says (status, media type, JSON body), and a JSON API refusal that
    names its field."""
    status, kind = response.status_code, _media_type(response)
    assert status < 500 or status in (503, 507), f"{status} for {case.method} {response.request.url}"
    if kind in ("application/json", "text/plain", "text/event-stream"):
        text = response.content.decode("utf-8", "replace")
        assert not TRACEBACK.search(text), f"a traceback in the answer: {text[:500]}"
    case.validate_response(response, checks=CHECKS)
    if 400 <= status < 500 and (case.operation.path.startswith("/api/") or kind == "application/json"):
        _error_body(status, response.content)


def _call(srv: Served, case: Case[Any]) -> Response:
    """Send ``case`` to ``srv``'s app in-process (ASGI: no socket, no network) with the cookie and the CSRF token."""
    events = case.operation.path == "/api/events"  # a stream that does not end: what it sent within 0.1 s
    return ASGI_TRANSPORT.send(
        case,
        app=srv.app,
        base_url=BASE,
        headers={"X-CSRF-Token": srv.csrf},
        cookies={srv.access.cookie: srv.client.cookies.get(srv.access.cookie) or srv.access.token},
        timeout=0.1 if events else 60,
    )


# --- every route of the schema -------------------------------------------------------------------------------------

OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in json.loads(SCHEMA_FILE.read_text()).get("paths", {}).items()
    for method in item
]
_STRATEGIES: dict[tuple[str, GenerationMode], st.SearchStrategy[Case[Any]]] = {}


def _negatable(label: str) -> bool:
    """Whether a request of ``label`` has more than path parameters to make invalid."""
    op = SCHEMA.find_operation_by_label(label)
    assert op is not None
    return bool(op.body) or any(p.location != "path" for p in op.iter_parameters())


def cases(label: str, mode: GenerationMode) -> st.SearchStrategy[Case[Any]]:
    """Requests of one operation: with any path parameters, and (twice as often) with the job's own names."""
    key = (label, mode)
    if key not in _STRATEGIES:
        op = SCHEMA.find_operation_by_label(label)
        assert op is not None, label
        free = op.as_strategy(generation_mode=mode)
        names = {p.name for p in op.iter_parameters() if p.location == "path"}
        if names and (mode == GenerationMode.POSITIVE or _negatable(label)):
            pinned = op.as_strategy(generation_mode=mode, path_parameters={n: REAL[n] for n in names})
            free = st.one_of(pinned, pinned, free)
        _STRATEGIES[key] = free
    return _STRATEGIES[key]


ROUTES = [pytest.param(label, mode, id=f"{label}-{mode.value}") for label in OPERATIONS for mode in GenerationMode]


def test_the_schema_is_valid_openapi_and_documents_the_guard_on_every_route() -> None:
    SCHEMA.validate()  # against the OpenAPI 3.1 meta-schema
    doc = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for path, item in doc["paths"].items():
        for method, op in item.items():
            codes, security = set(op["responses"]), op.get("security", doc["security"])
            assert {"403", "429"} <= codes, (method, path)
            assert security == [] or "401" in codes, (method, path)
            if method == "post" and security:
                assert "413" in codes and all("csrfToken" in s for s in security), (method, path)


def test_the_schema_describes_every_route_of_the_app(srv: Served) -> None:
    bare = create_app(srv.studio, srv.renderer, srv.events, srv.access)  # the guard hides the routes
    served: set[str] = set()
    for route in bare.routes:
        if isinstance(route, Route):
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {cid:path} is {cid} to OpenAPI
            served |= {f"{method} {path}" for method in route.methods or () if method != "HEAD"}
        elif isinstance(route, Mount):
            served.add(f"GET {route.path}/{{path}}")
    assert served == set(OPERATIONS)
    assert all(SCHEMA.find_operation_by_label(label) for label in OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), ROUTES)
@FUZZ
@given(data=st.data())
def test_every_route_answers_as_its_schema_says(srv: Served, label: str, mode: GenerationMode, data: Any) -> None:
    """Schemathesis' requests of one operation, valid (positive) or not (negative), as the printed token's user."""
    case = data.draw(cases(label, mode), label="case")
    response = _call(srv, case)
    event(f"{response.status_code}")
    check_answer(case, response)


TEAM_ROUTES = [
    pytest.param(label, mode, id=f"{label}-{mode.value}")
    for label in (
        "GET /api/session",
        "POST /api/videos/{video}/tracks/{lang}/edits",
        "POST /api/videos/{video}/tracks/{lang}/approve",
        "POST /api/export",
    )
    for mode in GenerationMode
] + [pytest.param("POST /api/login", GenerationMode.NEGATIVE, id="POST /api/login-negative")]


@pytest.mark.parametrize(("label", "mode"), TEAM_ROUTES)
@FUZZ
@given(data=st.data())
def test_a_reviewer_gets_the_answers_the_schema_says(team: Served, label: str, mode: GenerationMode, data: Any) -> None:
    """With a users file, as a reviewer of French: English edits, approvals and the export are 403, as documented.
    (Sign-in is fuzzed with invalid bodies only: a valid one costs a real Argon2id check of about 2 s.)"""
    case = data.draw(cases(label, mode), label="case")
    response = _call(team, case)
    event(f"{response.status_code}")
    check_answer(case, response)


def test_signing_in_answers_as_the_schema_says(team: Served) -> None:
    op = SCHEMA.find_operation_by_label("POST /api/login")
    assert op is not None
    right: Any = {"name": "rita", "password": PASSWORD}
    for body, status in ((right, 200), ({**right, "password": "x"}, 401)):
        case = op.Case(body=body, media_type="application/json")
        response = _call(team, case)
        assert response.status_code == status
        check_answer(case, response)


def _answer(srv: Served, label: str, status: int, body: Any = None, **params: str) -> Any:
    """One request of operation ``label`` (path parameters default to the job's own), held to the schema; its JSON."""
    op = SCHEMA.find_operation_by_label(label)
    assert op is not None, label
    names = {p.name for p in op.iter_parameters() if p.location == "path"}
    kwargs: dict[str, Any] = {"path_parameters": {n: params.get(n, REAL[n]) for n in names}}
    if body is not None:
        kwargs.update(body=body, media_type="application/json")
    case = op.Case(**kwargs)
    response = _call(srv, case)
    assert response.status_code == status, (label, response.status_code, response.content[:300])
    check_answer(case, response)
    return json.loads(response.content) if _media_type(response) == "application/json" else response.content


def test_answers_to_valid_requests_match_the_schema(srv: Served) -> None:
    """Random requests rarely make a valid edit: these do, and their answers (200 and 409 alike) fit the schema."""
    edits, approve = "POST /api/videos/{video}/tracks/{lang}/edits", "POST /api/videos/{video}/tracks/{lang}/approve"
    track = _answer(srv, "GET /api/videos/{video}/tracks/{lang}", 200)
    first = _first(srv)
    edited = _answer(srv, edits, 200, {"label": "text", "changes": [{**first, "text": "Checked by the fuzz."}]})
    assert edited["changed"] == [first["id"]] and edited["inserted"] == []
    stale = _answer(srv, edits, 409, {"changes": [{**first, "text": "An old page's save."}]})
    assert [c["id"] for c in stale["conflicts"]] == [first["id"]]
    insert = {"op": "insert", "start_ms": 14_000, "end_ms": 14_400, "text": "Inserted."}
    (new,) = _answer(srv, edits, 200, {"label": "insert", "changes": [insert]})["inserted"]
    _answer(srv, "POST /api/videos/{video}/tracks/{lang}/lint", 200, {"changes": [{**insert, "text": "Lint me."}]})
    version = next(c["version"] for c in _track(srv)["cues"] if c["id"] == new)
    _answer(srv, edits, 200, {"label": "delete", "changes": [{"op": "delete", "id": new, "version": version}]})
    history = _answer(srv, "GET /api/videos/{video}/tracks/{lang}/cues/{cid}/history", 200, cid=first["id"])
    assert history["history"], "the edit above is in the history"
    _answer(srv, approve, 409, {"digest": track["digest"] if track["digest"] != edited["digest"] else "0" * 32})
    _answer(srv, approve, 200, {"digest": edited["digest"]})
    _answer(srv, "POST /api/videos/{video}/tracks/{lang}/reflow", 200, {"text": "a few words to break into lines"})
    overview = _answer(srv, "GET /api/overview", 200)
    assert overview["videos"][0]["languages"][0]["approved"] is not None
    for label in ("GET /api/videos/{video}", "GET /api/videos/{video}/peaks", "GET /api/session", "GET /api/events"):
        _answer(srv, label, 200)
    _answer(srv, "GET /api/videos/{video}/tracks/{lang}/ass", 200, lang="fr")
    _answer(srv, "GET /media/{video}/source", 200)
    _answer(srv, "GET /media/{video}/cut/{lang}", 404)
    _answer(srv, "GET /fonts/{key}", 200)
    assert _answer(srv, "GET /api/openapi.json", 200) == json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    _answer(srv, "POST /api/export", 200, {})
    _answer(srv, "POST /api/logout", 404)  # the token is the credential: nothing to sign out of


# --- hand-written bodies ------------------------------------------------------------------------------------------


def _post(srv: Served, url: str, raw: bytes) -> tuple[int, dict[str, Any]]:
    """POST ``raw`` with the CSRF token: the status and the JSON body (an error's shape checked; its words are
    test_a_body_that_is_not_json_is_refused_without_python_s_exception_text's business)."""
    response = srv.client.post(url, content=raw, headers={"x-csrf-token": srv.csrf, "content-type": "application/json"})
    assert response.status_code != 500, f"500 for {raw[:200]!r}"
    if response.status_code >= 400:
        return response.status_code, _error_body(response.status_code, response.content, plain=False)
    return response.status_code, response.json()


def _refused(srv: Served, url: str, raw: bytes, field: str, status: int = 422) -> None:
    got, body = _post(srv, url, raw)
    assert (got, body.get("field")) == (status, field), (raw[:200], body)


def _not_json(raw: bytes) -> bool:
    """Whether ``raw`` is not JSON in UTF-8 (blank is not: the studio reads it as no body). Deep nesting that
    Python cannot parse *is* JSON: how deep it can go depends on the thread's stack, so it is not drawn here."""
    try:
        json.loads(raw.decode("utf-8"))
    except RecursionError:
        return False
    except ValueError:
        return bool(raw.strip())
    return False


_json_texts = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=4), kids, max_size=3),
    max_leaves=6,
).map(json.dumps)


@st.composite
def not_json(draw: st.DrawFn) -> bytes:
    """Bytes that are not JSON in UTF-8: invalid UTF-8, JSON cut short or spliced, a BOM, UTF-16, junk."""
    kind = draw(st.sampled_from(["binary", "cut", "splice", "bom", "text", "utf16"]))
    if kind == "binary":
        raw = draw(st.binary(min_size=1, max_size=64))
    elif kind == "cut":
        text = draw(_json_texts)
        raw = text[: draw(st.integers(0, len(text)))].encode()
    elif kind == "splice":
        text = draw(_json_texts)
        at = draw(st.integers(0, len(text)))
        raw = (text[:at] + draw(st.text(min_size=1, max_size=4)) + text[at:]).encode("utf-8", "surrogatepass")
    elif kind == "bom":
        raw = b"\xef\xbb\xbf" + draw(_json_texts).encode()
    elif kind == "utf16":
        raw = draw(_json_texts).encode("utf-16")
    else:
        raw = draw(st.text(min_size=1, max_size=20)).encode("utf-8", "surrogatepass")
    return raw


BODY_ROUTES = [f"{TRACK}/edits", f"{TRACK}/lint", f"{TRACK}/reflow", f"{TRACK}/approve", "/api/export"]


@BODIES
@given(raw=not_json().filter(_not_json), url=st.sampled_from(BODY_ROUTES))
def test_bytes_that_are_not_json_are_refused_naming_the_body(srv: Served, raw: bytes, url: str) -> None:
    got, body = _post(srv, url, raw)
    assert (got, body.get("field")) == (422, "body"), (raw[:100], body)


def test_a_body_that_is_not_json_is_refused_without_python_s_exception_text(srv: Served) -> None:
    """The page shows the message as it comes: "body: not JSON in UTF-8 (UnicodeDecodeError: 'utf-8' codec can't
    decode byte 0xff ...)" is Python talking to a reviewer."""
    for raw in (b"\xff\xfe{}", b'{"changes": [', b"[" * 50_000 + b"]" * 50_000, b"\xef\xbb\xbf{}"):
        status, content = _raw_post(srv, f"{TRACK}/edits", raw)
        assert status == 422
        _error_body(status, content)


@pytest.mark.parametrize("depth", [900, 5_000, 100_000])
def test_deeply_nested_json_is_refused_naming_a_field(srv: Served, depth: int) -> None:
    """JSON nested deeper than Python's parser goes is "body"; shallower, it is a list, not the changes object."""
    status, body = _post(srv, f"{TRACK}/edits", b"[" * depth + b"]" * depth)
    assert status == 422 and body["field"] in ("body", "changes"), body


def _raw_post(srv: Served, url: str, raw: bytes) -> tuple[int, bytes]:
    response = srv.client.post(url, content=raw, headers={"x-csrf-token": srv.csrf, "content-type": "application/json"})
    return response.status_code, response.content


def _track(srv: Served) -> dict[str, Any]:
    return dict(srv.client.get(TRACK).json())


def _first(srv: Served) -> dict[str, Any]:
    """The first cue of the English track as an update change (its current version)."""
    cue = _track(srv)["cues"][0]
    return {"op": "update", **{k: cue[k] for k in ("id", "version", "start_ms", "end_ms", "text")}}


_not_int = st.none() | st.booleans() | st.floats() | st.text(max_size=5) | st.lists(st.integers(), max_size=2)
_not_str = st.none() | st.booleans() | st.integers() | st.floats() | st.dictionaries(st.text(max_size=2), st.none())
_wrong = {"int": _not_int, "str": _not_str}
_fields = {"op": "str", "id": "str", "version": "int", "start_ms": "int", "end_ms": "int", "text": "str"}


@BODIES
@given(
    key=st.sampled_from(sorted(_fields)),
    data=st.data(),
    url=st.sampled_from([f"{TRACK}/edits", f"{TRACK}/lint"]),
)
def test_a_change_field_of_the_wrong_type_is_refused_naming_it(srv: Served, key: str, data: Any, url: str) -> None:
    change = _first(srv)
    change[key] = data.draw(_wrong[_fields[key]], label=key)
    _refused(srv, url, json.dumps({"label": "text", "changes": [change]}).encode(), f"changes[0].{key}")


@BODIES
@given(
    body=st.one_of(
        st.fixed_dictionaries(
            {"changes": _json_texts.map(json.loads).filter(lambda v: v == [] or type(v) is not list)}
        ),
        st.fixed_dictionaries({}, optional={"label": st.just("text")}),
        st.lists(st.integers(), max_size=3),
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    ),
    url=st.sampled_from([f"{TRACK}/edits", f"{TRACK}/lint"]),
)
def test_a_body_without_a_list_of_changes_is_refused_naming_changes(srv: Served, body: Any, url: str) -> None:
    _refused(srv, url, json.dumps(body).encode(), "changes")


EDIT_LABELS = {"text", "time", "split", "merge", "insert", "delete", "undo", "redo", "restore", "edit"}


@BODIES
@given(data=st.data())
def test_labels_digests_and_reflow_texts_of_the_wrong_type_are_refused_naming_them(srv: Served, data: Any) -> None:
    not_a_label = st.none() | st.integers() | st.text(max_size=8).filter(lambda s: s not in EDIT_LABELS)
    label = data.draw(not_a_label, label="label")
    _refused(srv, f"{TRACK}/edits", json.dumps({"label": label, "changes": [_first(srv)]}).encode(), "label")
    digest = data.draw(st.booleans() | st.integers() | st.lists(st.text(max_size=2), max_size=2), label="digest")
    _refused(srv, f"{TRACK}/approve", json.dumps({"digest": digest}).encode(), "digest")
    text = data.draw(st.none() | st.integers() | st.text(min_size=1001, max_size=1100), label="text")
    _refused(srv, f"{TRACK}/reflow", json.dumps({"text": text}).encode(), "text")


# Integers past 10**12 (written out: Python will not turn an int of more than 4300 digits into a str), and numbers
# that are not integers in Python's JSON parser.
_huge = st.one_of(
    st.builds(lambda sign, zeros: f"{sign}1{'0' * zeros}1", st.sampled_from(["", "-"]), st.integers(11, 6000)),
    st.sampled_from(["1e400", "-1e400", "Infinity", "-Infinity", "NaN", "1.5", "1e3", "-0.0", "9007199254740993.0"]),
)


@BODIES
@given(
    key=st.sampled_from(["version", "start_ms", "end_ms"]),
    number=_huge,
    url=st.sampled_from([f"{TRACK}/edits", f"{TRACK}/lint"]),
)
def test_huge_or_fractional_numbers_are_refused_naming_the_field(srv: Served, key: str, number: str, url: str) -> None:
    change = _first(srv)
    change[key] = "@"
    raw = json.dumps({"changes": [change]}).replace('"@"', number).encode()
    digits = len(number.lstrip("-")) if number.lstrip("-").isdigit() else 0
    # Past 4300 digits Python's JSON parser refuses the number itself: the body is not JSON it can read.
    _refused(srv, url, raw, "body" if digits > 4300 else f"changes[0].{key}")


# Every general category of Unicode but Cs (lone surrogates: see test_lone_surrogates_are_refused_naming_the_text).
CATEGORIES = [
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po",
    "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Co", "Cn",
]  # fmt: skip
# Scripts by their blocks: Latin, Greek, Cyrillic, Armenian, Hebrew, Arabic, Syriac, Thaana, Devanagari, Bengali,
# Tamil, Thai, Lao, Tibetan, Myanmar, Georgian, Ethiopic, Khmer, Mongolian, Hiragana, Katakana, CJK, Hangul, Yi,
# bidi and joiner controls, CJK extension B, mathematical letters, emoji.
BLOCKS = [
    (0x0041, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x0530, 0x058F), (0x0590, 0x05FF), (0x0600, 0x06FF),
    (0x0700, 0x074F), (0x0780, 0x07BF), (0x0900, 0x097F), (0x0980, 0x09FF), (0x0B80, 0x0BFF), (0x0E00, 0x0E7F),
    (0x0E80, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x10A0, 0x10FF), (0x1200, 0x137F), (0x1780, 0x17FF),
    (0x1800, 0x18AF), (0x3040, 0x309F), (0x30A0, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xA000, 0xA48F),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069), (0x20000, 0x2A6DF), (0x1D400, 0x1D7FF), (0x1F300, 0x1FAFF),
]  # fmt: skip
_by_category = st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True).map(
    lambda cats: st.characters(categories=cast(Any, cats))
)
_by_script = st.sampled_from(BLOCKS).map(lambda block: st.characters(min_codepoint=block[0], max_codepoint=block[1]))
_scripts = st.one_of(_by_category, _by_script).flatmap(
    lambda chars: st.text(chars | st.sampled_from(" \n"), min_size=1, max_size=60)
)


@BODIES
@given(text=_scripts, ascii_only=st.booleans())
def test_text_of_every_unicode_category_is_kept_or_refused_naming_the_text(
    srv: Served, text: str, ascii_only: bool
) -> None:
    """Any text is stored as sent (CRLF as LF) or refused with field changes[0].text (control characters, an empty
    line, nothing but spaces); reflow keeps it or refuses it with field text."""
    change = {**_first(srv), "text": text}
    raw = json.dumps({"label": "text", "changes": [change]}, ensure_ascii=ascii_only).encode()
    status, body = _post(srv, f"{TRACK}/edits", raw)
    if status == 200:
        event("stored")
        (stored,) = [c for c in body["cues"] if c["id"] == change["id"]]
        assert stored["text"] == text.replace("\r\n", "\n")
    else:
        event("refused")
        assert (status, body["field"]) == (422, "changes[0].text"), body
    status, body = _post(srv, f"{TRACK}/reflow", json.dumps({"text": text}, ensure_ascii=ascii_only).encode())
    assert status == 200 or (status, body["field"]) == (422, "text"), body


@pytest.mark.parametrize("url", [f"{TRACK}/edits", f"{TRACK}/lint", f"{TRACK}/reflow"])
def test_lone_surrogates_are_refused_naming_the_text(srv: Served, url: str) -> None:
    """JSON may escape a lone surrogate ("\\ud800"); Python's parser gives a str no UTF-8 can hold."""
    if url.endswith("reflow"):
        raw, field = b'{"text": "a\\ud800b"}', "text"
    else:
        change = {**_first(srv), "text": "@"}
        raw, field = json.dumps({"changes": [change]}).replace('"@"', '"a\\ud800b"').encode(), "changes[0].text"
    _refused(srv, url, raw, field)


def test_a_lone_surrogate_in_a_password_is_refused_naming_it(team: Served) -> None:
    _refused(team, "/api/login", b'{"name": "rita", "password": "\\udfff"}', "password")


@BODIES
@given(key=st.sampled_from(["name", "password"]), value=_not_str | st.just("") | st.text(min_size=201, max_size=210))
def test_sign_in_fields_of_the_wrong_type_or_size_are_refused_naming_them(team: Served, key: str, value: Any) -> None:
    body = {"name": "rita", "password": PASSWORD, key: value}
    _refused(team, "/api/login", json.dumps(body).encode(), key)
