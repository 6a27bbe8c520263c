"""The studio serves only the job's own files: no path, however spelled, reaches another file.

Each hostile path (dot segments plain, URL-encoded and double-encoded, backslashes, absolute paths, NUL bytes, names
with traversal in every path parameter) is asked twice: in-process (Starlette's TestClient) and as raw bytes on a
socket to a real uvicorn server, since an HTTP client would tidy ``/static/../../etc/passwd`` before sending it.
Every one answers 400 or 404 (never 200 with another file, never 500). A burned cut that is a symlink out of the
job's output folder is not served either.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from pipeline.studio.access import Access
from pipeline.studio.limits import Buckets, Rate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import VIDEO, Served, build_app, real_server, signed_in_to, write_job

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline" / "studio"
UP = "../" * 12  # from web/ (or anywhere in a temporary folder) up past the root
SECRET = "subpipe-path-test-secret-3b1f0c9e"
UNLIMITED = Rate(1e9, 1e9)
# Marks of files that must never come back: the system's users, the studio's own source and schema, and a
# secret file planted next to the job (in its temporary folder, outside the output folder and web/).
LEAKS = (b"root:x:0:", b"def create_app(", b'"openapi": "3.1.0"', SECRET.encode())


def _probes() -> list[str]:
    """Every hostile request target, as sent on the wire (percent-escapes are the client's own)."""
    passwd = "etc/passwd"
    static = [
        f"/static/../../../../{passwd}",
        "/static/../app.py",
        "/static/../openapi.json",
        "/static/vendor/../../app.py",
        "/static/%2e%2e/app.py",
        "/static/%2e%2e%2fapp.py",
        "/static/..%2fopenapi.json",
        "/static/%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/static/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%252e%252e%252f%252e%252e%252fapp.py",
        "/static/%252e%252e/%252e%252e/%252e%252e/etc/passwd",
        "/static/..\\app.py",
        "/static/..\\..\\..\\..\\..\\..\\..\\..\\etc\\passwd",
        "/static/..%5capp.py",
        "/static/..%5c..%5c..%5c..%5c..%5c..%5c..%5c..%5cetc%5cpasswd",
        f"/static//{passwd}",
        "/static/%2fetc%2fpasswd",
        "/static/%2Fetc/passwd",
        "/static/%5cetc%5cpasswd",
        "/static/studio.css%00",
        "/static/%00",
        "/static/..%00/app.py",
        "/static/%00/../app.py",
        "/static/....//....//....//etc/passwd",
        "/static/..;/..;/app.py",
        "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/app.py",
        "/static/%u002e%u002e/app.py",
    ]
    fonts = [
        f"/fonts/../../../../{passwd}",
        "/fonts/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/fonts/%2e%2e%2f%2e%2e%2fapp.py",
        "/fonts/%252e%252e%252fapp.py",
        "/fonts/%2fetc%2fpasswd",
        "/fonts/..%5c..%5capp.py",
        "/fonts/noto-sans%00",
        "/fonts/%00",
        "/fonts/noto-sans%00.ttf",
    ]
    media = [
        f"/media/../../../../{passwd}/source",
        f"/media/{VIDEO}/cut/../../../../{passwd}",
        "/media/..%2f..%2f..%2fetc/cut/en",
        "/media/..%2f..%2f..%2fetc%2fpasswd/source",
        "/media/%2e%2e/source",
        "/media/%2e%2e/cut/en",
        f"/media/{VIDEO}/cut/%2e%2e",
        f"/media/{VIDEO}/cut/..%2f..%2f..%2f..%2fetc%2fpasswd",
        f"/media/{VIDEO}/cut/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        f"/media/{VIDEO}/cut/..%5c..%5c..%5cetc%5cpasswd",
        f"/media/{VIDEO}/cut/%2fetc%2fpasswd",
        "/media/%2fetc%2fpasswd/source",
        f"/media/{VIDEO}%00/source",
        f"/media/{VIDEO}%00/cut/en",
        f"/media/{VIDEO}/cut/en%00",
        f"/media/{VIDEO}/cut/en%00.mp4",
        "/media/%00/source",
        f"/media/{VIDEO}/cut/%00",
    ]
    track = f"/api/videos/{VIDEO}/tracks/en"
    api = [
        "/api/videos/%2e%2e/tracks/en",
        "/api/videos/%2e%2e",
        "/api/videos/%2e%2e/peaks",
        "/api/videos/..%2f..%2fetc/tracks/en",
        "/api/videos/%252e%252e%252f/tracks/en",
        f"/api/videos/{VIDEO}/tracks/..%2f..%2f..%2fetc%2fpasswd",
        f"/api/videos/{VIDEO}/tracks/%2e%2e",
        f"/api/videos/{VIDEO}/tracks/%2e%2e/ass",
        f"/api/videos/{VIDEO}/tracks/..%5c..%5cetc/ass",
        f"/api/videos/{VIDEO}%00/tracks/en",
        f"/api/videos/{VIDEO}/tracks/en%00",
        f"/api/videos/{VIDEO}/tracks/en%00/ass",
        "/api/videos/%00",
        "/api/videos/%00/peaks",
        f"{track}/cues/s01.0%00/history",
        f"{track}/cues/%2e%2e/history",
        f"{track}/cues/..%2f..%2f..%2fetc%2fpasswd/history",
        f"{track}/cues/%252e%252e%252f/history",
        f"/api/videos/../../../../{passwd}",
        f"{track}/../../../../../../{passwd}",
    ]
    return static + fonts + media + api


PROBES = _probes()


def _planted(folder: Path) -> Path:
    """A secret file beside the job (outside its output folder), and probes that climb to it."""
    secret = folder / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    return secret


def _climbs(secret: Path) -> list[str]:
    rel = str(secret).lstrip("/")
    return [
        f"/static/{UP}{rel}",
        "/static/" + "%2e%2e%2f" * 12 + rel.replace("/", "%2f"),
        f"/static/%2f{rel.replace('/', '%2f')}",
        f"/static//{rel}",
        f"/fonts/{UP}{rel}",
        f"/media/{VIDEO}/cut/{UP}{rel}",
        f"/media/{VIDEO}/cut/" + "..%2f" * 12 + rel.replace("/", "%2f"),
    ]


def _unlimited(access: Access) -> None:
    """No rate limits: some hundred probes in a second are not what this file is about."""
    access.reads, access.writes, access.logins = (Buckets(UNLIMITED) for _ in range(3))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clip15: Path) -> Iterator[Served]:
    """The studio in-process, signed in with the printed token."""
    folder = tmp_path_factory.mktemp("paths")
    _planted(folder)
    with signed_in_to(write_job(folder, clip15, burn=False)) as served:
        _unlimited(served.access)
        yield served


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, clip15: Path) -> Iterator[tuple[str, str, Path]]:
    """A real uvicorn server of a studio: its base address, the cookie to send, and the planted secret."""
    folder = tmp_path_factory.mktemp("paths_server")
    secret = _planted(folder)
    studio, events, _renderer, access, app = build_app(write_job(folder, clip15, burn=False))
    _unlimited(access)
    try:
        with real_server(studio, events, access, app) as base:
            yield base, f"{access.cookie}={access.token}", secret
    finally:
        studio.db.close()


def raw_get(base: str, target: bytes, cookie: str) -> tuple[int, bytes]:
    """``GET target`` as raw bytes on a socket: no client normalises the target. The status and the body."""
    address = urlsplit(base)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    request = (
        b"GET " + target + f" HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n".encode()
    )
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _assert_refused(target: str | bytes, status: int, body: bytes) -> None:
    assert status in (400, 404), f"{target!r}: {status} {body[:200]!r}"
    leaked = [mark for mark in LEAKS if mark in body]
    assert not leaked, f"{target!r} served another file: {body[:200]!r}"


# --- hostile paths ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", PROBES)
def test_a_hostile_path_is_refused_in_process(srv: Served, target: str) -> None:
    response = srv.client.get(target)
    _assert_refused(target, response.status_code, response.content)


def test_the_real_server_serves_the_signed_in_probes(server: tuple[str, str, Path]) -> None:
    """The probes below carry the cookie: a refusal is the path's, not a missing sign-in's."""
    base, cookie, _ = server
    status, body = raw_get(base, b"/static/api.js", cookie)
    assert status == 200 and body == (PACKAGE / "web" / "api.js").read_bytes()
    assert raw_get(base, b"/static/api.js", "none=1")[0] == 401


@pytest.mark.parametrize("target", PROBES)
def test_a_hostile_path_is_refused_by_the_real_server(server: tuple[str, str, Path], target: str) -> None:
    base, cookie, _ = server
    _assert_refused(target, *raw_get(base, target.encode(), cookie))


def test_climbing_to_a_file_beside_the_job_is_refused_by_the_real_server(server: tuple[str, str, Path]) -> None:
    base, cookie, secret = server
    for target in _climbs(secret):
        _assert_refused(target, *raw_get(base, target.encode(), cookie))


def test_a_path_with_a_raw_nul_or_control_byte_is_refused_by_the_real_server(server: tuple[str, str, Path]) -> None:
    base, cookie, _ = server
    for target in (
        b"/static/studio.css\x00",
        b"/static/\x00../app.py",
        b"/fonts/noto-sans\x00",
        b"/media/clip\x00/source",
    ):
        _assert_refused(target, *raw_get(base, target, cookie))


def test_climbing_to_a_file_beside_the_job_is_refused_in_process(srv: Served) -> None:
    secret = srv.job.parent / "secret.txt"
    assert secret.read_text(encoding="utf-8") == SECRET
    for target in _climbs(secret):
        response = srv.client.get(target)
        _assert_refused(target, response.status_code, response.content)


@pytest.mark.parametrize(
    "target", ["/edit/..%2f..%2f..%2fetc/passwd", "/edit/%00/%00", "/edit/%2e%2e/%2e%2e", f"/edit/{VIDEO}/en%00"]
)
def test_the_editor_page_with_hostile_names_is_the_editor_page(srv: Served, target: str) -> None:
    """The editor page is the same static page for any video and language (it asks the API, which answers 404):
    hostile names in its address change nothing it serves (or the address matches no route: 404)."""
    response = srv.client.get(target)
    if response.status_code == 200:
        assert response.content == (PACKAGE / "web" / "editor.html").read_bytes()
    else:
        _assert_refused(target, response.status_code, response.content)


# --- the job's output folder --------------------------------------------------------------------------------------


def _cut(srv: Served, lang: str = "en") -> Path:
    return srv.out / VIDEO / lang / f"{VIDEO}.{lang}.mp4"


def test_a_burned_cut_that_links_out_of_the_job_is_not_served(srv: Served) -> None:
    """``out/clip/en/clip.en.mp4 -> /etc/passwd`` (or any file outside the output folder): the studio wrote no such
    link, so it is not the job's cut. 404, and the track names no cut."""
    cut = _cut(srv)
    cut.parent.mkdir(parents=True, exist_ok=True)
    target = Path("/etc/passwd") if Path("/etc/passwd").is_file() else srv.job.parent / "secret.txt"
    cut.symlink_to(target)
    try:
        response = srv.client.get(f"/media/{VIDEO}/cut/en")
        _assert_refused("/media/clip/cut/en -> " + str(target), response.status_code, response.content)
        assert srv.track("en")["cut_url"] is None
    finally:
        cut.unlink()


def test_a_language_folder_that_links_out_of_the_job_is_not_served(srv: Served) -> None:
    """``out/clip/fr -> <a folder outside the job>`` holding ``clip.fr.mp4``: not the job's cut either."""
    outside = srv.job.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    (outside / f"{VIDEO}.fr.mp4").write_text(SECRET, encoding="utf-8")
    folder = _cut(srv, "fr").parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(outside, target_is_directory=True)
    try:
        response = srv.client.get(f"/media/{VIDEO}/cut/fr")
        _assert_refused("/media/clip/cut/fr (folder linked out)", response.status_code, response.content)
    finally:
        folder.unlink()


def test_a_burned_cut_inside_the_job_is_served(srv: Served) -> None:
    """The refusals above are about where the file is: a real cut in its place is served."""
    cut = _cut(srv)
    cut.parent.mkdir(parents=True, exist_ok=True)
    cut.write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    try:
        response = srv.client.get(f"/media/{VIDEO}/cut/en")
        assert response.status_code == 200 and response.content == cut.read_bytes()
        assert srv.track("en")["cut_url"] == f"/media/{VIDEO}/cut/en"
    finally:
        cut.unlink()


# --- names that are paths --------------------------------------------------------------------------------------


SEGMENT_IDS = ["part/1", "a/../b", "two\nlines", "tab\there", "100%", "?x#y", " "]


@pytest.fixture(params=SEGMENT_IDS, ids=repr)
def odd(request: pytest.FixtureRequest, tmp_path: Path, clip15: Path) -> Iterator[tuple[Served, str]]:
    """A job whose transcript names its first segment oddly (a transcript's ids are any text): the served studio
    and the cue id the segment gives (``<segment id>.0``)."""
    job = write_job(tmp_path, clip15, burn=False)
    transcript = tmp_path / "transcript.json"
    doc = json.loads(transcript.read_text(encoding="utf-8"))
    doc["segments"][0]["id"] = request.param
    transcript.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with signed_in_to(job) as served:
        yield served, f"{request.param}.0"


def test_the_history_of_a_cue_is_found_whatever_its_id_holds(odd: tuple[Served, str]) -> None:
    """The page asks for ``/cues/<encodeURIComponent(id)>/history``: the route must find the cue (a "/" arrives
    decoded, so does a newline), not answer the router's plain-text 404."""
    srv, cid = odd
    assert cid in [c["id"] for c in srv.track("en")["cues"]]
    response = srv.client.get(f"/api/videos/{VIDEO}/tracks/en/cues/{quote(cid, safe='')}/history")
    assert response.status_code == 200, (response.status_code, response.text[:200])
    assert response.json() == {"history": []}
