"""Loops on the canvas, in a real Chromium against ``flowai serve`` (with a fake OpenAI server).

The loop is drawn as a container: a node dragged into its frame is saved inside the loop
(``"parent"``), dragged out it leaves; the loop's ``item`` port reaches the nodes inside; a
connection across the frame is refused with its reason; a run shows each inside node's items.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import (
    centre,
    connect,
    connect_refused,
    connect_wired,
    edges,
    editor_tab,
    fake_openai_server,
    handle,
    make_workflow,
    node,
    notification,
    open_editor,
    openai_env,
    served_editor,
)
from tests.editor_support import workflows as stored
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.browser


def loop_flow() -> dict:
    """input(xs) -> loop lp [llm inside] -> output; a free LLM node below the loop's frame."""
    return {
        "format": "flowai/1",
        "name": "Loop flow",
        "nodes": [
            {
                "id": "in",
                "type": "input",
                "position": {"x": 0, "y": 120},
                "config": {"fields": [{"name": "xs", "type": "json"}]},
            },
            {
                "id": "lp",
                "type": "loop",
                "label": "Shots",
                "position": {"x": 300, "y": 40},
                "config": {"items": "{{in.xs}}", "concurrency": 2},
            },
            {
                "id": "llm",
                "type": "llm",
                "label": "Draw",
                "parent": "lp",
                "position": {"x": 480, "y": 160},
                "config": {"model": "echo", "prompt": "shot {{lp.index}}: {{lp.item}}"},
            },
            {
                "id": "free",
                "type": "llm",
                "label": "Free",
                "position": {"x": 380, "y": 520},
                "config": {"model": "echo", "prompt": "hello"},
            },
            {"id": "out", "type": "output", "position": {"x": 1000, "y": 120}, "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}],
    }


@pytest.fixture(scope="module")
def fake():
    with fake_openai_server() as fake:
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    with served_editor(tmp_path_factory.mktemp("canvas-loops"), openai_env(fake)) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served, check_errors=False, timeout_ms=None) as page:
        yield page


def saved_node(served, wf_id: str, number: int, node_id: str) -> dict:
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=number).document
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def drag(page, locator, dx: float, dy: float) -> None:
    """Press on a node's head, move the mouse as a person does, let go."""
    x, y = centre(locator.locator(".fa-head").first)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx / 3, y + dy / 3, steps=5)
    page.mouse.move(x + dx, y + dy, steps=10)
    page.mouse.up()


def save(page, version: int) -> None:
    page.keyboard.press("Control+s")
    expect(page.get_by_test_id("save-state")).to_have_text(f"Saved · version {version}")


def test_a_node_dragged_into_the_frame_is_inside_the_loop_and_out_again(served, page):
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    frame, free = node(page, "lp"), node(page, "free")
    expect(frame).to_have_attribute("data-frame", "true")
    expect(frame.locator('[data-inner="item"]')).to_be_visible()
    shot(page, "canvas-loop")

    # into the frame: its centre lands in the empty part of the frame
    fbox, nbox = frame.bounding_box(), free.bounding_box()
    target = (fbox["x"] + fbox["width"] * 0.6, fbox["y"] + fbox["height"] * 0.8)
    drag(page, free, target[0] - (nbox["x"] + nbox["width"] / 2), target[1] - (nbox["y"] + nbox["height"] / 2))
    save(page, 2)
    assert saved_node(served, wf_id, 2, "free")["parent"] == "lp"
    # the loop moves with the node inside it
    before = free.bounding_box()
    drag(page, frame, 0, 60)
    page.wait_for_function(
        "(y) => document.querySelector('[data-testid=canvas]').shadowRoot"
        ".querySelector('[data-testid=node-free]').getBoundingClientRect().y > y + 40",
        arg=before["y"],
    )
    shot(page, "canvas-loop-inside")
    save(page, 3)
    assert saved_node(served, wf_id, 3, "free")["parent"] == "lp"

    # and out again, below the frame
    fbox, nbox = frame.bounding_box(), free.bounding_box()
    drag(page, free, 0, fbox["y"] + fbox["height"] + 80 - nbox["y"])
    save(page, 4)
    assert saved_node(served, wf_id, 4, "free").get("parent") is None
    shot(page, "canvas-loop-outside")
    assert page.errors == []


def test_item_reaches_inside_and_a_crossing_connection_is_refused(served, page):
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    expect(edges(page)).to_have_count(2)

    connect_wired(page, "lp", "item", "llm", "system")
    expect(edges(page)).to_have_count(3)
    expect(handle(page, "lp", "item", "source")).to_be_visible()

    # from outside into the loop's body: refused, with the reason shown
    connect_refused(page, "in", "xs", "llm", "prompt", "would cross the frame of loop Shots")
    shot(page, "canvas-loop-refused")
    # the loop's item to a node outside it: refused too
    connect_refused(page, "lp", "index", "free", "system", "is for the nodes inside loop Shots")
    expect(edges(page)).to_have_count(3)

    save(page, 2)
    doc = stored(served.home).version(owner_id=1, workflow_id=wf_id, number=2).document
    assert {"source": "lp", "source_port": "item", "target": "llm", "target_port": "system"} in doc["edges"]
    assert len(doc["edges"]) == 3
    assert page.errors == []


def test_the_template_picker_inside_a_loop_offers_item_and_index(served, page):
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    node(page, "llm").locator(".fa-head").click()
    page.get_by_test_id("node-id").filter(has_text="ID: llm").wait_for()
    page.get_by_test_id("vars-prompt").click()
    expect(page.get_by_test_id("var-lp-item")).to_be_visible()
    expect(page.get_by_test_id("var-lp-index")).to_be_visible()
    expect(page.get_by_test_id("var-in-xs")).to_be_visible()  # upstream of the loop
    expect(page.get_by_test_id("var-lp-results")).to_have_count(0)  # the loop's own outputs are outside
    page.get_by_test_id("var-lp-item").click()
    expect(page.get_by_test_id("field-prompt")).to_have_value(re.compile(r"\{\{lp\.item\}\}"))


def test_a_run_counts_the_items_on_the_nodes_inside_and_on_the_loop(served, page):
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-xs").fill('["a", "b", "c"]')
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed", timeout=20_000)
    expect(node(page, "lp")).to_have_attribute("data-status", "done")
    expect(node(page, "lp").locator('[data-role="status"]')).to_contain_text("3/3")
    expect(node(page, "llm").locator('[data-role="status"]')).to_have_text("3/3")
    expect(node(page, "llm")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("run-output-text")).to_contain_text("shot 2: c")
    shot(page, "canvas-loop-run")
    assert page.errors == []


def test_a_node_dropped_from_the_palette_into_the_frame_is_inside(served, page):
    wf_id = make_workflow(served.home, loop_flow())
    open_editor(page, served, wf_id)
    fbox, cbox = node(page, "lp").bounding_box(), page.get_by_test_id("canvas").bounding_box()
    at = {"x": fbox["x"] - cbox["x"] + 30, "y": fbox["y"] - cbox["y"] + fbox["height"] - 40}
    page.drag_and_drop('[data-testid="palette-template"]', '[data-testid="canvas"]', target_position=at)
    expect(node(page, "template_1")).to_be_visible()
    save(page, 2)
    assert saved_node(served, wf_id, 2, "template_1")["parent"] == "lp"
    # the frame grew to keep room below the new node
    page.wait_for_function(
        "(h) => document.querySelector('[data-testid=canvas]').shadowRoot"
        ".querySelector('[data-testid=node-lp]').getBoundingClientRect().height > h + 10",
        arg=fbox["height"],
    )
    shot(page, "canvas-loop-palette-drop")
    assert page.errors == []
