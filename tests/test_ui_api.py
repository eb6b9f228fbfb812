"""The API management page in a real browser: a key made on the page, and the calls it shows for a
published workflow run exactly as copied (curl, streaming curl, Python, JavaScript)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import httpx
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser import shot
from tests.proc import ROOT
from tests.sse import parse
from tests.ui_support import browser, copy_with, demo_app, demo_ids, page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
HELLO_ANSWER = "在呢。你说的是：在吗?"


def _run(command: list[str], **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the Python snippets import flowai.client of this checkout
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, **kw)


def _copy(page, key: str, wf_id: str) -> str:
    """Open a snippet's tab, press its copy button; the clipboard must equal the code on screen."""
    page.get_by_test_id(f"tab-{key}-{wf_id}").click()
    block = page.get_by_test_id(f"code-{key}-{wf_id}")
    block.wait_for()
    block.hover()
    copied = copy_with(page, page.get_by_test_id(f"copy-{key}-{wf_id}"))
    assert copied.strip() == block.locator("pre").inner_text().strip()
    return copied


def _open(panel):
    """Expand a workflow's "How to call" panel if it is collapsed."""
    panel.wait_for()
    for _ in range(3):  # a click landing while the page still settles is lost: click the header again
        if "q-expansion-item--expanded" not in (panel.get_attribute("class") or ""):
            panel.locator(".q-item").first.click()
        try:
            panel.locator(".nicegui-code").first.wait_for(timeout=5_000)
            return panel
        except PlaywrightTimeoutError:
            continue
    panel.locator(".nicegui-code").first.wait_for()
    return panel


@pytest.fixture(scope="module")
def api_page(page, demo_app):
    page.goto(demo_app.url + "/api-keys")
    page.get_by_test_id("keys").wait_for()
    return page


def test_key_created_on_the_page_runs_the_copied_curl_commands(api_page, demo_app, tmp_path):
    page = api_page
    hello = demo_ids(demo_app)["Hello (demo)"]
    panel = _open(page.get_by_test_id(f"call-{hello}"))
    panel.get_by_text("Replace <YOUR_API_KEY>").first.wait_for()  # no key yet: a placeholder
    assert "X-API-KEY: <YOUR_API_KEY>" in panel.get_by_test_id(f"code-standard-{hello}").inner_text()

    page.get_by_test_id("new-key").click()
    page.get_by_test_id("key-name").fill("from the page <b>bold</b>")
    page.get_by_test_id("key-rate").fill("30")
    page.get_by_test_id("create-key").click()
    secret = page.get_by_test_id("secret").inner_text().strip()
    assert secret.startswith("fai_")
    assert copy_with(page, page.get_by_test_id("copy-secret")) == secret
    page.get_by_text("shown only once").wait_for()
    page.get_by_test_id("secret-done").click()
    page.get_by_test_id("secret-dialog").wait_for(state="hidden")

    keys = page.get_by_test_id("keys")
    keys.get_by_text("from the page <b>bold</b>").wait_for()  # the name as text, not markup
    keys.get_by_text(secret[:12]).wait_for()
    keys.get_by_text("30/min").wait_for()
    assert secret not in keys.inner_text()  # the list shows a prefix only

    panel = _open(page.get_by_test_id(f"call-{hello}"))  # the snippets were redrawn with the new key
    panel.get_by_text("carry the key you just created").wait_for()
    curl = _copy(page, "standard", hello)
    assert curl.startswith("curl -X POST ") and f"{demo_app.url}/v1/api/workflow/run/{hello}" in curl
    assert f"X-API-KEY: {secret}" in curl and "输入" in curl
    out = _run(["bash", "-c", curl])
    body = json.loads(out.stdout)
    assert body["output"] == HELLO_ANSWER and set(body) == {"output", "total_time"}

    fetch = panel.get_by_test_id(f"openapi-{hello}").locator("pre").inner_text().strip()  # the workflow's OpenAPI
    assert fetch == f"curl -H 'X-API-KEY: {secret}' {demo_app.url}/v1/api/workflow/run/{hello}/openapi.json"
    document = json.loads(_run(["bash", "-c", fetch]).stdout)
    assert document["openapi"] == "3.1.0" and f"/v1/api/workflow/run/{hello}" in document["paths"]

    stream = _copy(page, "stream", hello)
    frames = parse(_run(["bash", "-c", stream]).stdout)
    assert [f.event for f in frames][:1] == ["msg"] and frames[0].json["Type"] == "start"
    assert frames[-1].event == "output" and frames[-1].json["output"] == HELLO_ANSWER

    script = tmp_path / "call.py"
    script.write_text(_copy(page, "python", hello), encoding="utf-8")
    assert _run([sys.executable, str(script)]).stdout.strip() == HELLO_ANSWER
    script.write_text(_copy(page, "python_stream", hello), encoding="utf-8")
    streamed = _run([sys.executable, str(script)]).stdout
    assert json.loads(streamed.strip().splitlines()[-1])["output"] == HELLO_ANSWER

    if shutil.which("node"):
        js = tmp_path / "call.mjs"
        js.write_text(_copy(page, "js", hello), encoding="utf-8")
        assert _run(["node", str(js)]).stdout.strip() == HELLO_ANSWER
        js.write_text(_copy(page, "js_stream", hello), encoding="utf-8")
        last = _run(["node", str(js)]).stdout.strip().splitlines()[-1]
        assert json.loads(last)["output"] == HELLO_ANSWER

    # every published workflow is listed with its id and version, and the id copies
    published = page.get_by_test_id("published")
    for wf_id in demo_ids(demo_app).values():
        published.get_by_text(wf_id).wait_for()
    assert copy_with(page, page.get_by_test_id(f"copy-wf-{hello}")) == hello
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "api-page")
    assert not page.errors


def test_revoking_a_key_asks_first_and_then_the_key_stops_working(api_page, demo_app):
    page = api_page
    hello = demo_ids(demo_app)["Hello (demo)"]
    page.reload()
    page.get_by_test_id("new-key").click()
    page.get_by_test_id("key-name").fill("short-lived")
    page.get_by_test_id("create-key").click()
    secret = page.get_by_test_id("secret").inner_text().strip()
    page.get_by_test_id("secret-done").click()
    url = f"{demo_app.url}/v1/api/workflow/run/{hello}"
    assert httpx.post(url, headers={"X-API-KEY": secret}, json={"input": {"输入": "x"}}).status_code == 200

    row = page.get_by_test_id("keys").locator("tr", has_text="short-lived")
    row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_test_id("revoke-dialog")
    dialog.get_by_text("Apps using “short-lived”").wait_for()
    dialog.get_by_role("button", name="Cancel").click()
    dialog.wait_for(state="hidden")
    assert httpx.post(url, headers={"X-API-KEY": secret}, json={"input": {"输入": "x"}}).status_code == 200

    row.get_by_role("button", name="Revoke").click()
    page.get_by_test_id("revoke-confirm").click()
    row.get_by_text("revoked").wait_for()
    assert row.get_by_role("button", name="Revoke").count() == 0
    r = httpx.post(url, headers={"X-API-KEY": secret}, json={"input": {"输入": "x"}})
    assert r.status_code == 401 and r.json()["code"] == 40101
    assert not page.errors


def test_a_key_scoped_to_one_workflow(api_page, demo_app):
    page = api_page
    ids = demo_ids(demo_app)
    page.reload()
    page.get_by_test_id("new-key").click()
    page.get_by_test_id("key-name").fill("parallel only")
    page.get_by_test_id("key-scope").click()
    page.get_by_role("option", name="Parallel branches (demo)").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("create-key").click()
    secret = page.get_by_test_id("secret").inner_text().strip()
    page.get_by_test_id("secret-done").click()
    page.get_by_test_id("keys").locator("tr", has_text="parallel only").get_by_text(
        "Parallel branches (demo)"
    ).wait_for()

    def call(name: str) -> httpx.Response:
        return httpx.post(
            f"{demo_app.url}/v1/api/workflow/run/{ids[name]}",
            headers={"X-API-KEY": secret},
            json={"input": {"输入": "x"}},
        )

    assert call("Parallel branches (demo)").status_code == 200
    refused = call("Hello (demo)")
    assert refused.status_code == 403 and refused.json()["code"] == 40301
    assert not page.errors
