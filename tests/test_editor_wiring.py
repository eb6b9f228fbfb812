"""Honest wiring in a real Chromium (issue 11, defect 1): what the designer types reaches the run.

Input → LLM → output is built from a blank workflow with the mouse, the LLM's prompt a template
``Reply to: {{input_1.input}}``: (a) the input made upstream by a wire dropped on the LLM's body
(an order edge, feeding no field), (b) by picking the variable from the prompt's ``{}`` menu. The
test run's upstream fake OpenAI server receives exactly the rendered prompt. A field fed by a
wire shows its source instead of its editor, and Unwire gives the editor back.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from flowai.workflows.starters import blank
from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.conftest import ThreadServer
from tests.editor_support import (
    centre,
    connect,
    connect_wired,
    drop,
    edges,
    editor_tab,
    fake_openai_server,
    handle,
    make_workflow,
    node,
    open_editor,
    openai_env,
    served_editor,
)
from tests.fakes.openai_server import FakeOpenAI, _last_user
from tests.pages_support import switch_language

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fake():
    with fake_openai_server() as fake:
        yield fake


@pytest.fixture(scope="module")
def served(tmp_path_factory, fake):
    with served_editor(tmp_path_factory.mktemp("wiring"), openai_env(fake)) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served) as page:
        yield page


def build_from_blank(page, served, name: str, language: str = "English") -> None:
    """A blank workflow, emptied, then input, LLM and output dropped from the palette; LLM → output
    wired. In ``language`` (the account remembers the last one chosen)."""
    open_editor(page, served, make_workflow(served.home, blank(name, "en")))
    shown = page.evaluate("document.documentElement.lang")
    if shown != ("zh-CN" if language == "简体中文" else "en-US"):  # (before any edit: the page reloads)
        switch_language(page, language)
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')
    node(page, "in").click()
    node(page, "out").click(modifiers=["Control"])
    page.keyboard.press("Delete")
    expect(page.locator(".vue-flow__node")).to_have_count(0)
    drop(page, "input", 40, 200)
    drop(page, "llm", 330, 200)
    drop(page, "output", 620, 200)
    for nid in ("input_1", "llm_1", "output_1"):
        expect(node(page, nid)).to_be_visible()
    connect_wired(page, "llm_1", "text", "output_1", "value")
    expect(edges(page)).to_have_count(1)


def select(page, node_id: str) -> None:
    """Click a node and wait until the settings panel shows it (in either language)."""
    node(page, node_id).locator(".fa-head").click()
    page.get_by_test_id("node-id").filter(has_text=node_id).wait_for()


def wire_to_body(page, source: str, port: str, target: str) -> None:
    """Drag a wire from an output port and let it go on the middle of another node's card."""
    sx, sy = centre(handle(page, source, port, "source"))
    tx, ty = centre(node(page, target))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2, steps=6)
    page.mouse.move(tx, ty, steps=12)
    page.mouse.up()


def test_run(page, fake, text: str) -> None:
    """Start the editor's test run with ``text`` as the input and wait for it to complete."""
    page.get_by_test_id("tab-run").click()
    page.get_by_test_id("run-input-input").fill(text)
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-state", "completed")


test_run.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def test_a_wire_dropped_on_the_body_makes_an_order_edge_and_the_template_reaches_the_model(served, page, fake):
    build_from_blank(page, served, "Order edge")
    order = page.locator('.vue-flow__edge[data-id="input_1:->llm_1:"]')
    for _ in range(3):  # a drag landing while the canvas redraws is lost, as a person's would be: again
        wire_to_body(page, "input_1", "input", "llm_1")
        try:
            expect(order).to_have_count(1, timeout=3_000)
            break
        except AssertionError:
            continue
    expect(order).to_have_count(1)
    expect(order).to_have_class(re.compile(r"fa-edge-order"))
    stroke = order.locator(".vue-flow__edge-path").evaluate("el => getComputedStyle(el).strokeDasharray")
    assert stroke not in ("none", ""), stroke  # dashed, unlike a data wire
    expect(page.locator('[data-role="order"]')).to_have_count(1)  # labelled "order" on the canvas
    expect(page.locator('[data-role="order"]')).to_have_attribute(
        "title", "Order: LLM1 runs after Input1 and may use its results in templates; it feeds no field."
    )  # noqa: E501
    # the order edge feeds no field: the prompt keeps its editor, and may name the input node
    select(page, "llm_1")
    expect(page.get_by_test_id("wired-prompt")).to_have_count(0)
    page.get_by_test_id("field-prompt").fill("Reply to: {{input_1.input}}")
    expect(page.get_by_test_id("issue-count")).to_have_attribute("data-count", "0")
    shot(page, "wiring-order-edge-en")
    before = len(fake.requests)
    test_run(page, fake, "hello there")
    assert len(fake.requests) == before + 1
    assert _last_user(fake.requests[-1]) == "Reply to: hello there"
    expect(page.get_by_test_id("run-output")).to_contain_text("Reply to: hello there")


def test_picking_a_variable_of_a_node_not_upstream_connects_it(served, page, fake):
    build_from_blank(page, served, "Variable pick", "简体中文")
    select(page, "llm_1")
    prompt = page.get_by_test_id("field-prompt")
    prompt.fill("Reply to: ")
    page.get_by_test_id("vars-prompt").click()
    menu = page.get_by_test_id("vars-menu-prompt")
    expect(menu).to_contain_text("其他节点")  # not upstream yet: listed apart
    shot(page, "wiring-variable-menu-zh")
    menu.get_by_test_id("var-input_1-input").click()
    expect(page.get_by_test_id("field-prompt")).to_have_value("Reply to: {{input_1.input}}")
    expect(page.locator('.vue-flow__edge[data-id="input_1:->llm_1:"]')).to_have_count(1)  # an order edge
    expect(page.get_by_test_id("issue-count")).to_have_attribute("data-count", "0")
    # now upstream: the menu lists it first, with no "other nodes" part
    page.get_by_test_id("vars-prompt").click()
    expect(page.get_by_test_id("vars-menu-prompt")).not_to_contain_text("其他节点")
    expect(page.get_by_test_id("vars-menu-prompt").get_by_test_id("var-input_1-input")).to_be_visible()
    page.keyboard.press("Escape")
    shot(page, "wiring-variable-picked-zh")
    before = len(fake.requests)
    test_run(page, fake, "你好")
    assert len(fake.requests) == before + 1
    assert _last_user(fake.requests[-1]) == "Reply to: 你好"


def test_a_wired_field_shows_its_source_and_unwire_gives_the_editor_back(served, page, fake):
    build_from_blank(page, served, "Wired field")
    select(page, "llm_1")
    page.get_by_test_id("field-prompt").fill("typed before the wire")
    connect_wired(page, "input_1", "input", "llm_1", "prompt")
    expect(edges(page)).to_have_count(2)
    wired = page.get_by_test_id("wired-prompt")
    expect(wired).to_be_visible()
    expect(page.get_by_test_id("wired-source-prompt")).to_have_text("← Input1 · input")
    expect(page.get_by_test_id("field-prompt")).to_have_count(0)  # nothing to type that the run would ignore
    expect(node(page, "llm_1").locator('[data-role="summary"]')).to_have_text("← Input1 · input")
    shot(page, "wiring-wired-field-en")
    # the wire's value is what the model gets
    before = len(fake.requests)
    test_run(page, fake, "straight through")
    assert _last_user(fake.requests[before]) == "straight through"
    page.get_by_test_id("tab-settings").click()
    page.get_by_test_id("unwire-prompt").click()
    expect(page.get_by_test_id("wired-prompt")).to_have_count(0)
    expect(page.get_by_test_id("field-prompt")).to_have_value("typed before the wire")
    expect(edges(page)).to_have_count(1)
    expect(node(page, "llm_1").locator('[data-role="summary"]')).to_have_text("typed before the wire")
    # undo puts the wire back, and the form follows
    page.get_by_test_id("undo").click()
    expect(page.get_by_test_id("wired-source-prompt")).to_have_text("← Input1 · input")
    expect(edges(page)).to_have_count(2)
    # deleting the wire on the canvas gives the editor back too
    wire = page.locator('.vue-flow__edge[data-id="input_1:input->llm_1:prompt"]')
    page.mouse.click(*centre(wire.locator(".vue-flow__edge-path")))  # a bezier's middle is its box's centre
    page.keyboard.press("Delete")
    expect(edges(page)).to_have_count(1)
    expect(page.get_by_test_id("field-prompt")).to_be_visible()
