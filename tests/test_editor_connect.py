"""The feel of connecting in a real Chromium (issue 11, defect 2), with mouse gestures.

A wire follows the pointer while dragged from a port (its computed stroke is not ``none``: the
theme's colour did not reach the canvas's shadow root), ports that may take it are highlighted
and the others dimmed with the reason; let go on empty canvas it opens a node picker that adds a
connected node there. A "+" on an output port and on an edge do the same; order edges are drawn
between the square handles of the nodes' headers and deleted like any edge.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.editor_support import (
    centre,
    connect,
    connect_refused,
    edges,
    editor_tab,
    fake_openai_server,
    handle,
    insert_on_edge,
    make_workflow,
    node,
    notification,
    open_editor,
    openai_env,
    select_edge,
    served_editor,
)
from tests.pages_support import switch_language

pytestmark = pytest.mark.browser

DOC = {
    "format": "flowai/1",
    "name": "Connect",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "Start",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "q", "type": "string", "required": True}]},
        },
        {"id": "llm", "type": "llm", "label": "Writer", "position": {"x": 420, "y": 0}, "config": {"prompt": "Hi"}},
        {"id": "out", "type": "output", "label": "End", "position": {"x": 840, "y": 0}, "config": {"value": "x"}},
    ],
    "edges": [],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with served_editor(tmp_path_factory.mktemp("connect")) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served) as page:
        yield page


def edge(page, edge_id: str):
    return page.locator(f'.vue-flow__edge[data-id="{edge_id}"]')


def overlapping(page) -> list[tuple[str, str]]:
    """Pairs of node cards that overlap on the screen."""
    boxes = {}
    for card in page.locator(".vue-flow__node").all():
        box = card.bounding_box()
        assert box is not None
        boxes[card.get_attribute("data-id")] = box
    ids = sorted(boxes)
    return [
        (a, b)
        for n, a in enumerate(ids)
        for b in ids[n + 1 :]
        if boxes[a]["x"] < boxes[b]["x"] + boxes[b]["width"]
        and boxes[b]["x"] < boxes[a]["x"] + boxes[a]["width"]
        and boxes[a]["y"] < boxes[b]["y"] + boxes[b]["height"]
        and boxes[b]["y"] < boxes[a]["y"] + boxes[a]["height"]
    ]


def open_doc(page, served, language: str = "English", doc: dict = DOC) -> None:
    open_editor(page, served, make_workflow(served.home, doc))
    if page.evaluate("document.documentElement.lang") != ("zh-CN" if language == "简体中文" else "en-US"):
        switch_language(page, language)  # (the account remembers the last language chosen)
        page.wait_for_selector('[data-testid="canvas"][data-ready="true"]')


def test_a_dragged_wire_is_visible_shows_the_ports_that_fit_and_opens_a_picker_on_empty_canvas(served, page):
    open_doc(page, served)
    sx, sy = centre(handle(page, "in", "q", "source"))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 120, sy + 160, steps=10)
    path = page.locator(".vue-flow__connection-path")
    expect(path).to_have_count(1)
    assert path.evaluate("el => getComputedStyle(el).stroke") != "none"
    assert float(path.evaluate("el => parseFloat(getComputedStyle(el).strokeWidth)")) >= 1
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-wiring", "source")
    fit, unfit = re.compile(r"\bfa-fit\b"), re.compile(r"\bfa-unfit\b")
    for port in ("prompt", "system"):
        expect(handle(page, "llm", port, "target")).to_have_class(fit)
    expect(handle(page, "out", "value", "target")).to_have_class(fit)
    image = handle(page, "llm", "image", "target")
    expect(image).to_have_class(unfit)
    expect(image).to_have_attribute("title", "text → image port")  # the reason, on hover
    expect(handle(page, "llm", "text", "source")).to_have_class(unfit)  # an output does not take a wire
    expect(page.locator('.fa-order-in[data-nodeid="llm"]')).to_have_class(fit)  # the body: an order edge
    shot(page, "connect-live-wire-en")
    page.mouse.up()  # on empty canvas
    picker = page.get_by_test_id("node-picker")
    expect(picker).to_be_visible()
    expect(picker).to_contain_text("Add a node after Start · q")
    expect(page.locator(".fa-fit, .fa-unfit")).to_have_count(0)  # the drag's marks are gone
    expect(picker.get_by_test_id("picker-image")).to_be_visible()  # takes a text prompt
    expect(picker.get_by_test_id("picker-stt")).to_have_count(0)  # takes only audio
    expect(picker.get_by_test_id("picker-input")).to_have_count(0)
    page.get_by_test_id("picker-search").fill("templ")
    expect(picker.locator(".fa-picker-item")).to_have_count(1)
    shot(page, "connect-picker-en")
    page.get_by_test_id("picker-search").press("Enter")
    expect(picker).to_have_count(0)
    expect(node(page, "template_1")).to_be_visible()
    expect(edge(page, "in:q->template_1:template")).to_have_count(1)
    page.get_by_test_id("node-id").filter(has_text="template_1").wait_for()  # selected, its settings shown
    # the node sits where the wire was let go (the place was free)
    box = node(page, "template_1").bounding_box()
    assert box is not None and abs(box["x"] - (sx + 120)) < 40 and abs(box["y"] - (sy + 160)) < 80


def test_plus_on_a_port_and_on_an_edge_adds_a_connected_node(served, page):
    open_doc(page, served, "简体中文")
    # "+" next to an output port: shown when the port is hovered
    port = node(page, "llm").locator(".fa-port-out", has=page.locator('[data-handleid="text"]'))
    port.hover()
    plus = page.get_by_test_id("plus-llm-text")
    expect(plus).to_be_visible()
    plus.click()
    picker = page.get_by_test_id("node-picker")
    expect(picker).to_contain_text("在 Writer · 回答 之后添加节点")
    shot(page, "connect-port-plus-zh")
    picker.get_by_test_id("picker-output").click()
    expect(edge(page, "llm:text->output_1:value")).to_have_count(1)
    assert not overlapping(page), "the new node was put over another"
    # "+" on an edge: shown when the edge is hovered; inserts a node between its ends
    sx, sy = centre(handle(page, "in", "q", "source"))
    tx, ty = centre(handle(page, "llm", "prompt", "target"))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=12)
    page.mouse.up()
    wire = edge(page, "in:q->llm:prompt")
    expect(wire).to_have_count(1)
    insert_on_edge(page, wire)
    expect(picker).to_contain_text("在这条连线中间插入节点")
    picker.get_by_test_id("picker-template").click()
    expect(wire).to_have_count(0)
    expect(edge(page, "in:q->template_1:template")).to_have_count(1)
    expect(edge(page, "template_1:text->llm:prompt")).to_have_count(1)
    assert not overlapping(page), "the inserted node was put over another"
    shot(page, "connect-inserted-zh")
    # one undo takes the inserted node and its wires back
    page.get_by_test_id("undo").click()
    expect(node(page, "template_1")).to_have_count(0)
    expect(wire).to_have_count(1)


def test_order_edges_are_drawn_between_headers_and_deleted_like_any_edge(served, page):
    open_doc(page, served)
    src = page.locator('.fa-order-out[data-nodeid="in"]')
    dst = page.locator('.fa-order-in[data-nodeid="llm"]')
    sx, sy = centre(src)
    tx, ty = centre(dst)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move((sx + tx) / 2, (sy + ty) / 2 + 40, steps=8)
    page.mouse.move(tx, ty, steps=10)
    page.mouse.up()
    order = edge(page, "in:->llm:")
    expect(order).to_have_count(1)
    expect(order).to_have_class(re.compile(r"fa-edge-order"))
    dash = order.locator(".vue-flow__edge-path").evaluate("el => getComputedStyle(el).strokeDasharray")
    assert dash not in ("none", "")
    expect(page.locator('[data-role="order"]')).to_have_text("order")
    # a second one between the same nodes is refused, with the reason
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=10)
    page.mouse.up()
    expect(page.get_by_test_id("canvas")).to_have_attribute("data-refused", "Writer already runs after Start.")
    expect(edges(page)).to_have_count(1)
    shot(page, "connect-order-edge-en")
    select_edge(page, order)
    page.keyboard.press("Delete")
    expect(edges(page)).to_have_count(0)


def test_a_wire_that_would_make_a_cycle_is_refused_with_the_reason(served, page):
    two = {
        **DOC,
        "name": "Cycle",
        "nodes": [
            *DOC["nodes"][:2],
            {"id": "llm2", "type": "llm", "label": "Editor", "position": {"x": 420, "y": 300}, "config": {}},
            DOC["nodes"][2],
        ],
        "edges": [{"source": "llm", "source_port": "text", "target": "llm2", "target_port": "prompt"}],
    }
    open_doc(page, served, doc=two)
    connect_refused(page, "llm2", "text", "llm", "system", "would make a cycle")
    expect(edges(page)).to_have_count(1)
