"""Pins and the last run in the editor's state, without a browser: SetPin and RunLoaded intents in,
the draft's ``pins`` and the change records out."""

from __future__ import annotations

import copy

from flowai.demo import LLM_CHAT
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from ui import editor_intents as i
from ui.editor_model import Draft
from ui.editor_state import EditorState

REGISTRY = default_registry()


def make_state() -> tuple[EditorState, list]:
    state = EditorState(
        Draft(copy.deepcopy(LLM_CHAT), REGISTRY), validate=lambda d: compile_graph(d, REGISTRY), base=1, published=1
    )
    changes: list = []
    state.subscribe(changes.append)
    return state, changes


def test_a_pin_is_part_of_the_draft_shown_on_its_node_and_undoable():
    state, changes = make_state()
    state.draft.pin_label = "pinned"
    state.apply(i.SetPin("llm", {"text": "fixed"}))
    assert state.draft.doc["pins"] == {"llm": {"text": "fixed"}} and state.dirty
    assert changes[-1].document and changes[-1].patched == {"llm": {"pinned": "pinned"}}
    assert state.draft.graph_view()["nodes"][1]["data"]["pinned"] == "pinned"
    compile_graph(state.draft.doc, REGISTRY)  # a valid document
    assert state.apply(i.SetPin("llm", {"text": "fixed"})) is None  # the same pin again: no change
    state.apply(i.SetPin("llm", None))
    assert "pins" not in state.draft.doc and not state.dirty
    assert changes[-1].patched == {"llm": {"pinned": ""}}
    state.apply(i.Undo())
    assert state.draft.doc["pins"] == {"llm": {"text": "fixed"}}


def test_removing_a_pinned_node_drops_its_pin():
    state, _ = make_state()
    state.apply(i.SetPin("llm", {"text": "fixed"}))
    state.apply(i.Delete(("llm",)))
    assert "pins" not in state.draft.doc
    assert state.apply(i.SetPin("gone", {"text": "x"})) is None  # no such node


def test_a_pin_is_an_edit_refused_while_a_version_is_shown():
    state, _ = make_state()
    state.apply(i.ShowVersion("view", copy.deepcopy(LLM_CHAT), 1, state.draft.graph_view()))
    assert state.apply(i.SetPin("llm", {"text": "fixed"})) is None and "pins" not in state.draft.doc


def test_the_last_run_is_what_run_tools_start_from():
    state, changes = make_state()
    state.apply(i.RunLoaded("run1", {"llm": {"text": "hello"}}))
    assert state.last_run == "run1" and state.run_outputs == {"llm": {"text": "hello"}}
    assert changes[-1].run_loaded and changes[-1].run_only and not changes[-1].document
