"""Real-browser test harness: ``flowai serve`` in a subprocess, Debian's Chromium via Playwright.

    app = ServedApp.start(tmp_path, env={"OPENAI_API_KEY": ..., "OPENAI_BASE_URL": fake.url})
    with chromium() as browser:
        page = new_page(browser)
        sign_in(page, app)            # creates the admin on a fresh instance
        tab = admin_page(browser, app)  # a new context already signed in as the admin (blank page)
    app.stop()

Screenshots go to ``test-artifacts/`` (``shot(page, "editor")``).
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import free_port
from tests.proc import Served

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
# Debian's headless shell (package chromium-headless-shell, what Playwright itself runs for headless
# tests): the same Blink and V8 without the browser's UI layer; in this suite it spends about a third
# less CPU than ``chromium --headless``, the suite's largest cost on two cores.
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium") or "/usr/bin/chromium"
ADMIN = ("admin", "a-good-password")


class ServedApp(Served):
    admin_state: dict | None = None  # the admin's signed-in session (cookies), once ``admin_page`` made it

    @property
    def setup_token(self) -> str | None:
        """The one-time set-up token ``flowai serve`` printed (None on a claimed instance)."""
        marker = "One-time set-up token: "
        return next((line.split(marker, 1)[1].strip() for line in self.lines if marker in line), None)

    @classmethod
    def start(cls, home: Path, *args: str, env: dict[str, str] | None = None) -> ServedApp:
        app = cls(home, "serve", *args, port=free_port(), **(env or {}))
        try:
            app.wait_ready(until_line="in a browser")
        except BaseException:
            app.stop()
            raise
        return app


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser, *, width: int = 1400, height: int = 860, storage_state: dict | None = None):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        permissions=["clipboard-read", "clipboard-write"],
        storage_state=storage_state,
    )
    return context.new_page()


def admin_page(browser, app: ServedApp, *, width: int = 1400, height: int = 860):
    """A page in a new browser context, signed in as the admin. The first for ``app`` signs in on the
    sign-in page (on a fresh instance that creates the admin); the page, like every later one, starts
    from that session's cookies on a blank page, instead of two page loads for a sign-in its test is
    not about. Their tabs share the session's user storage (language, clipboard, hidden panels),
    as one person's tabs do; a test about signing in or out uses ``sign_in`` in its own context."""
    if app.admin_state is None:
        page = new_page(browser)
        sign_in(page, app)
        app.admin_state = page.context.storage_state()
        page.context.close()
    return new_page(browser, width=width, height=height, storage_state=app.admin_state)


def sign_in(page, app: Served, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    """Sign in; on a fresh instance the first visit creates this admin account (with the set-up
    token the server printed)."""
    page.goto(app.url + "/login")
    page.get_by_test_id("submit").wait_for()
    if page.get_by_label("Repeat password").count():
        page.get_by_test_id("setup-token-input").fill(app.setup_token or "")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_label("Repeat password").fill(password)
    else:
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
    page.get_by_test_id("submit").click()
    page.wait_for_url(app.url + "/")


@contextmanager
def signed_in_page(app: Served, *, timeout_ms: int = 15_000):
    """A browser page signed in to ``app``, collecting the page's script errors in ``page.errors``."""
    with chromium() as browser:
        page = new_page(browser)
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.set_default_timeout(timeout_ms)
        sign_in(page, app)
        yield page


def shot(page, name: str, *, hide: str = "") -> Path:
    """A screenshot of the page; ``hide``: a CSS selector of what to leave out of it (without waiting
    for it to go, e.g. notifications on their way out)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), style=f"{hide} {{ visibility: hidden !important; }}" if hide else None)
    return path
