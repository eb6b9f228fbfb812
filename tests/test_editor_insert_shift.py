"""Inserting a node into an edge makes room for it (issue 11), as n8n does: the new node goes
between the edge's two ends, on the target's row, and the nodes downstream of the edge's target
(on its right) move right by the new node's width and a gap, so no two nodes overlap. One undo
step takes it all back. In a real Chromium, with mouse gestures; plus the wiring function itself."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import expect

from nodes import default_registry
from tests.browser import ServedApp, chromium, new_page, shot, sign_in
from tests.editor_support import (
    centre,
    editor_tab,
    fake_openai_server,
    insert_on_edge,
    make_workflow,
    node,
    open_editor,
    openai_env,
    served_editor,
)
from ui import editor_wiring as wiring
from ui.editor_model import Draft

GAP = 60  # between two nodes in a row, as the canvas leaves it

CHAIN = {
    "format": "flowai/1",
    "name": "Tight chain",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "Start",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "q", "type": "string", "required": True}]},
        },
        {"id": "llm", "type": "llm", "label": "Writer", "position": {"x": 270, "y": 0}, "config": {"prompt": "Hi"}},
        {"id": "out", "type": "output", "label": "End", "position": {"x": 540, "y": 0}, "config": {"value": "x"}},
        {"id": "side", "type": "template", "label": "Aside", "position": {"x": 0, "y": 300}, "config": {}},
    ],
    "edges": [
        {"source": "in", "source_port": "q", "target": "llm", "target_port": "prompt"},
        {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}


# --- the wiring function ------------------------------------------------------------------
def positions(draft) -> dict[str, dict]:
    return {n["id"]: dict(n["position"]) for n in draft.doc["nodes"]}


def test_insert_shifts_what_is_downstream_on_the_right_in_one_undo_step():
    draft = Draft(copy.deepcopy(CHAIN), default_registry())
    before = positions(draft)
    made = wiring.add_connected(
        draft, "template", {"x": 270, "y": 0}, upstream=("in", "q"), downstream=("llm", "prompt"), room=270
    )
    assert made is not None
    new, _added, removed = made
    assert removed == ["in:q->llm:prompt"]
    now = positions(draft)
    assert now["llm"] == {"x": 540, "y": 0} and now["out"] == {"x": 810, "y": 0}  # downstream: moved right
    assert now["in"] == before["in"] and now["side"] == before["side"]  # the rest: where it was
    assert now[new["id"]] == {"x": 270, "y": 0}
    assert draft.undo()
    assert positions(draft) == before


def test_insert_leaves_downstream_alone_when_there_is_room_and_moves_a_loops_nodes_with_it():
    doc = copy.deepcopy(CHAIN)
    doc["nodes"][2]["position"] = {"x": 900, "y": 0}
    draft = Draft(doc, default_registry())
    wiring.add_connected(
        draft, "template", {"x": 540, "y": 0}, upstream=("llm", "text"), downstream=("out", "value"), room=270
    )
    assert positions(draft)["out"] == {"x": 900, "y": 0}  # room enough already: nothing moves

    loop = {
        "format": "flowai/1",
        "nodes": [
            {"id": "in", "type": "input", "position": {"x": 0, "y": 0}, "config": {"fields": []}},
            {"id": "lp", "type": "loop", "position": {"x": 300, "y": 0}, "config": {}},
            {"id": "body", "type": "template", "parent": "lp", "position": {"x": 400, "y": 100}, "config": {}},
            {"id": "out", "type": "output", "position": {"x": 1000, "y": 0}, "config": {}},
        ],
        "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}],
    }
    draft = Draft(loop, default_registry())
    wiring.add_connected(
        draft, "template", {"x": 300, "y": 0}, upstream=("in", None), downstream=("lp", None), room=270
    )
    now = positions(draft)
    assert now["lp"]["x"] == 570 and now["body"]["x"] == 670 and now["out"]["x"] == 1270  # the frame's node too


# --- in the browser -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with served_editor(tmp_path_factory.mktemp("insert-shift")) as app:
        yield app


@pytest.fixture
def page(served):
    with editor_tab(served) as page:
        yield page


def boxes(page) -> dict[str, dict]:
    """Each node card's box on the screen."""
    found = {}
    for card in page.locator(".vue-flow__node").all():
        box = card.bounding_box()
        assert box is not None
        found[card.get_attribute("data-id")] = box
    return found


def overlapping(found: dict[str, dict]) -> list[tuple[str, str]]:
    ids = sorted(found)
    return [
        (a, b)
        for n, a in enumerate(ids)
        for b in ids[n + 1 :]
        if found[a]["x"] < found[b]["x"] + found[b]["width"]
        and found[b]["x"] < found[a]["x"] + found[a]["width"]
        and found[a]["y"] < found[b]["y"] + found[b]["height"]
        and found[b]["y"] < found[a]["y"] + found[a]["height"]
    ]


def flow_positions(page) -> dict[str, tuple[float, float]]:
    """Each node's place on the canvas (flow coordinates, from its transform): the view may pan."""
    found = {}
    for card in page.locator(".vue-flow__node").all():
        transform = card.evaluate("el => el.style.transform")
        x, y = re.findall(r"-?[\d.]+", transform)[:2]
        found[card.get_attribute("data-id")] = (float(x), float(y))
    return found


def settled(page, until=None) -> dict[str, tuple[float, float]]:
    """The node positions once they stop changing (and, given ``until``, equal it): the canvas
    moves nodes over a few frames, later on a loaded machine."""
    last = None
    for _ in range(150):
        now = flow_positions(page)
        if now == last and (until is None or now == until):
            return now
        last = now
        page.wait_for_timeout(100)
    return last or {}


@pytest.mark.browser
def test_insert_into_an_edge_shifts_the_downstream_nodes_and_undo_puts_them_back(served, page):
    open_editor(page, served, make_workflow(served.home, CHAIN))
    before = flow_positions(page)
    assert not overlapping(boxes(page))
    insert_on_edge(page, page.locator('.vue-flow__edge[data-id="in:q->llm:prompt"]'))
    picker = page.get_by_test_id("node-picker")
    expect(picker).to_contain_text("Insert a node into this connection")
    picker.get_by_test_id("picker-template").click()
    expect(node(page, "template_1")).to_be_visible()
    expect(page.locator('.vue-flow__edge[data-id="template_1:text->llm:prompt"]')).to_have_count(1)
    page.wait_for_function(  # the downstream nodes have moved
        "(x) => { const n = document.querySelector('[data-testid=canvas]').shadowRoot"
        ".querySelector('.vue-flow__node[data-id=llm]'); return n && !n.style.transform.includes(x + 'px,'); }",
        arg=int(before["llm"][0]),
    )
    settled(page)
    found = boxes(page)
    shot(page, "insert-shift-inserted-en")
    assert not overlapping(found), overlapping(found)
    new, src, dst = found["template_1"], found["in"], found["llm"]
    assert src["x"] + src["width"] <= new["x"] and new["x"] + new["width"] <= dst["x"]  # in between, in order
    after = flow_positions(page)
    assert abs(after["template_1"][1] - after["llm"][1]) < 1  # on the target's row (in the flow's coordinates)
    dx = after["llm"][0] - before["llm"][0]
    assert dx > 0 and after["out"][0] - before["out"][0] == dx  # the whole downstream, by the same step
    assert after["in"] == before["in"] and after["side"] == before["side"]  # the rest stays

    page.get_by_test_id("undo").click()  # one step: the node, its wires and the shift
    expect(node(page, "template_1")).to_have_count(0)
    expect(page.locator('.vue-flow__edge[data-id="in:q->llm:prompt"]')).to_have_count(1)
    assert settled(page, until=before) == before
    shot(page, "insert-shift-undone-en")


LOOPED = {  # the wire into the loop is short (no room for a node) but long enough to click clear of both ends
    "format": "flowai/1",
    "name": "Into a loop's wire",
    "nodes": [
        {"id": "in", "type": "input", "label": "Start", "position": {"x": 0, "y": 40}, "config": {"fields": []}},
        {"id": "lp", "type": "loop", "label": "Shots", "position": {"x": 340, "y": 0}, "config": {}},
        {"id": "body", "type": "template", "label": "Inside", "parent": "lp", "position": {"x": 410, "y": 120}},
        {"id": "out", "type": "output", "label": "End", "position": {"x": 970, "y": 40}, "config": {}},
    ],
    "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}],
}


@pytest.mark.browser
def test_a_loop_that_makes_room_keeps_its_nodes_inside_its_frame(served, page):
    open_editor(page, served, make_workflow(served.home, LOOPED))
    before = boxes(page)
    insert_on_edge(page, page.locator('.vue-flow__edge[data-id="in:->lp:"]'))
    page.get_by_test_id("node-picker").get_by_test_id("picker-template").click()
    expect(node(page, "template_1")).to_be_visible()
    page.wait_for_function(
        "(x) => { const n = document.querySelector('[data-testid=canvas]').shadowRoot"
        ".querySelector('.vue-flow__node[data-id=lp]'); return n && n.getBoundingClientRect().x > x + 5; }",
        arg=before["lp"]["x"],
    )
    settled(page)
    found = boxes(page)
    shot(page, "insert-shift-loop-en")
    dx = found["lp"]["x"] - before["lp"]["x"]
    assert abs(found["body"]["x"] - before["body"]["x"] - dx) < 2  # inside its frame, moved with it
    assert abs(found["out"]["x"] - before["out"]["x"] - dx) < 2
    frame, inside = found["lp"], found["body"]
    assert frame["x"] < inside["x"] and inside["x"] + inside["width"] < frame["x"] + frame["width"]
    outside = {k: v for k, v in found.items() if k != "body"}  # (the frame holds its node)
    assert not overlapping(outside), overlapping(outside)
