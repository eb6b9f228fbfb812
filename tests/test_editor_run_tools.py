"""The editor's run tools in a real Chromium against ``flowai serve`` and the fake OpenAI-compatible
server: run one node on a typed sample, run again from a node (its upstream is not called again),
pin a node's output, load a past API-started run onto the canvas, and Stop (canvas, side card and
Runs page all say cancelled). The fake's requests are counted."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from flowai.access.keys import Keys
from tests.browser import ServedApp, admin_page, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import admin_id, make_workflow, node, open_editor, select, workflows
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language
from tests.test_background_runs import llm_chain
from tests.wait import wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake():
    fake = FakeOpenAI()
    with ThreadServer(fake.app) as server:
        fake.url = f"{server.url}/v1"
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    home = tmp_path_factory.mktemp("runtools")
    env = {"OPENAI_API_KEY": fake.api_key, "OPENAI_BASE_URL": fake.url}
    app = ServedApp.start(home, env=env)
    app.home, app.env = home, env
    try:
        with chromium() as browser:
            admin_page(browser, app).context.close()  # creates the admin account
            app.browser = browser
            yield app
    finally:
        app.stop()


@pytest.fixture
def page(served):
    page = admin_page(served.browser, served)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(20_000)
    page.errors = errors
    yield page
    page.context.close()


def chain(*models: str) -> dict:
    """input -> LLM A -> LLM B ... -> output, laid out left to right."""
    doc = llm_chain(*models)
    for i, n in enumerate(doc["nodes"]):
        n["position"] = {"x": i * 280, "y": 40 * (i % 2)}
    return doc


def pick(page, node_id: str) -> None:
    """Click a node and wait until the settings panel shows it (in any language)."""
    node(page, node_id).locator(".fa-head").click()
    expect(page.get_by_test_id("node-id")).to_have_text(re.compile(rf"[:：]\s*{re.escape(node_id)}$"))


def prompts(fake) -> list[str]:
    return [body["messages"][-1]["content"] for body in fake.requests]


def new_requests(fake, before: int, count: int) -> list[str]:
    """Wait until the fake has ``count`` more requests than ``before``; their prompts."""
    wait_until(lambda: len(fake.requests) >= before + count, timeout=30, message="the fake was not called")
    return prompts(fake)[before:]


def run_all(page, text: str = "hi") -> None:
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-输入").fill(text)
    page.get_by_test_id("run-start").click()


def test_run_a_single_node_on_a_typed_sample(served, page, fake):
    wf_id = make_workflow(served.home, chain("echo", "echo"))
    open_editor(page, served, wf_id)
    before = len(fake.requests)
    select(page, "b")
    page.get_by_test_id("tool-run-node").click()
    dialog = page.get_by_test_id("sample-dialog")
    expect(dialog).to_contain_text("A · Answer")
    dialog.get_by_test_id("sample-a-text").fill("typed sample 样例")
    shot(page, "run-tools-sample-en")
    page.get_by_test_id("sample-run").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    assert new_requests(fake, before, 1) == ["b:typed sample 样例"]  # exactly that prompt
    expect(node(page, "b")).to_have_attribute("data-status", "done")
    expect(node(page, "a")).to_have_attribute("data-status", "sample")
    expect(node(page, "out")).to_have_attribute("data-status", "")  # nothing downstream ran either
    expect(page.get_by_test_id("run-node-b")).to_contain_text("b:typed sample 样例")
    assert len(fake.requests) == before + 1  # nothing upstream ran
    shot(page, "run-tools-single-node-en")
    assert page.errors == []


def test_run_again_from_a_node_does_not_call_its_upstream(served, page, fake):
    wf_id = make_workflow(served.home, chain("echo", "echo"))
    open_editor(page, served, wf_id)
    select(page, "b")
    page.get_by_test_id("tool-run-from").click()  # no run yet: nothing to reuse
    expect(page.locator(".q-notification", has_text="Run the workflow once first")).to_be_visible()

    before = len(fake.requests)
    run_all(page)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    assert new_requests(fake, before, 2) == ["a:hi", "b:a:hi"]

    select(page, "b")  # run b alone: its sample is a's output in that run
    page.get_by_test_id("tool-run-node").click()
    expect(page.get_by_test_id("sample-a-text")).to_have_value("a:hi")
    page.get_by_test_id("sample-run").click()
    expect(node(page, "a")).to_have_attribute("data-status", "sample")
    assert new_requests(fake, before + 2, 1) == ["b:a:hi"]
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)

    select(page, "b")
    page.get_by_test_id("field-prompt").fill("B2:{{a.text}}")  # edit b, then run from it
    page.get_by_test_id("tool-run-from").click()
    expect(node(page, "a")).to_have_attribute("data-status", "reused")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    assert new_requests(fake, before + 3, 1) == ["B2:a:hi"]
    expect(page.get_by_test_id("run-output-text")).to_have_text("B2:a:hi")
    assert len(fake.requests) == before + 4  # a was not called again
    shot(page, "run-tools-run-from-en")
    assert page.errors == []


def test_a_pinned_output_flows_downstream_without_calling_its_provider(served, page, fake):
    wf_id = make_workflow(served.home, chain("echo", "echo"))
    open_editor(page, served, wf_id)
    select(page, "a")
    page.get_by_test_id("tool-pin").click()
    page.get_by_test_id("pin-value").fill("not json")
    page.get_by_test_id("pin-save").click()
    expect(page.get_by_test_id("pin-error")).not_to_be_empty()
    page.get_by_test_id("pin-value").fill('{"text": "pinned 固定"}')
    page.get_by_test_id("pin-save").click()
    expect(node(page, "a").locator('[data-role="pin"]')).to_be_visible()

    before = len(fake.requests)
    run_all(page)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)
    assert new_requests(fake, before, 1) == ["b:pinned 固定"]
    expect(node(page, "a")).to_have_attribute("data-status", "pinned")
    expect(page.get_by_test_id("run-output-text")).to_have_text("b:pinned 固定")
    assert len(fake.requests) == before + 1  # a's provider was never called
    shot(page, "run-tools-pinned-en")
    page.get_by_test_id("run-trace").click()
    expect(page.get_by_test_id("trace")).to_contain_text("pinned")  # not "skipped"
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("trace")).to_have_count(0)

    page.keyboard.press("Control+s")  # saved with the draft
    expect(page.get_by_test_id("save-state")).to_have_text("Saved · version 2")
    wfs = workflows(served.home)
    saved = wfs.version(owner_id=admin_id(wfs), workflow_id=wf_id, number=2).document
    assert saved["pins"] == {"a": {"text": "pinned 固定"}}
    wfs.db.dispose()

    select(page, "a")  # unpin: the next run calls a again
    page.get_by_test_id("tool-pin").click()
    page.get_by_test_id("pin-remove").click()
    expect(node(page, "a").locator('[data-role="pin"]')).to_have_count(0)
    assert page.errors == []


def test_load_a_past_api_run_onto_the_canvas(served, page, fake):
    wf_id = make_workflow(served.home, chain("echo", "echo"), publish=True)
    wfs = workflows(served.home)  # a key the served app accepts: signed with its secret
    keys = Keys(wfs.db, (served.home / "secret.key").read_text().strip())
    key, _ = keys.create(owner_id=admin_id(wfs), name="run-tools")
    wfs.db.dispose()
    answer = httpx.post(
        f"{served.url}/v1/api/workflow/run/{wf_id}", headers={"X-API-KEY": key}, json={"input": {"输入": "api"}}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["output"] == "b:a:api"

    page.goto(f"{served.url}/runs?workflow={wf_id}")
    page.get_by_test_id("runs").locator("tbody tr").first.click()
    expect(page.get_by_test_id("run-source")).to_have_text("API")
    shot(page, "run-tools-run-page-en")
    page.get_by_test_id("open-on-canvas").click()
    page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
    expect(node(page, "a")).to_have_attribute("data-status", "done")
    expect(node(page, "b")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("run-status")).to_contain_text("API")
    expect(page.get_by_test_id("run-outputs-a")).to_contain_text("a:api")
    expect(page.get_by_test_id("run-outputs-b")).to_contain_text("b:a:api")
    expect(page.get_by_test_id("run-inputs-b")).to_contain_text("A.text: a:api")  # what its prompt read
    expect(page.get_by_test_id("run-usage-b")).to_contain_text("echo")  # the model
    expect(page.get_by_test_id("run-usage-b")).to_contain_text("Provider")
    shot(page, "run-tools-loaded-en")

    # the run panel lists the recent runs; one of them loads the same way
    page.get_by_test_id("recent-runs").click()
    recent = page.locator('[data-testid^="recent-run-"]').filter(has_text="API").first
    recent.click()
    expect(page.get_by_test_id("run-outputs-b")).to_contain_text("b:a:api")
    assert page.errors == []


def test_stop_says_cancelled_on_the_canvas_the_side_card_and_the_runs_page(served, page, fake):
    wf_id = make_workflow(served.home, chain("drip-200-100", "echo"))
    open_editor(page, served, wf_id)
    run_all(page)
    expect(node(page, "a")).to_have_attribute("data-status", "running")
    page.get_by_test_id("run-stop").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "cancelled")
    expect(node(page, "a")).to_have_attribute("data-status", "cancelled")
    expect(node(page, "a").locator('[data-role="status"]')).to_have_text("cancelled")
    expect(page.get_by_test_id("run-node-a")).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("run-node-a")).to_contain_text("cancelled")
    expect(node(page, "b")).to_have_attribute("data-status", "cancelled")
    shot(page, "run-tools-stopped-en")

    page.get_by_test_id("run-page-link").click()
    expect(page.get_by_test_id("run-status")).to_have_text("cancelled")
    expect(page.get_by_test_id("node-a")).to_contain_text("cancelled")
    expect(page.get_by_test_id("node-b")).to_contain_text("cancelled")
    assert page.errors == []


def test_the_run_tools_in_chinese(served, page, fake):
    wf_id = make_workflow(served.home, chain("echo", "drip-200-100"))
    try:
        open_editor(page, served, wf_id, language="简体中文")
        pick(page, "a")
        expect(page.get_by_test_id("tool-run-node")).to_contain_text("运行此节点")
        page.get_by_test_id("tool-pin").click()
        page.get_by_test_id("pin-value").fill('{"text": "固定的文本"}')
        shot(page, "run-tools-pin-dialog-zh")
        page.get_by_test_id("pin-save").click()
        expect(node(page, "a").locator('[data-role="pin"]')).to_be_visible()
        pick(page, "b")
        shot(page, "run-tools-node-tools-zh")
        run_all(page, "你好")
        expect(node(page, "b")).to_have_attribute("data-status", "running")
        page.get_by_test_id("run-stop").click()
        expect(node(page, "b").locator('[data-role="status"]')).to_have_text("已取消")
        expect(page.get_by_test_id("run-node-b")).to_contain_text("已取消")
        expect(node(page, "a").locator('[data-role="status"]')).to_have_text("已固定")
        shot(page, "run-tools-stopped-zh")
        page.get_by_test_id("recent-runs").click()
        expect(page.locator('[data-testid^="recent-run-"]').first).to_contain_text("已取消")
        shot(page, "run-tools-recent-zh")
    finally:
        switch_language(page, "English")
    assert page.errors == []
