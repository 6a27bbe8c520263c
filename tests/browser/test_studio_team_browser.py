"""The studio with named users (``subpipe studio JOB --users FILE``) in a real headless Chromium: a reviewer of
French and an approver of every language, each in their own browser context. Signing in through the form lands on
the page asked for; English is read only for the reviewer (controls disabled, the server's 403 shown and nothing
changed); the reviewer's French edit reaches the approver live, who approves it; both editing one cue gives the
second save the conflict dialog; a save over the rate limit is retried after Retry-After; signing out sends every
tab of the browser to the sign-in page and the API answers 401."""

from __future__ import annotations

import http.client
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, Page, Response, Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from studio_kit import KNOWN_CSP_MESSAGE, chromium, served_studio, wait_for

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
REVIEWER = "rita"  # reviewer of fr
APPROVER = "abe"  # approver of every language
READ_ONLY = "read only: not one of your languages"
EDIT_CONTROLS = ("split", "merge", "insert", "delete", "reflow", "set-start", "set-end", "undo", "redo")


@dataclass
class Team:
    """A running ``subpipe studio --users``: its base URL."""

    base: str


def _job(folder: Path, clip: Path, transcript: Path) -> Path:
    """The 15 s clip of the other browser test, in English and French; nothing burned (no render competes)."""
    job = folder / "job.toml"
    job.write_text(
        f'output_dir = "{(folder / "out").as_posix()}"\n[[videos]]\nname = "clip"\nvideo = "{clip.as_posix()}"\n'
        f'transcript = "{transcript.as_posix()}"\nlanguages = ["en", "fr"]\ndefault_language = "en"\n'
        "[outputs]\nburn = false\nmux = []\nreview = false\n",
        encoding="utf-8",
    )
    return job


def _users(folder: Path) -> Path:
    """Two people with one password (a cheap Argon2id hash: its parameters travel in it)."""
    hashed = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    path = folder / "users.toml"
    path.write_text(
        f'[[users]]\nname = "{REVIEWER}"\npassword = "{hashed}"\nrole = "reviewer"\nlanguages = ["fr"]\n\n'
        f'[[users]]\nname = "{APPROVER}"\npassword = "{hashed}"\nrole = "approver"\nlanguages = ["*"]\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory, clip15: Path, clip15_transcript: Path) -> Iterator[Team]:
    """``subpipe studio --port 0 --users users.toml`` on the 15 s clip."""
    tmp = tmp_path_factory.mktemp("studio-team")
    transcript = Path(shutil.copy(clip15_transcript, tmp / "transcript.json"))
    with served_studio(tmp, _job(tmp, clip15, transcript), "--users", str(_users(tmp))) as url:
        assert "token=" not in url, "a studio with a users file has no token"
        yield Team(url.rstrip("/"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (nothing downloaded), one for the module's tests."""
    with chromium() as found:
        yield found


@pytest.fixture()
def people(browser: Browser) -> Iterator[tuple[BrowserContext, BrowserContext, list[str]]]:
    """Two fresh browser contexts (two people, two cookie jars) and the console errors their pages log."""
    errors: list[str] = []
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(2)]
    for context in contexts:
        context.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        context.on("weberror", lambda e: errors.append(f"pageerror: {e.error}"))
    try:
        yield contexts[0], contexts[1], errors
    finally:
        for context in contexts:
            context.close()


def pump(page: Page, check: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll ``check`` while Playwright handles the page's events (route handlers run only inside its calls)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        page.wait_for_timeout(50)


def painted(page: Page) -> Page:
    """Wait for the editor's first paint."""
    wait_for(page, "() => window.studio && studio.firstPaintMs !== null", "the editor's first paint")
    return page


def idle(page: Page) -> None:
    """Wait until the page has no save queued or in flight."""
    wait_for(page, "() => !studio.busy", "the saves")


def sign_in_by_api(context: BrowserContext, team: Team, name: str) -> None:
    """A session for ``name`` in ``context``'s cookie jar (the form is tested with the reviewer)."""
    response = context.request.post(f"{team.base}/api/login", data={"name": name, "password": PASSWORD})
    assert response.ok, response.text()


def editor(context: BrowserContext, team: Team, lang: str) -> Page:
    """A new editor page of ``lang`` in ``context``, after its first paint."""
    page = context.new_page()
    page.goto(f"{team.base}/edit/clip/{lang}")
    return painted(page)


def row(page: Page, cue_id: str) -> Any:
    return page.locator(f"[data-testid=cue-row][data-cue-id='{cue_id}']")


def text_area(page: Page, cue_id: str) -> Any:
    return row(page, cue_id).locator("[data-testid=cue-text]")


def server_cue(context: BrowserContext, team: Team, lang: str, cue_id: str) -> dict[str, Any]:
    """The cue as the server has it (GET of the track with ``context``'s session)."""
    response = context.request.get(f"{team.base}/api/videos/clip/tracks/{lang}")
    assert response.ok, response.status
    cue: dict[str, Any] = next(c for c in response.json()["cues"] if c["id"] == cue_id)
    return cue


def type_and_save(page: Page, cue_id: str, text: str) -> None:
    """Type ``text`` into the cue, save it (Ctrl+Enter) and leave the field."""
    area = text_area(page, cue_id)
    area.fill(text)
    area.press("Control+Enter")
    idle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    idle(page)


def wait_text(page: Page, cue_id: str, text: str, what: str) -> None:
    """Wait until the page has ``text`` in the cue."""
    wait_for(page, f"() => studio.cues.find((c) => c.id === {cue_id!r})?.text === {text!r}", what)


def direct_post(page: Page, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    """A POST from the page's own context (its cookie, its CSRF token): the status and the JSON answer."""
    js = """async ([url, body]) => {
      const { csrf } = await (await fetch('/api/session')).json()
      const headers = { 'content-type': 'application/json', 'X-CSRF-Token': csrf }
      const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })
      return [r.status, await r.json()]
    }"""
    status, answer = page.evaluate(js, [url, body])
    return int(status), answer


def test_a_reviewer_and_an_approver(team: Team, people: tuple[BrowserContext, BrowserContext, list[str]]) -> None:
    """A reviewer of French (signing in through the form) and an approver of every language, side by side; the
    console shows no error but the refusals the test provokes."""
    reviewer, approver, errors = people
    sign_in_by_api(approver, team, APPROVER)
    page = sign_in_through_the_form(reviewer, team, "/edit/clip/en")
    english_is_read_only(page, approver, team)
    refused_on_the_page(page, approver, team)
    fr, boss = edit_and_approve_french(reviewer, approver, team)
    both_edit_one_cue(fr, boss, approver, team)
    sign_out_everywhere(reviewer, fr, team)
    expected = (KNOWN_CSP_MESSAGE, *(f"status of {n} " for n in (401, 403, 409)))  # refusals the test asks for
    unexpected = [e for e in errors if not any(x in e for x in expected)]
    assert not unexpected, unexpected


def sign_in_through_the_form(reviewer: BrowserContext, team: Team, path: str) -> Page:
    """No session: the editor's address goes to /login?next=PATH; a wrong password is refused in the form; the
    right one lands on the page asked for."""
    page = reviewer.new_page()
    page.goto(f"{team.base}{path}")
    where = urlsplit(page.url)
    assert where.path == "/login" and parse_qs(where.query)["next"] == [path], page.url
    assert reviewer.request.get(f"{team.base}/api/session").status == 401
    page.locator("[data-testid=name]").press_sequentially(REVIEWER)
    page.locator("[data-testid=password]").press_sequentially("not the password")
    page.click("[data-testid=submit]")
    page.locator("[data-testid=problem]", has_text="wrong name or password").wait_for()
    page.locator("[data-testid=password]").fill("")
    page.locator("[data-testid=password]").press_sequentially(PASSWORD)
    page.locator("[data-testid=password]").press("Enter")
    page.wait_for_url(f"{team.base}{path}")
    return painted(page)


def english_is_read_only(page: Page, approver: BrowserContext, team: Team) -> None:
    """The reviewer of French on the English editor: the note, every field and editing button disabled, Approve
    too, the timeline's regions not draggable, shortcuts only say so; a POST from the page itself gets 403 and the
    approver's GET shows the cue unchanged."""
    assert page.locator("[data-testid=user]").inner_text() == f"{REVIEWER} (reviewer)"
    assert page.locator("[data-testid=sign-out]").is_visible()
    assert page.locator("[data-testid=read-only]").inner_text() == READ_ONLY
    assert page.locator("[data-testid=read-only]").is_visible()
    assert page.evaluate("() => studio.readOnly") is True
    cue = page.evaluate("() => studio.cues[0]")
    for testid in ("cue-text", "cue-start", "cue-end"):
        assert not row(page, cue["id"]).locator(f"[data-testid={testid}]").is_editable(), testid
    for testid in (*EDIT_CONTROLS, "approve"):
        assert page.locator(f"[data-testid={testid}]").is_disabled(), testid
    assert page.locator("[data-testid=history]").is_enabled()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and "/edits" in r.url else None)
    region = page.locator(f"#waveform [data-cue-id='{cue['id']}']")
    box = region.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + box["width"] / 2 + step * 8, box["y"] + box["height"] / 2)
    page.mouse.up()
    text_area(page, cue["id"]).click()
    page.keyboard.press("Insert")
    page.locator("[data-testid=message-note]", has_text=READ_ONLY).first.wait_for()
    page.wait_for_timeout(400)
    assert posts == [], posts
    assert page.evaluate("() => studio.cues[0]") == cue
    after = region.bounding_box()
    assert after and abs(after["x"] - box["x"]) < 1.5, (box, after)
    change = {**{k: cue[k] for k in ("id", "version", "start_ms", "end_ms")}, "op": "update", "text": "Not hers."}
    status, answer = direct_post(page, "/api/videos/clip/tracks/en/edits", {"label": "text", "changes": [change]})
    assert status == 403 and "may not edit en" in answer["error"], (status, answer)
    assert server_cue(approver, team, "en", cue["id"]) == cue


def refused_on_the_page(page: Page, approver: BrowserContext, team: Team) -> None:
    """Controls enabled by hand (as from the developer tools): the server's 403 is shown; the page keeps the
    server's text, its undo stack stays empty, the approval is not shown as given."""
    cue = page.evaluate("() => studio.cues[1]")
    area = text_area(page, cue["id"])
    area.evaluate("(e) => { e.readOnly = false }")
    area.fill("Typed past the read-only field.")
    area.evaluate("(e) => e.blur()")
    error = page.locator("[data-testid=message-error]")
    error.wait_for()
    assert "not saved" in error.inner_text() and "may not edit en" in error.inner_text(), error.inner_text()
    idle(page)
    assert area.input_value() == cue["text"]
    assert page.evaluate("() => studio.drafts") == {}
    assert page.evaluate("() => studio.undoDepth") == 0
    assert page.evaluate("() => studio.cues[1]") == cue
    assert server_cue(approver, team, "en", cue["id"]) == cue
    page.evaluate("() => { document.querySelector('[data-testid=approve]').disabled = false }")
    page.click("[data-testid=approve]")
    page.locator("[data-testid=message-error]", has_text="may not approve en").wait_for()
    assert page.evaluate("() => studio.approved") is None
    assert page.locator("[data-testid=approval-state]").get_attribute("data-approved") == "false"


def edit_and_approve_french(reviewer: BrowserContext, approver: BrowserContext, team: Team) -> tuple[Page, Page]:
    """The reviewer edits French (saved); the approver, with the French editor open, sees it arrive and approves
    it (the reviewer may not: a reviewer's Approve stays disabled); the reviewer sees the approval."""
    fr = reviewer.pages[0]
    fr.goto(f"{team.base}/edit/clip/fr")
    painted(fr)
    boss = editor(approver, team, "fr")
    assert fr.evaluate("() => studio.readOnly") is False
    assert fr.locator("[data-testid=read-only]").is_hidden()
    assert fr.locator("[data-testid=approve]").is_disabled(), "a reviewer may not approve"
    assert boss.locator("[data-testid=approve]").is_enabled()
    assert boss.locator("[data-testid=user]").inner_text() == f"{APPROVER} (approver)"
    cue_id = fr.evaluate("() => studio.cues[0].id")
    type_and_save(fr, cue_id, "Le monde change, minute après minute.")
    assert fr.evaluate("() => studio.undoDepth") == 1
    assert server_cue(approver, team, "fr", cue_id)["text"] == "Le monde change, minute après minute."
    wait_text(boss, cue_id, "Le monde change, minute après minute.", "the approver seeing the edit live")
    assert text_area(boss, cue_id).input_value() == "Le monde change, minute après minute."
    boss.click("[data-testid=approve]")
    boss.locator("[data-testid=approval-state]", has_text=f"approved by {APPROVER}").wait_for()
    fr.locator("[data-testid=approval-state]", has_text=f"approved by {APPROVER}").wait_for()
    return fr, boss


def both_edit_one_cue(fr: Page, boss: Page, approver: BrowserContext, team: Team) -> None:
    """The reviewer's save of a cue is held on the wire while the approver saves the same cue: the reviewer's save
    arrives second and gets the conflict dialog with both texts; "Keep mine" stores hers, which reaches the
    approver live."""
    cue_id = fr.evaluate("() => studio.cues[1].id")
    held: list[Route] = []

    def hold(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    fr.route("**/tracks/fr/edits", hold)
    area = text_area(fr, cue_id)
    area.fill("Le texte de Rita.")
    area.press("Control+Enter")
    pump(fr, lambda: bool(held), "the reviewer's save on the wire")
    type_and_save(boss, cue_id, "Le texte d'Abe.")
    held[0].continue_()
    dialog = fr.locator("[data-testid=conflict-dialog]")
    dialog.wait_for()
    assert "Le texte d'Abe." in dialog.locator("[data-testid=conflict-theirs]").inner_text()
    assert "Le texte de Rita." in dialog.locator("[data-testid=conflict-yours]").inner_text()
    fr.click("[data-testid=keep-mine]")
    wait_text(fr, cue_id, "Le texte de Rita.", "the reviewer's text kept")
    idle(fr)
    fr.unroute("**/tracks/fr/edits")
    assert fr.evaluate("() => studio.conflicts") == 1
    assert server_cue(approver, team, "fr", cue_id)["text"] == "Le texte de Rita."
    wait_text(boss, cue_id, "Le texte de Rita.", "the approver seeing the text kept")
    boss.locator("[data-testid=approval-state]", has_text="not approved").wait_for()


def sign_out_everywhere(reviewer: BrowserContext, fr: Page, team: Team) -> None:
    """The overview shows who is signed in and that Export is not a reviewer's; Sign out there sends it and the
    browser's other studio tab (the French editor) to the sign-in page; the API then answers 401."""
    overview = reviewer.new_page()
    overview.goto(f"{team.base}/")
    overview.locator("[data-testid=lang-cell]").first.wait_for()
    assert overview.locator("[data-testid=user]").inner_text() == f"{REVIEWER} (reviewer)"
    assert overview.locator("[data-testid=export]").is_disabled()
    en_cell = overview.locator("[data-testid=lang-cell][data-lang=en]")
    assert en_cell.locator("[data-testid=cell-read-only]").inner_text() == "read only"
    assert overview.locator("[data-testid=lang-cell][data-lang=fr] [data-testid=cell-read-only]").count() == 0
    overview.click("[data-testid=sign-out]")
    overview.wait_for_url(f"{team.base}/login")
    fr.wait_for_url(f"{team.base}/login?next=%2Fedit%2Fclip%2Ffr*")
    assert reviewer.request.get(f"{team.base}/api/session").status == 401
    assert reviewer.request.get(f"{team.base}/api/videos/clip/tracks/fr").status == 401


@pytest.mark.parametrize("next_path", ["//evil.example/x", "/\\evil.example/x", "/.//evil.example/x"])
def test_signing_in_never_leaves_the_studio(
    team: Team, people: tuple[BrowserContext, BrowserContext, list[str]], next_path: str
) -> None:
    """A ``next`` that the browser would resolve to another host sends the person to a page of the studio."""
    context, _, _ = people
    page = context.new_page()
    page.goto(f"{team.base}/login?{urlencode({'next': next_path})}")
    page.locator("[data-testid=name]").fill(APPROVER)
    page.locator("[data-testid=password]").fill(PASSWORD)
    page.click("[data-testid=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login")
    assert urlsplit(page.url).netloc == urlsplit(team.base).netloc, page.url


def test_the_approver_may_export(team: Team, people: tuple[BrowserContext, BrowserContext, list[str]]) -> None:
    """An approver of every language: Export enabled, no cell read only."""
    context, _, _ = people
    sign_in_by_api(context, team, APPROVER)
    page = context.new_page()
    page.goto(f"{team.base}/")
    page.locator("[data-testid=lang-cell]").first.wait_for()
    assert page.locator("[data-testid=export]").is_enabled()
    assert page.locator("[data-testid=cell-read-only]").count() == 0
    assert page.locator("[data-testid=sign-out]").is_visible()


def flood(team: Team, cookies: list[Any], threads: int = 3) -> Callable[[], None]:
    """POSTs with the session of ``cookies`` as fast as the studio answers them, from threads of this process
    (not the page's: Chromium's six connections would hold them back while the page is busy); returns the stop."""
    jar = "; ".join(f"{c['name']}={c['value']}" for c in cookies)
    netloc = urlsplit(team.base).netloc
    done = threading.Event()

    def loop() -> None:
        connection = http.client.HTTPConnection(netloc, timeout=10)
        try:
            while not done.is_set():
                connection.request("POST", "/api/session", body=b"", headers={"cookie": jar})
                connection.getresponse().read()
        except OSError:  # the studio stopped (a failed test's teardown)
            pass
        finally:
            connection.close()

    running = [threading.Thread(target=loop, daemon=True) for _ in range(threads)]
    for thread in running:
        thread.start()

    def stop() -> None:
        done.set()
        for thread in running:
            thread.join(10)

    return stop


def test_a_save_over_the_rate_is_retried(team: Team, people: tuple[BrowserContext, BrowserContext, list[str]]) -> None:
    """Requests with the page's session empty its write bucket (25/s, burst 50): the save gets 429, the page says it
    retries in N s (Retry-After), and after N s the save goes through once the flood has stopped."""
    context, _, _ = people
    sign_in_by_api(context, team, APPROVER)
    page = editor(context, team, "fr")
    cue_id = page.evaluate("() => studio.cues[2].id")
    answers: list[tuple[int, float, str | None]] = []  # status, sent at (ms), Retry-After

    def seen(response: Response) -> None:
        if response.request.method == "POST" and response.url.endswith("/tracks/fr/edits"):
            sent_ms = response.request.timing["startTime"]  # the page's clock, when the request went out
            answers.append((response.status, sent_ms, response.headers.get("retry-after")))

    page.on("response", seen)
    stop = flood(team, context.cookies())
    try:
        page.wait_for_timeout(300)
        before, text = refused_save(page, cue_id, answers)
        note = page.locator("[data-testid=message-note]", has_text="too many requests, retrying in")
        note.wait_for()
    finally:
        stop()
    assert note.inner_text().startswith("too many requests, retrying in 1 s"), note.inner_text()
    assert text_area(page, cue_id).input_value() == text, "the typed text stays while the save waits"
    pump(page, lambda: len(answers) == before + 2, "the retried save")
    idle(page)
    (first, t0, after), (second, t1, _) = answers[before:]
    assert (first, second) == (429, 200) and after == "1", answers
    assert t1 - t0 >= 1000, answers
    assert server_cue(context, team, "fr", cue_id)["text"] == text
    assert page.evaluate("() => studio.undoDepth") == len(answers) - 1


def refused_save(page: Page, cue_id: str, answers: list[tuple[int, float, str | None]]) -> tuple[int, str]:
    """Save texts into the cue until one gets 429 (now and then one lands on a token refilled among the flood's):
    how many answers came before it, and its text."""
    area = text_area(page, cue_id)
    for attempt in range(10):
        text = f"Envoyé deux fois ({attempt})."
        before = len(answers)
        area.fill(text)
        area.press("Control+Enter")
        pump(page, lambda: len(answers) > before, "the save's answer")  # noqa: B023 (used at once)
        if answers[-1][0] == 429:
            return before, text
        idle(page)
    raise AssertionError(f"no save was refused during the flood: {answers}")
