"""The run tools on a node inside a loop's frame (issue 11), in a real Chromium against
``flowai serve`` and the fake OpenAI-compatible server (its requests counted):

- "Run this node" runs the inner node alone on a sample item (the loop's ``item``, prefilled with
  the first item of the last run) and the other values it reads; nothing else is called;
- "Run from here" runs the enclosing loop again (the nodes inside a loop keep no outputs per item,
  so the loop runs again from its start) reusing everything upstream of the loop: the upstream
  LLM is not called again;
- "Pin output" pins the inner node: every item takes the pinned outputs, its provider is not called.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import expect

from flowai.platform import Platform
from flowai.runs import tools
from flowai.runs.service import Mode, Principal, Target
from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import (
    editor_tab,
    fake_openai_server,
    make_workflow,
    node,
    open_editor,
    openai_env,
    served_editor,
)
from tests.fakes.openai_server import FakeOpenAI
from tests.pages_support import switch_language
from tests.wait import wait_until


def loop_flow() -> dict:
    """input(xs) -> LLM up -> loop lp [LLM inner: the item and up's text] -> output (the results)."""
    return {
        "format": "flowai/1",
        "name": "Loop tools",
        "nodes": [
            {
                "id": "in",
                "type": "input",
                "label": "Start",
                "position": {"x": 0, "y": 120},
                "config": {"fields": [{"name": "xs", "type": "json", "required": True}]},
            },
            {
                "id": "up",
                "type": "llm",
                "label": "Up",
                "position": {"x": 260, "y": 120},
                "config": {"model": "echo", "prompt": "up:ready"},
            },
            {
                "id": "lp",
                "type": "loop",
                "label": "Shots",
                "position": {"x": 540, "y": 40},
                "config": {"items": "{{in.xs}}", "concurrency": 1},
            },
            {
                "id": "inner",
                "type": "llm",
                "label": "Draw",
                "parent": "lp",
                "position": {"x": 620, "y": 160},
                "config": {"model": "echo", "prompt": "inner:{{lp.item}}/{{up.text}}"},
            },
            {"id": "out", "type": "output", "position": {"x": 1240, "y": 120}, "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [
            {"source": "in", "target": "up"},
            {"source": "up", "target": "lp"},
            {"source": "lp", "target": "out"},
        ],
    }


# --- through the run service (flowai.runs.tools) -------------------------------------------
@pytest.fixture
async def platform(settings, fake_openai):
    platform = Platform(
        replace(settings, env={"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url})
    )
    await platform.startup()
    try:
        yield platform
    finally:
        await platform.shutdown()


async def test_the_tools_on_an_inner_node_through_the_run_service(platform, fake_openai):
    owner = Principal(platform.users.acting_admin().id)
    doc = loop_flow()
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    graph = platform.workflows.validate(doc)
    assert tools.reads(graph, "inner") == [("lp", "item"), ("up", "text")]
    assert tools.enclosing(graph, "inner") == "lp" and tools.enclosing(graph, "up") == "up"
    assert tools.first_item(graph, "lp", {"in": {"xs": ["x", "y"]}}) == "x"
    assert tools.port_type(graph, "lp", "index") == "number"

    alone = platform.run_service.run_node(
        owner, Target(wf.id, 0, graph), "inner", {"lp": {"item": "it"}, "up": {"text": "u"}}, {}, source="editor"
    )
    await alone.wait()
    assert alone.status == "completed" and alone.state.outputs["inner"]["text"] == "inner:it/u"
    assert [b["messages"][-1]["content"] for b in fake_openai.requests] == ["inner:it/u"]  # nothing else ran

    doc["pins"] = {"inner": {"text": "pinned"}}  # a pin inside a loop: every item takes it
    graph = platform.workflows.validate(doc)
    handle = platform.run_service.start_checked(
        owner,
        Target(wf.id, 0, graph),
        graph.check_input({"xs": ["a", "b"]}),
        mode=Mode.CLIENT,
        source="editor",
        state=tools.pinned_state(graph),
    )
    await handle.wait()
    await platform.recorder.flush()
    assert handle.output == ["pinned", "pinned"]
    assert [b["messages"][-1]["content"] for b in fake_openai.requests][1:] == ["up:ready"]
    trace = await platform.run_service.trace(owner, handle.id)  # (the Runs page reads it)
    assert {n.node_id: n.status for n in trace.nodes}["lp"] == "completed"


# --- in the browser -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fake():
    with fake_openai_server() as fake:
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    with served_editor(tmp_path_factory.mktemp("loop-tools"), openai_env(fake)) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served) as page:
        yield page


def pick(page, node_id: str) -> None:
    """Click a node and wait until the settings panel shows it (in any language)."""
    node(page, node_id).locator(".fa-head").first.click()
    expect(page.get_by_test_id("node-id")).to_have_text(re.compile(rf"[:：]\s*{re.escape(node_id)}$"))


def new_prompts(fake, before: int, count: int) -> list[str]:
    wait_until(lambda: len(fake.requests) >= before + count, timeout=30, message="the fake was not called")
    return [body["messages"][-1]["content"] for body in fake.requests[before:]]


def completed(page) -> None:
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=30_000)


def run_all(page, xs: str) -> None:
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-xs").fill(xs)
    page.get_by_test_id("run-start").click()
    completed(page)


@pytest.mark.browser
def test_run_an_inner_node_alone_on_a_sample_item(served, page, fake):
    open_editor(page, served, make_workflow(served.home, loop_flow()))
    pick(page, "inner")
    expect(page.get_by_test_id("tool-run-node")).to_be_visible()
    expect(page.get_by_test_id("tool-pin")).to_be_visible()
    before = len(fake.requests)
    page.get_by_test_id("tool-run-node").click()
    dialog = page.get_by_test_id("sample-dialog")
    expect(dialog).to_contain_text("Shots · Item")
    dialog.get_by_test_id("sample-lp-item").fill("样例 item")
    dialog.get_by_test_id("sample-up-text").fill("up text")
    shot(page, "loop-tools-sample-en")
    page.get_by_test_id("sample-run").click()
    completed(page)
    assert new_prompts(fake, before, 1) == ["inner:样例 item/up text"]
    expect(node(page, "inner")).to_have_attribute("data-status", "done")
    expect(node(page, "lp")).to_have_attribute("data-status", "sample")
    expect(node(page, "up")).to_have_attribute("data-status", "sample")
    expect(node(page, "out")).to_have_attribute("data-status", "")
    expect(page.get_by_test_id("run-node-inner")).to_contain_text("inner:样例 item/up text")  # its output
    page.wait_for_timeout(300)
    assert len(fake.requests) == before + 1  # the loop and up were not run
    shot(page, "loop-tools-single-en")


@pytest.mark.browser
def test_run_from_an_inner_node_reruns_the_loop_reusing_its_upstream(served, page, fake):
    open_editor(page, served, make_workflow(served.home, loop_flow()))
    before = len(fake.requests)
    run_all(page, '["a", "b"]')
    assert new_prompts(fake, before, 3) == ["up:ready", "inner:a/up:ready", "inner:b/up:ready"]

    pick(page, "inner")  # its sample item: the last run's first item
    page.get_by_test_id("tool-run-node").click()
    expect(page.get_by_test_id("sample-lp-item")).to_have_value("a")
    expect(page.get_by_test_id("sample-up-text")).to_have_value("up:ready")
    page.get_by_test_id("sample-dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_test_id("sample-dialog")).to_be_hidden()

    page.get_by_test_id("field-prompt").fill("again:{{lp.item}}")  # edit the inner node, then run from it
    expect(page.get_by_test_id("save-state")).to_have_attribute("data-dirty", "true")  # the editor has the edit
    page.get_by_test_id("tool-run-from").click()
    expect(page.locator(".q-notification", has_text="runs again from its first item")).to_be_visible()
    completed(page)
    assert new_prompts(fake, before + 3, 2) == ["again:a", "again:b"]
    expect(node(page, "up")).to_have_attribute("data-status", "reused")
    expect(node(page, "lp")).to_have_attribute("data-status", "done")
    expect(node(page, "inner").locator('[data-role="status"]')).to_have_text("2/2")
    expect(page.get_by_test_id("run-output-text")).to_contain_text("again:b")
    page.wait_for_timeout(300)
    assert len(fake.requests) == before + 5  # up was not called again
    shot(page, "loop-tools-run-from-en")


@pytest.mark.browser
def test_pin_an_inner_node(served, page, fake):
    open_editor(page, served, make_workflow(served.home, loop_flow()))
    pick(page, "inner")
    page.get_by_test_id("tool-pin").click()
    page.get_by_test_id("pin-value").fill('{"text": "pinned 固定"}')
    page.get_by_test_id("pin-save").click()
    expect(node(page, "inner").locator('[data-role="pin"]')).to_be_visible()
    before = len(fake.requests)
    run_all(page, '["a", "b"]')
    assert new_prompts(fake, before, 1) == ["up:ready"]
    expect(page.get_by_test_id("run-output-text")).to_contain_text("pinned 固定")
    expect(node(page, "inner")).to_have_attribute("data-status", "pinned")
    page.wait_for_timeout(300)
    assert len(fake.requests) == before + 1  # the inner node's provider was never called
    shot(page, "loop-tools-pinned-en")


@pytest.mark.browser
def test_the_inner_node_tools_in_chinese(served, page, fake):
    try:
        open_editor(page, served, make_workflow(served.home, loop_flow()), language="简体中文")
        pick(page, "inner")
        expect(page.get_by_test_id("tool-run-node")).to_contain_text("运行此节点")
        page.get_by_test_id("tool-run-from").click()  # no run yet: nothing to reuse
        expect(page.locator(".q-notification").first).to_be_visible()
        shot(page, "loop-tools-zh")
    finally:
        switch_language(page, "English")
