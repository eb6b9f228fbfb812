"""Issue 15 in a real browser: the environment in the header, the admins' alert banner after a
provider keeps failing (a real failing server on 127.0.0.1), health per window and the weekly
report on the Providers page, which variable a key came from, and a "test only" key refused in
production."""

from __future__ import annotations

import json

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.browser import ServedApp, chromium, new_page, sign_in
from tests.conftest import ThreadServer
from tests.proc import flowai
from tests.router_kit import llm_doc

pytestmark = pytest.mark.browser
KEY = "gsk-failing-0123456789"


async def _chat(request: Request) -> JSONResponse:
    error = {"message": "The server had an error.", "type": "server_error", "param": None, "code": None}
    return JSONResponse({"error": error}, status_code=500)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with ThreadServer(Starlette(routes=[Route("/v1/chat/completions", _chat, methods=["POST"])])) as upstream:
        home = tmp_path_factory.mktemp("home")
        doc = home / "wf.json"
        doc.write_text(json.dumps(llm_doc()))
        wf_id = flowai(home, "workflow", "import", str(doc), "--publish").stdout.split()[-1]
        key = flowai(home, "key", "create", "--name", "k").stdout.split()[-1]
        env = {"GROQ_API_KEY": KEY, "GROQ_BASE_URL": f"{upstream.url}/v1", "FLOWAI_ENV": "production"}
        app = ServedApp.start(home, env=env)
        try:
            for _ in range(3):  # 2 attempts each (one retry): 6 failed calls, over the 50% / 5 calls default
                r = httpx.post(
                    f"{app.url}/v1/api/workflow/run/{wf_id}",
                    headers={"X-API-KEY": key},
                    content='{"input": {"q": "hi"}}',
                    timeout=60,
                )
                assert r.status_code == 502, r.text
            yield app
        finally:
            app.stop()


def test_environment_alerts_health_and_test_only_keys(served):
    with chromium() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(20_000)
        sign_in(page, served)
        page.goto(served.url + "/providers")
        page.get_by_test_id("provider-groq").wait_for()

        assert page.get_by_test_id("environment").get_attribute("data-env") == "production"
        assert page.get_by_test_id("environment").inner_text().strip() == "production"
        banner = page.get_by_test_id("alerts-banner")
        assert "Groq: 100% of 6 calls failed in the last hour" in banner.inner_text()
        assert page.get_by_test_id("page-alert-failure_rate-groq").is_visible()

        table = page.get_by_test_id("health-table")
        row = table.locator("tr", has_text="groq")
        assert "0.0%" in row.inner_text() and "server 6" in row.inner_text()
        page.get_by_test_id("health-window").click()
        page.get_by_role("option", name="last week").click()
        page.get_by_test_id("health-table").locator("tr", has_text="groq").wait_for()
        assert page.get_by_test_id("report-last").inner_text() == "Not sent yet."
        assert "Groq" in page.get_by_test_id("report-table").inner_text()

        groq = page.get_by_test_id("provider-groq")
        groq.get_by_text("from the environment (GROQ_API_KEY)").wait_for()
        assert page.get_by_test_id("refused-groq").count() == 0
        page.get_by_test_id("test-only-groq").click()
        page.get_by_test_id("refused-groq").wait_for()

        page.goto(served.url + "/")  # the banner is on every page for admins
        page.get_by_test_id("alerts-banner").wait_for()
        assert not errors
