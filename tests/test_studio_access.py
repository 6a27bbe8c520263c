"""Who may do what in the studio: a users file, signing in, roles and languages, rate limits, the host warning."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from pipeline.core.errors import InputError
from pipeline.ingest import editstore
from pipeline.studio.access import SESSION_IDLE_S
from pipeline.studio.events import Events
from pipeline.studio.limits import LOGIN_ADDRESSES, LOGINS, MAX_CLIENTS, Buckets, Rate
from pipeline.studio.serve import Options, _access
from pipeline.studio.users import hash_password, load_users

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_fixtures import VIDEO, Served, TestClient, build_app, cue, update, write_job

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def hashed() -> str:
    """A cheap Argon2id hash (its parameters travel in the hash, so checking it is cheap too); the
    studio's own hashes are argon2-cffi's defaults, which ``hash_password`` gives."""
    assert hash_password(PASSWORD).startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)


def _users_file(folder: Path, hashed: str) -> Path:
    path = folder / "users.toml"
    path.write_text(
        f'[[users]]\nname = "rita"\npassword = "{hashed}"\nrole = "reviewer"\nlanguages = ["fr"]\n\n'
        f'[[users]]\nname = "abe"\npassword = "{hashed}"\nrole = "approver"\nlanguages = ["*"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture()
def team(tmp_path: Path, clip15: Path, hashed: str) -> Iterator[Served]:
    """The studio with a users file; its client is not signed in."""
    studio, events, renderer, access, app = build_app(write_job(tmp_path, clip15, burn=False))
    access.users = load_users(_users_file(tmp_path, hashed))
    access.hosts = {"testserver"}
    client = TestClient(app, raise_server_exceptions=False)
    yield Served(tmp_path / "job.toml", studio, events, renderer, access, app, client, "")
    client.close()
    studio.db.close()


def _sign_in(srv: Served, name: str, password: str = PASSWORD) -> int:
    response = srv.client.post("/api/login", json={"name": name, "password": password})
    if response.status_code == 200:
        srv.csrf = srv.client.get("/api/session").json()["csrf"]
    return int(response.status_code)


def test_without_signing_in_pages_go_to_the_sign_in_page_and_the_api_is_401(team: Served) -> None:
    page = team.client.get(f"/edit/{VIDEO}/fr", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/login?next=%2Fedit%2F{VIDEO}%2Ffr"
    assert team.client.get("/login").status_code == 200
    assert team.client.get("/api/overview").status_code == 401
    token = team.client.get(f"/?token={team.access.token}", follow_redirects=False)  # no token with a users file
    assert token.status_code == 303 and token.headers["location"].startswith("/login")
    assert "set-cookie" not in token.headers


def test_a_wrong_password_or_name_is_401_and_the_right_one_signs_in(team: Served) -> None:
    assert _sign_in(team, "rita", "wrong") == 401
    assert _sign_in(team, "nobody") == 401
    assert team.client.get("/api/overview").status_code == 401
    assert _sign_in(team, "rita") == 200
    cookie = team.client.cookies.get(team.access.cookie)
    assert cookie and cookie != team.access.token
    session = team.client.get("/api/session").json()
    assert (session["user"], session["role"], session["languages"]) == ("rita", "reviewer", ["fr"])
    assert session["sign_in"] is True


def test_a_reviewer_edits_only_their_languages_and_may_not_approve_or_export(team: Served) -> None:
    assert _sign_in(team, "rita") == 200
    fr = cue(team.track("fr"), "s01.0")
    assert team.post(f"/api/videos/{VIDEO}/tracks/fr/edits", {"changes": [update(fr, text="Le monde.")]}).is_success
    before = editstore.overlay(team.studio.db, VIDEO, "en")
    en = cue(team.track("en"), "s01.0")
    refused = team.post(f"/api/videos/{VIDEO}/tracks/en/edits", {"changes": [update(en, text="Mine.")]})
    assert refused.status_code == 403 and "rita may not edit en" in refused.json()["error"]
    assert editstore.overlay(team.studio.db, VIDEO, "en") == before
    digest = team.track("fr")["digest"]
    assert team.post(f"/api/videos/{VIDEO}/tracks/fr/approve", {"digest": digest}).status_code == 403
    assert team.track("fr")["approved"] is None
    assert team.post("/api/export", {}).status_code == 403
    history = team.client.get(f"/api/videos/{VIDEO}/tracks/fr/cues/s01.0/history").json()["history"]
    assert [row["user"] for row in history] == ["rita"]


def test_an_approver_approves_and_signing_out_ends_the_session(team: Served) -> None:
    assert _sign_in(team, "abe") == 200
    digest = team.track("en")["digest"]
    approved = team.post(f"/api/videos/{VIDEO}/tracks/en/approve", {"digest": digest})
    assert approved.status_code == 200 and approved.json()["approved"]["by"] == "abe"
    assert team.post("/api/logout", {}).status_code == 200
    assert team.client.get("/api/overview").status_code == 401


def test_sign_in_attempts_are_limited(team: Served) -> None:
    team.access.logins = Buckets(LOGINS, clock=lambda: 0.0)  # no refill while the test runs, however slow
    codes = [_sign_in(team, "rita", f"guess {n}") for n in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_a_client_that_writes_too_fast_gets_429_and_nothing_of_those_requests_is_stored(team: Served) -> None:
    assert _sign_in(team, "abe") == 200
    team.access.writes = Buckets(Rate(1.0, 3.0))
    s01 = cue(team.track("en"), "s01.0")
    answers = []
    for n in range(6):
        answers.append(team.post(f"/api/videos/{VIDEO}/tracks/en/edits", {"changes": [update(s01, text=f"Take {n}.")]}))
        if answers[-1].status_code == 200:
            s01 = cue(answers[-1].json(), "s01.0")
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429, 429]
    assert int(answers[3].headers["retry-after"]) >= 1
    assert cue(team.track("en"), "s01.0")["text"] == "Take 2."


def test_a_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    bucket = Buckets(Rate(2.0, 2.0), clock=lambda: now[0])
    assert [bucket.take("a"), bucket.take("a")] == [0.0, 0.0]
    assert bucket.take("a") == pytest.approx(0.5)
    assert bucket.take("b") == 0.0  # another client has its own bucket
    now[0] = 0.5
    assert bucket.take("a") == 0.0


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('name = "x"\npassword = "plain"\nrole = "reviewer"\nlanguages = ["fr"]', "must be an Argon2 hash"),
        ('name = "x"\npassword = "$argon2id$v"\nrole = "boss"\nlanguages = ["fr"]', "'role' must be one of"),
        ('name = "x"\npassword = "$argon2id$v"\nrole = "reviewer"\nlanguages = []', "'languages' must be a list"),
        ('name = "x"\npassword = "$argon2id$v"\nrole = "reviewer"\nlanguages = ["fr"]\nteam = 1', "unknown key"),
    ],
)
def test_a_wrong_users_file_names_the_entry_and_the_problem(tmp_path: Path, entry: str, problem: str) -> None:
    path = tmp_path / "users.toml"
    path.write_text(f"[[users]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(InputError, match=problem) as caught:
        load_users(path)
    assert str(path) in str(caught.value) and "#1" in str(caught.value)


def test_a_name_given_twice_is_refused(tmp_path: Path, hashed: str) -> None:
    path = _users_file(tmp_path, hashed)
    path.write_text(path.read_text(encoding="utf-8").replace('"abe"', '"rita"'), encoding="utf-8")
    with pytest.raises(InputError, match="'rita' is given twice"):
        load_users(path)


def test_a_public_host_without_users_is_warned_about(tmp_path: Path, hashed: str) -> None:
    _, warnings = _access(Options(host="192.168.1.20", port=0), 8800)
    assert len(warnings) == 1 and "--users" in warnings[0] and "TLS" in warnings[0]
    assert _access(Options(host="127.0.0.1"), 8800)[1] == []
    access, quiet = _access(Options(host="192.168.1.20", users=_users_file(tmp_path, hashed)), 8800)
    assert quiet == [] and access.users is not None and set(access.users) == {"rita", "abe"}
    proxied, _ = _access(Options(public=("https://studio.example.org",)), 8800)
    assert "studio.example.org" in proxied.hosts and "https://studio.example.org" in proxied.origins()


def test_the_sign_in_page_sends_back_to_the_whole_address_asked_for(team: Served) -> None:
    page = team.client.get(f"/edit/{VIDEO}/fr?cue=s01.0&with=en", follow_redirects=False)
    assert page.headers["location"] == f"/login?next=%2Fedit%2F{VIDEO}%2Ffr%3Fcue%3Ds01.0%26with%3Den"


def test_an_open_event_stream_ends_when_its_session_does() -> None:
    async def run() -> list[str]:
        events = Events()
        signed_in = [True]
        feed = events.stream(lambda: signed_in[0])
        got = [await anext(feed)]  # ": connected"
        events.publish("edit", {"n": 1})
        got.append(await anext(feed))
        signed_in[0] = False  # signed out
        events.publish("edit", {"n": 2})
        got += [chunk async for chunk in feed]
        return got

    got = asyncio.run(run())
    assert got[0] == ": connected\n\n" and got[1].startswith("event: edit") and '"n": 1' in got[1]
    assert len(got) == 2  # the second event is not sent: the stream ended


def test_made_up_cookies_share_their_address_s_bucket_and_the_table_stays_bounded(team: Served) -> None:
    team.access.reads = Buckets(Rate(1.0, 5.0), clock=lambda: 0.0)
    codes = []
    for n in range(8):
        team.client.cookies.set(team.access.cookie, f"made-up-{n}")
        codes.append(team.client.get("/api/overview").status_code)
    assert codes == [401] * 5 + [429] * 3
    bucket = Buckets(Rate(1.0, 1.0), clock=lambda: 0.0)
    for n in range(MAX_CLIENTS + 10):
        bucket.take(f"client-{n}")
    assert len(bucket._levels) <= MAX_CLIENTS


def test_sign_ins_with_made_up_names_are_limited_per_address(team: Served) -> None:
    team.access.login_addresses = Buckets(LOGIN_ADDRESSES, clock=lambda: 0.0)
    burst = int(LOGIN_ADDRESSES.burst)
    codes = [_sign_in(team, f"nobody-{n}", "x") for n in range(burst + 2)]
    assert codes[:burst] == [401] * burst and codes[-1] == 429


def test_sessions_end_when_idle_or_replaced_and_https_cookies_are_secure(team: Served) -> None:
    assert _sign_in(team, "rita") == 200
    first = team.client.cookies.get(team.access.cookie) or ""
    assert _sign_in(team, "rita") == 200  # signing in again ends the session the browser had
    assert team.access.user_for(first) is None
    current = team.client.cookies.get(team.access.cookie) or ""
    (session,) = [s for s in team.access.sessions.values() if s.user.name == "rita"]
    session.used -= SESSION_IDLE_S + 1
    assert team.access.user_for(current) is None
    proxied, _ = _access(Options(public=("https://studio.example.org",)), 8800)
    assert proxied.set_cookie("x").endswith("; Secure") and "Secure" not in team.access.set_cookie("x")
