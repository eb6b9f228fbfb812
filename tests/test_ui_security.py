"""Issue 12 in a real browser: claiming an instance needs the set-up token (finding 2), and a
node id can never run script on the run page (finding 7), and the UI sends framing and content
policies it still works under (finding 12)."""

from __future__ import annotations

import json
import sqlite3

import httpx
import pytest

from flowai.demo import HELLO
from tests.browser import ServedApp, chromium, new_page, sign_in
from tests.proc import flowai
from tests.test_security_web import HOSTILE_ID
from tests.wait import wait_until

pytestmark = pytest.mark.browser
PASSWORD = "a-good-password"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An instance the CLI has used (its passwordless admin owns a published workflow and a key)."""
    home = tmp_path_factory.mktemp("home")
    (home / "hello.json").write_text(json.dumps(HELLO, ensure_ascii=False))
    wf = flowai(home, "workflow", "import", "hello.json", "--publish").stdout.strip().splitlines()[-1]
    key = flowai(home, "key", "create", "--name", "cli").stdout.strip().splitlines()[-1]
    app = ServedApp.start(home)
    app.home, app.wf, app.key = home, wf, key
    try:
        yield app
    finally:
        app.stop()


def _claim(page, served, token: str) -> None:
    page.goto(served.url + "/login")
    page.get_by_test_id("setup-token-input").fill(token)
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat password").fill(PASSWORD)
    page.get_by_test_id("submit").click()


def test_claiming_the_instance_needs_the_console_token(served):
    assert served.setup_token and any("One-time set-up token" in line for line in served.lines)
    with chromium() as browser:
        page = new_page(browser)
        for wrong in ("", "guess", served.setup_token[:-1]):  # an anonymous visitor cannot become the admin
            _claim(page, served, wrong)
            page.get_by_test_id("login-error").get_by_text("Wrong set-up token").wait_for(timeout=30_000)
            assert page.url.endswith("/login")
        r = httpx.post(served.url + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30)
        assert r.status_code == 401
        _claim(page, served, served.setup_token)  # the operator, who sees the console, can
        page.wait_for_url(served.url + "/", timeout=30_000)
        other = new_page(browser)
        other.goto(served.url + "/login")
        other.get_by_test_id("submit").wait_for()
        assert other.get_by_label("Repeat password").count() == 0  # the set-up form is gone for good
        assert other.get_by_test_id("setup-token-input").count() == 0
    r = httpx.post(served.url + "/api/v1/auth/login", json={"username": "admin", "password": PASSWORD}, timeout=30)
    assert r.status_code == 200 and r.json()["data"]["user"]["id"] == 1  # the CLI's account, keys and all


def test_a_node_id_from_an_old_database_renders_as_text_on_the_run_page(served):
    r = httpx.post(
        f"{served.url}/v1/api/workflow/run/{served.wf}",
        headers={"X-API-KEY": served.key},
        json={"input": {"输入": "hi"}, "detail": True},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    run_id = r.json()["run_id"]
    with sqlite3.connect(served.home / "flowai.db", timeout=30) as db:  # the recorder writes in batches
        query = (
            "SELECT (SELECT count(*) FROM runs WHERE id = ? AND status = 'completed'),"
            " (SELECT count(*) FROM run_nodes WHERE run_id = ?)"
        )
        wait_until(
            lambda: db.execute(query, (run_id, run_id)).fetchone() == (1, 3), 60, 0.2, "the run was not recorded"
        )
    with sqlite3.connect(served.home / "flowai.db", timeout=30) as db:  # a workflow imported before ids were restricted
        cur = db.execute("UPDATE run_nodes SET node_id = ? WHERE run_id = ? AND type = 'input'", (HOSTILE_ID, run_id))
        assert cur.rowcount == 1
        # its graph no longer compiles (ids are checked now): the page lists the stored nodes as they are
        db.execute("UPDATE runs SET version = 999 WHERE id = ?", (run_id,))
    with chromium() as browser:
        page = new_page(browser)
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        sign_in(page, served, "admin", PASSWORD)
        page.goto(f"{served.url}/runs/{run_id}")
        page.get_by_text(f"input · {HOSTILE_ID}").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert dialogs == []
        assert page.locator("img[src='x']").count() == 0


def test_the_ui_works_under_its_content_policy_and_cannot_be_framed(served):
    r = httpx.get(served.url + "/login", timeout=30)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and r.headers["x-frame-options"] == "DENY"
    with chromium() as browser:
        page = new_page(browser)
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        sign_in(page, served, "admin", PASSWORD)
        page.goto(f"{served.url}/workflows/{served.wf}")  # the canvas editor: vendored JS, shadow DOM, websocket
        page.get_by_test_id("canvas").wait_for(timeout=30_000)
        page.wait_for_function(
            "document.querySelector('[data-testid=canvas]').shadowRoot"
            ".querySelectorAll('[data-testid^=node-]').length >= 3",
            timeout=30_000,
        )
        page.goto(served.url + "/runs")
        page.get_by_test_id("filter-status").wait_for(timeout=30_000)
        assert violations == []
        # another site framing the UI (clickjacking) gets nothing
        framer = new_page(browser)
        framer.set_content(f'<iframe id="f" src="{served.url}/login" width="600" height="400"></iframe>')
        framer.wait_for_timeout(2000)
        frame = framer.frame_locator("#f")
        assert frame.get_by_test_id("submit").count() == 0


def test_ui_sign_in_is_throttled_per_account(served):
    with chromium() as browser:
        page = new_page(browser)
        page.goto(served.url + "/login")
        page.get_by_test_id("submit").wait_for()
        if page.get_by_label("Repeat password").count():  # run alone: claim the instance first
            sign_in(page, served, "admin", PASSWORD)
            page.context.clear_cookies()

        def attempt(password: str, expected: str) -> None:  # a fresh page each time: one answer per attempt
            page.goto(served.url + "/login")
            page.get_by_label("Username").fill("mallory")
            page.get_by_label("Password", exact=True).fill(password)
            page.get_by_test_id("submit").click()
            page.get_by_test_id("login-error").get_by_text(expected).wait_for(timeout=30_000)

        for i in range(10):
            attempt(f"guess-{i:06d}", "Wrong username or password")
        attempt("guess-final", "Too many failed attempts")
    r = httpx.post(served.url + "/api/v1/auth/login", json={"username": "mallory", "password": "x" * 12}, timeout=30)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1  # the same lock on the API
