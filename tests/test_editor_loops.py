"""Loops in the editor's state, without a browser: the body kept in ``parent``, moved, removed,
copied and offered to the template picker."""

from __future__ import annotations

import pytest

from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.test_canvas_loops import loop_flow
from ui import editor_intents as i
from ui.editor_model import Draft
from ui.editor_state import EditorState

REGISTRY = default_registry()


def validate(doc):
    return compile_graph(doc, REGISTRY)


@pytest.fixture
def state() -> EditorState:
    return EditorState(Draft(loop_flow(), REGISTRY), validate=validate, base=1, published=None)


def test_the_view_draws_the_loop_as_a_frame_with_its_inside_ports(state):
    view = {n["id"]: n for n in state.draft.graph_view()["nodes"]}
    assert view["lp"]["data"]["frame"] is True and view["lp"]["data"]["nests"] is False
    body = [(p["name"], p["type"], p["label"]) for p in view["lp"]["data"]["body"]]
    assert body == [("item", "any", "Item"), ("index", "number", "Index")]
    assert view["llm"]["parent"] == "lp" and view["llm"]["data"]["nests"] is True
    assert view["free"]["parent"] is None
    assert view["in"]["data"]["nests"] is False  # the input never goes inside a loop
    state.apply(i.Connect("lp", "llm", "item", "system"))
    edge = next(e for e in state.draft.graph_view()["edges"] if e["sourceHandle"] == "item")
    assert edge["portType"] == "any"


def test_moving_into_and_out_of_a_loop_sets_and_removes_parent_with_undo(state):
    change = state.apply(i.Move({"free": {"x": 500, "y": 300}}, {"free": "lp"}))
    assert change is not None and change.stale and not change.graph
    assert state.draft.node("free")["parent"] == "lp"
    assert state.draft.node("free")["position"] == {"x": 500, "y": 300}
    state.apply(i.Move({"free": {"x": 500, "y": 700}}, {"free": None}))
    assert "parent" not in state.draft.node("free")
    state.apply(i.Undo())
    assert state.draft.node("free")["parent"] == "lp"


def test_a_parent_that_cannot_be_is_refused_and_the_canvas_redrawn(state):
    change = state.apply(i.Move({"in": {"x": 400, "y": 200}}, {"in": "lp"}))
    assert change is not None and change.graph  # the canvas shows the draft as it is
    assert "parent" not in state.draft.node("in")
    assert state.draft.node("in")["position"] == {"x": 400, "y": 200}  # the move itself stands
    state.apply(i.Move({}, {"free": "llm"}))  # a parent that is no loop
    assert "parent" not in state.draft.node("free")


def test_a_node_dropped_in_the_frame_is_added_inside(state):
    state.apply(i.AddNode("template", {"x": 400, "y": 300}, "lp"))
    assert state.draft.node("template_1")["parent"] == "lp"
    state.apply(i.AddNode("loop", {"x": 400, "y": 300}, "lp"))  # no loop inside a loop
    assert "parent" not in state.draft.node("loop_1")


def test_removing_a_loop_removes_its_body_also_from_the_canvas(state):
    change = state.apply(i.Delete(("lp",), on_canvas=True))
    assert change is not None
    assert state.draft.node("llm") is None and state.draft.node("lp") is None
    assert change.removed_nodes == ["llm"]  # the canvas removed the loop; the server tells it of the body


def test_copying_a_loop_copies_its_body_and_a_lone_body_node_lands_outside(state):
    clip = state.draft.copy(["lp"])
    assert {n["id"] for n in clip["nodes"]} == {"lp", "llm"}
    state.apply(i.Paste(clip, {"x": 0, "y": 900}))
    assert state.draft.node("llm_1")["parent"] == "loop_1"
    state.apply(i.Paste(state.draft.copy(["llm"]), {"x": 0, "y": 1400}))
    assert "parent" not in state.draft.node("llm_2")


def test_the_picker_inside_a_loop_offers_item_index_and_what_is_upstream_of_the_loop(state):
    tokens = [v["token"] for v in state.draft.variables("llm")]
    assert tokens[:2] == ["{{lp.item}}", "{{lp.index}}"]
    assert "{{in.xs}}" in tokens
    assert not any(t.startswith("{{lp.results") or t.startswith("{{lp.count") for t in tokens)
    state.apply(i.Connect("lp", "llm", "item", "system"))
    assert [v["token"] for v in state.draft.variables("llm")].count("{{lp.item}}") == 1
    assert "{{lp.item}}" not in [v["token"] for v in state.draft.variables("free")]
    assert "{{lp.results}}" in [v["token"] for v in state.draft.variables("out")]
