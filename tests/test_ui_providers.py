"""The providers page in a real browser (admins only): a credential saved from the page is masked
and never sent back in clear, priorities reorder, quotas show a usage bar, the time zone is kept,
and "test connection" asks a real (local) provider server."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.browser import ServedApp, chromium, new_page, shot, sign_in, signed_in_page
from tests.conftest import ThreadServer
from tests.proc import flowai

pytestmark = pytest.mark.browser
GOOD_KEY = "sk-good-0123456789abcdef"
ENV_KEY = "gsk-env-secret-0123456789"


def _models(request: Request) -> JSONResponse:
    """An OpenAI-compatible ``GET /v1/models`` that accepts one key only."""
    if request.headers.get("authorization") != f"Bearer {GOOD_KEY}":
        return JSONResponse(
            {
                "error": {
                    "message": "Incorrect API key provided.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            },
            status_code=401,
        )
    return JSONResponse(
        {"object": "list", "data": [{"id": "m-1", "object": "model"}, {"id": "m-2", "object": "model"}]}
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with ThreadServer(Starlette(routes=[Route("/v1/models", _models)])) as upstream:
        home = tmp_path_factory.mktemp("home")
        app = ServedApp.start(home, env={"GROQ_API_KEY": ENV_KEY})
        app.home = home
        app.upstream = f"{upstream.url}/v1"
        try:
            yield app
        finally:
            app.stop()


@pytest.fixture(scope="module")
def page(served):
    with signed_in_page(served) as p:
        p.goto(served.url + "/providers")
        p.get_by_test_id("provider-openai").wait_for()
        yield p


def _order(page, task: str) -> list[str]:
    card = page.get_by_test_id(f"priorities-{task}")
    return [el.get_attribute("data-name") for el in card.locator("[data-name]").all()]


def test_a_saved_key_is_masked_and_never_sent_back(page, served):
    groq = page.get_by_test_id("provider-groq")
    groq.get_by_text("from the environment").wait_for()
    assert page.get_by_test_id("masked-groq").inner_text() == "gsk…6789"

    page.get_by_test_id("set-key-openai").click()
    key_input = page.get_by_test_id("credential-key")
    assert key_input.get_attribute("type") == "password"
    key_input.fill(GOOD_KEY)
    page.get_by_test_id("credential-base-url").fill(served.upstream)
    page.get_by_test_id("credential-allow-private").click()  # the fake is on 127.0.0.1 (issue 12 #13)
    page.get_by_test_id("credential-save").click()
    page.get_by_test_id("provider-openai").get_by_text("saved here").wait_for()
    assert page.get_by_test_id("masked-openai").inner_text() == "sk-…cdef"

    page.reload()
    page.get_by_test_id("masked-openai").wait_for()
    html = page.content()
    assert GOOD_KEY not in html and ENV_KEY not in html
    page.get_by_test_id("set-key-openai").click()
    assert page.get_by_test_id("credential-key").input_value() == ""  # never pre-filled
    page.keyboard.press("Escape")
    assert not page.errors


def test_test_connection_reports_success_and_failure(page, served):
    page.get_by_test_id("test-openai").click()
    page.get_by_test_id("test-result-openai").get_by_text("OK: 2 models available").wait_for()

    page.get_by_test_id("set-key-openai").click()
    page.get_by_test_id("credential-key").fill("sk-wrong-0123456789")
    page.get_by_test_id("credential-base-url").fill(served.upstream)
    page.get_by_test_id("credential-allow-private").click()  # the fake is on 127.0.0.1 (issue 12 #13)
    page.get_by_test_id("credential-save").click()
    page.get_by_test_id("masked-openai").get_by_text("sk-…6789").wait_for()
    page.get_by_test_id("test-openai").click()
    result = page.get_by_test_id("test-result-openai")
    result.get_by_text("Failed:").wait_for()
    assert "Incorrect API key" in result.inner_text() or "401" in result.inner_text()
    assert not page.errors


def test_priorities_reorder_and_persist(page, served):
    before = _order(page, "text")
    assert before[:2] == ["groq", "mistral"]
    page.get_by_test_id("down-text-groq").click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=priorities-text] [data-name]')"
        ".getAttribute('data-name') === 'mistral'"
    )
    assert _order(page, "text")[:2] == ["mistral", "groq"]
    page.get_by_test_id("up-text-groq").click()
    page.get_by_test_id("up-text-mistral").wait_for()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=priorities-text] [data-name]').getAttribute('data-name') === 'groq'"
    )
    page.get_by_test_id("down-text-groq").click()
    page.reload()
    page.get_by_test_id("priorities-text").wait_for()
    assert _order(page, "text")[:2] == ["mistral", "groq"]
    assert sorted(_order(page, "text")) == sorted(before)
    assert not page.errors


def test_quota_and_time_zone(page, served):
    page.get_by_test_id("quota-groq").get_by_text("no quota").wait_for()
    page.get_by_test_id("set-quota-groq").click()
    page.get_by_test_id("quota-period").click()
    page.get_by_role("option", name="month").click()
    page.get_by_test_id("quota-limit").fill("250")
    page.get_by_test_id("quota-save").click()
    quota = page.get_by_test_id("quota-groq")
    quota.get_by_text("0 / 250 calls per month").wait_for()
    page.get_by_test_id("quota-bar-groq").wait_for()

    zone = page.get_by_test_id("timezone")
    zone.click()
    zone.fill("Asia/Shang")
    page.get_by_role("option", name="Asia/Shanghai").click()
    page.get_by_test_id("timezone-save").click()
    page.get_by_text("Saved.").first.wait_for()
    page.reload()
    page.get_by_test_id("quota-groq").get_by_text("0 / 250 calls per month").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=timezone]').value === 'Asia/Shanghai'")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "providers")
    assert not page.errors


def test_only_admins_see_the_page(page, served):
    flowai(served.home, "user", "create", "--username", "designer", "--password", "designer-pass")
    p = new_page(page.context.browser)  # a second browser context: a separate sign-in
    try:
        sign_in(p, served, "designer", "designer-pass")
        p.get_by_test_id("nav-runs").wait_for()
        assert p.get_by_test_id("nav-providers").count() == 0
        p.goto(served.url + "/providers")
        p.get_by_test_id("admins-only").wait_for()
        assert p.get_by_test_id("provider-openai").count() == 0
    finally:
        p.context.close()
