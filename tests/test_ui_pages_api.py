"""The API page in a real browser: "Published workflows" lists only published ones, and each
offers a plain-requests Python call beside FlowAI's client."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import shot
from tests.ui_support import browser, demo_app, demo_ids, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_published_workflows_lists_only_published_ones(page, demo_app):
    page.goto(demo_app.url + "/")
    page.get_by_test_id("new-workflow").click()
    page.get_by_test_id("new-name").fill("Never published")
    page.get_by_test_id("create-workflow").click()
    page.wait_for_url("**/workflows/*")
    page.goto(demo_app.url + "/api-keys")
    table = page.get_by_test_id("published")
    table.wait_for()
    expect(table).not_to_contain_text("Never published")
    for row in table.locator("tbody tr").all():
        expect(row.locator(".q-badge")).to_have_text("published")
    hello = demo_ids(demo_app)["Hello (demo)"]
    expect(table).to_contain_text("Hello (demo)")
    panel = page.get_by_test_id(f"call-{hello}")
    if "q-expansion-item--expanded" not in (panel.get_attribute("class") or ""):
        panel.locator(".q-item").first.click()
    panel.locator(".nicegui-code").first.wait_for()
    code = page.get_by_test_id(f"code-python_requests-{hello}")
    for _ in range(3):  # a click landing while the panel still opens is lost: click the tab again
        page.get_by_test_id(f"tab-python_requests-{hello}").click()
        try:
            expect(code).to_contain_text("import requests", timeout=5_000)
            break
        except AssertionError:
            continue
    expect(code).to_contain_text("import requests")
    shot(page, "pages-api-requests")
    assert not page.errors
