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

import asyncio
import shutil
from contextlib import contextmanager
from datetime import datetime
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


class _Shared:
    """One Playwright driver and one Chromium per test process, lent to each module in turn. Launching
    both for every browser module (44 a run) cost 0.6-0.9 CPU-s each time.

    Between lends the driver is parked. Playwright's sync API keeps its event loop marked as running
    in the calling thread between its calls (``wait_for_future`` sets it after each); left so, every
    later ``asyncio.run`` and pytest-asyncio test in the process would refuse to start ("another loop
    is running"). Parking clears that mark, and the next lend sets it again before the first call."""

    manager = None  # playwright's PlaywrightContextManager, entered
    browser = None
    lent = 0  # nested lends (a module's browser, and a helper's inside one of its tests)


def _launch() -> None:
    from playwright.sync_api import sync_playwright

    _Shared.manager = sync_playwright()
    playwright = _Shared.manager.__enter__()
    _Shared.browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])


def _unpark(manager) -> None:
    asyncio._set_running_loop(manager._loop)  # see _Shared


def _park() -> None:
    asyncio._set_running_loop(None)


def shut_down_browser() -> None:
    """Close the shared Chromium and its driver (at the end of the test process)."""
    manager, browser, _Shared.manager, _Shared.browser = _Shared.manager, _Shared.browser, None, None
    if manager is None:
        return
    _unpark(manager)
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        manager.__exit__(None, None, None)


@contextmanager
def chromium():
    """The process's Chromium, lent for a ``with`` block. The browser contexts (and so pages) opened in
    the block are closed at its end, as closing a browser of its own did."""
    if _Shared.lent == 0:
        if _Shared.manager is not None:
            _unpark(_Shared.manager)
            if not _Shared.browser.is_connected():  # crashed or closed by a test: start again
                shut_down_browser()
        if _Shared.manager is None:
            _launch()
    browser = _Shared.browser
    before = set(browser.contexts)
    _Shared.lent += 1
    try:
        yield browser
    finally:
        _Shared.lent -= 1
        try:
            if browser.is_connected():  # (a crashed one is started again by the next lend)
                for context in [c for c in browser.contexts if c not in before]:
                    context.close()
        finally:
            if _Shared.lent == 0:
                _park()


def new_page(browser, *, width: int = 1400, height: int = 860, storage_state: dict | None = None):
    context = browser.new_context(
        viewport={"width": width, "height": height},
        permissions=["clipboard-read", "clipboard-write"],
        storage_state=storage_state,
    )
    page = context.new_page()
    watch(page)
    return page


# Logged to the console by every tab: NiceGUI's socket dropping and coming back (NiceGUI itself logs
# each reload and its reason), and the page's script held up for over 2 s (the socket's ping goes
# unanswered meanwhile: 12 s of it and the server drops the socket). A failed test's report shows
# them (tests/conftest.py).
SOCKET_WATCH = """(() => {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > 2500) console.info("[page] script held up for " + ((now - last - 500) / 1000).toFixed(1) + " s");
    last = now;
  }, 500);
  let socket;
  Object.defineProperty(window, "socket", { configurable: true, get: () => socket, set: (s) => {
    socket = s;
    s.on("disconnect", (why) => console.info("[socket] disconnected: " + why));
    s.on("connect_error", (e) => console.info("[socket] connect error: " + e.message));
    s.io.on("reconnect", (n) => console.info("[socket] reconnected after " + n + " attempt(s)"));
  }});
})();"""


def watch(page) -> None:
    """Keep ``page.trail``: each page load, and each console line, with the time it came."""
    trail: list[str] = []
    page.trail = trail

    def note(text: str) -> None:
        trail.append(f"{datetime.now().strftime('%H:%M:%S.%f')[:-3]} {text}")

    page.add_init_script(SOCKET_WATCH)
    page.on("framenavigated", lambda frame: frame == page.main_frame and note(f"load {frame.url}"))
    page.on("console", lambda m: note(f"console.{m.type}: {m.text[:300]}"))


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
