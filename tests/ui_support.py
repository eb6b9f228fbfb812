"""Fixtures shared by the page tests (tests/test_ui_*.py): one demo server and one signed-in
Chromium page per test module."""

from __future__ import annotations

import re

import pytest

from tests.browser import ServedApp, chromium, new_page, sign_in


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """``flowai serve --demo``: three published workflows and a demo key."""
    app = ServedApp.start(tmp_path_factory.mktemp("home"), "--demo")
    try:
        yield app
    finally:
        app.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def page(browser, demo_app):
    """A page signed in as the admin (created on the first visit). Page errors fail the test."""
    p = new_page(browser)
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.set_default_timeout(15_000)
    sign_in(p, demo_app)
    p.errors = errors
    yield p
    p.context.close()


def demo_ids(app) -> dict[str, str]:
    """Workflow name -> id, from the lines ``flowai serve --demo`` printed."""
    return {m.group(2): m.group(1) for m in (re.match(r"\s+([0-9a-f]{32})\s+(.*)", line) for line in app.lines) if m}


def demo_key(app) -> str:
    return next(line.strip() for line in app.lines if line.strip().startswith("fai_"))


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def copy_with(page, button) -> str:
    """Empty the clipboard, click a copy button, and return what lands on the clipboard (a copy
    made by the server arrives a moment after the click)."""
    page.evaluate("navigator.clipboard.writeText('')")
    button.click()
    for _ in range(100):
        text = clipboard(page)
        if text:
            return text
        page.wait_for_timeout(50)
    raise AssertionError("nothing was copied")
