"""Stages in the editor's state, without a browser: group, rename, remove, membership by dragging."""

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


def test_group_rename_and_remove_a_stage_with_undo(state):
    change = state.apply(i.GroupStage(("in", "lp", "llm"), "Script"))
    assert change is not None and change.stages
    # a node inside a loop counts as its loop; members in document order
    assert state.draft.doc["stages"] == [{"id": "script", "label": "Script", "nodes": ["in", "lp"]}]
    assert state.draft.graph_view()["stages"] == [{"id": "script", "label": "Script", "nodes": ["in", "lp"]}]
    state.apply(i.RenameStage("script", "剧本"))
    assert state.draft.doc["stages"][0]["label"] == "剧本"
    assert state.apply(i.RenameStage("script", "  ")) is None  # a stage keeps a name
    state.apply(i.GroupStage(("lp", "out"), "Edit"))  # lp moves to the new stage
    assert state.draft.doc["stages"] == [
        {"id": "script", "label": "剧本", "nodes": ["in"]},
        {"id": "edit", "label": "Edit", "nodes": ["lp", "out"]},
    ]
    state.apply(i.RemoveStage("script"))
    assert [s["id"] for s in state.draft.doc["stages"]] == ["edit"]
    assert state.draft.node("in") is not None  # its nodes stay
    state.apply(i.Undo())
    assert [s["id"] for s in state.draft.doc["stages"]] == ["script", "edit"]
    assert state.apply(i.GroupStage(("nope",), "X")) is None


def test_dragging_a_node_into_and_out_of_a_stage(state):
    state.apply(i.GroupStage(("in",), "Script"))
    change = state.apply(i.Move({"free": {"x": 10, "y": 10}}, stages={"free": "script"}))
    assert change is not None and change.stages and change.stale
    assert state.draft.doc["stages"][0]["nodes"] == ["in", "free"]
    state.apply(i.Move({"free": {"x": 10, "y": 900}}, stages={"free": None}))
    assert state.draft.doc["stages"][0]["nodes"] == ["in"]
    state.apply(i.Move({}, stages={"free": "unknown"}))  # no such stage: nothing changes
    assert state.draft.doc["stages"][0]["nodes"] == ["in"]
    state.apply(i.Move({}, stages={"in": None}))  # its last node gone, the stage goes
    assert state.draft.doc["stages"] == []


def test_removing_nodes_forgets_them_in_their_stage(state):
    state.apply(i.GroupStage(("free", "out"), "Edit"))
    change = state.apply(i.Delete(("free",), on_canvas=True))
    assert change is not None and change.stages
    assert state.draft.doc["stages"] == [{"id": "edit", "label": "Edit", "nodes": ["out"]}]
    state.apply(i.Delete(("out",), on_canvas=True))
    assert state.draft.doc["stages"] == []


def test_stage_ids_are_safe_and_unique(state):
    state.apply(i.GroupStage(("in",), "My stage!"))
    state.apply(i.GroupStage(("out",), "My stage!"))
    assert [s["id"] for s in state.draft.doc["stages"]] == ["my_stage_", "my_stage__2"]
    state.apply(i.GroupStage(("free",), "阶段 一"))
    assert state.draft.doc["stages"][-1]["id"] == "阶段_一"
