"""Every page but the editor, in a real browser, in 简体中文 and English, light and dark, wide and
on a phone: no line of the English catalog left on a Chinese page; no page scrolls sideways at
390 px; the theme (system, light, dark) is remembered on the account. Screenshots of every page in
both languages and both themes go to test-artifacts/ (pages-<lang>-<theme>-<page>.png)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser import new_page, shot, sign_in
from tests.pages_support import switch_language
from tests.test_ui_i18n import _english_lines
from tests.ui_support import browser, demo_app, demo_ids, demo_key, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def _theme(page, theme: str) -> None:
    page.get_by_test_id("theme").click()
    page.get_by_test_id(f"theme-{theme}").click()
    page.keyboard.press("Escape")


@pytest.fixture(scope="module")
def pages(demo_app):
    """Path -> the test id that says the page is ready: every page but the editor."""
    hello = demo_ids(demo_app)["Hello (demo)"]
    r = httpx.post(
        f"{demo_app.url}/v1/api/workflow/run/{hello}",
        headers={"X-API-KEY": demo_key(demo_app)},
        json={"input": {"输入": "hi"}},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return {
        "workflows": ("/", "workflows"),
        "runs": ("/runs", "runs"),
        "run": (f"/runs/{r.headers['X-Run-Id']}", "run-status"),
        "api": ("/api-keys", "keys"),
        "providers": ("/providers", "timezone"),
    }


def _is_dark(page) -> bool:
    return page.evaluate("document.body.classList.contains('body--dark')")


def test_every_page_in_both_languages_and_both_themes(page, demo_app, pages, browser):
    left = {}
    for lang, language in (("zh", "简体中文"), ("en", "English")):
        page.goto(demo_app.url + "/")
        page.get_by_test_id("workflows").wait_for()
        if page.get_by_test_id("language").inner_text().strip() != language:
            switch_language(page, language)
        for theme in ("light", "dark"):
            page.goto(demo_app.url + "/")
            page.get_by_test_id("workflows").wait_for()
            _theme(page, theme)
            for name, (path, ready) in pages.items():
                page.goto(demo_app.url + path)
                page.get_by_test_id(ready).first.wait_for()
                assert _is_dark(page) == (theme == "dark"), (name, theme)
                if lang == "zh":
                    left[name] = _english_lines(page)
                shot(page, f"pages-{lang}-{theme}-{name}")
    # the sign-in page, signed out: its theme is the system's, its language the header's switch
    for lang, language in (("zh", "简体中文"), ("en", "English")):
        for theme in ("light", "dark"):
            other = new_page(browser)
            try:
                other.emulate_media(color_scheme=theme)
                other.goto(demo_app.url + "/login")
                other.get_by_test_id("submit").wait_for()
                if lang == "zh":
                    switch_language(other, language)
                    other.get_by_test_id("submit").wait_for()
                    left["login"] = _english_lines(other)
                assert _is_dark(other) == (theme == "dark")
                shot(other, f"pages-{lang}-{theme}-login")
            finally:
                other.context.close()
    assert {where: lines for where, lines in left.items() if lines} == {}
    _theme(page, "system")
    assert not page.errors


def test_the_theme_follows_the_system_and_is_remembered_on_the_account(page, demo_app, browser):
    page.goto(demo_app.url + "/")
    page.get_by_test_id("workflows").wait_for()
    _theme(page, "system")
    page.emulate_media(color_scheme="dark")
    page.reload()
    page.get_by_test_id("workflows").wait_for()
    expect(page.locator("body")).to_have_class(__import__("re").compile("body--dark"))
    page.emulate_media(color_scheme="light")
    expect(page.locator("body")).not_to_have_class(__import__("re").compile("body--dark"))
    _theme(page, "dark")
    other = new_page(browser)  # another browser, signed in to the same account
    try:
        other.emulate_media(color_scheme="light")
        sign_in(other, demo_app)
        other.get_by_test_id("workflows").wait_for()
        assert _is_dark(other)
    finally:
        other.context.close()
    _theme(page, "system")
    assert not page.errors


@pytest.mark.parametrize("width", [390, 1024])
def test_no_page_scrolls_sideways(browser, demo_app, pages, width):
    p = new_page(browser, width=width, height=844)
    try:
        sign_in(p, demo_app)
        wide = {}
        for name, (path, ready) in pages.items():
            p.goto(demo_app.url + path)
            p.get_by_test_id(ready).first.wait_for()
            p.wait_for_timeout(200)
            overflow = p.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                wide[name] = overflow
            shot(p, f"pages-{width}-{name}")
        assert wide == {}
        # the navigation stays reachable
        p.goto(demo_app.url + "/")
        expect(p.get_by_test_id("nav-runs")).to_be_visible()
    finally:
        p.context.close()
