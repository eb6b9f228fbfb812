"""`flowai serve --demo` as a newcomer meets it: the printed curl line works, the UI signs in.

The browser part drives Debian's Chromium with Playwright (scripts/test.sh installs it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.browser import CHROMIUM, ServedApp
from tests.conftest import free_port
from tests.sse import parse

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    server = ServedApp(home, "serve", "--demo", port=free_port())
    try:
        server.wait_ready(until_line="in a browser")
        yield server
    finally:
        server.stop()


def test_demo_prints_workflows_key_and_a_working_curl_line(demo):
    text = "\n".join(demo.lines)
    curl = next(line.strip() for line in demo.lines if line.strip().startswith("curl "))
    assert "X-API-KEY: fai_" in curl and "create the admin account" in text
    out = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    body = json.loads(out.stdout)
    assert body["output"] == "在呢。你说的是：在吗?" and set(body) == {"output", "total_time"}
    stream = subprocess.run(
        ["bash", "-c", curl.replace('{"input"', '{"stream":true,"input"')], capture_output=True, text=True, timeout=30
    )
    frames = parse(stream.stdout)
    assert frames[0].json["Type"] == "start" and frames[-1].event == "output"


def test_parallel_demo_over_http(demo):
    ids = dict(reversed(m.groups()) for m in (re.match(r"\s+([0-9a-f]{32})\s+(.*)", line) for line in demo.lines) if m)
    key = next(line.strip() for line in demo.lines if line.strip().startswith("fai_"))
    r = httpx.post(
        f"{demo.url}/v1/api/workflow/run/{ids['Parallel branches (demo)']}",
        headers={"X-API-KEY": key},
        content='{"input":{"输入":"hi","name":"Ann"}}',
    )
    assert r.json()["output"] == "Hello, Ann! You said: hi"


@pytest.mark.browser
def test_first_visit_creates_the_admin_then_lists_workflows(demo):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            page.goto(demo.url + "/")
            page.wait_for_url("**/login")
            page.get_by_text("Create the admin account").first.wait_for()
            assert demo.setup_token  # printed on the console: only the operator can claim the instance
            page.get_by_test_id("setup-token-input").fill(demo.setup_token)
            page.get_by_label("Password", exact=True).fill("short")
            page.get_by_label("Repeat password").fill("short")
            page.get_by_test_id("submit").click()
            page.get_by_text("at least 10 characters").wait_for()
            page.get_by_label("Password", exact=True).fill("a-good-password")
            page.get_by_label("Repeat password").fill("a-good-password")
            page.get_by_test_id("submit").click()
            page.wait_for_url(demo.url + "/")
            table = page.get_by_test_id("workflows")
            table.get_by_text("Hello (demo)").wait_for()
            ids = [line.split()[0] for line in demo.lines if re.match(r"\s+[0-9a-f]{32}\s", line)]
            for wf_id in ids:
                assert table.get_by_text(wf_id).is_visible()
            page.screenshot(path=str(ARTIFACTS / "workflows.png"))

            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url("**/login")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password", exact=True).fill("wrong-password")
            page.get_by_test_id("submit").click()
            page.get_by_text("Wrong username or password").wait_for()
            page.get_by_label("Password", exact=True).fill("a-good-password")
            page.get_by_test_id("submit").click()
            page.wait_for_url(demo.url + "/")
            page.get_by_test_id("username").get_by_text("admin").wait_for()
        finally:
            browser.close()
