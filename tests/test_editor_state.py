"""The editor's state without a browser: intents in, the document and the change records out."""

from __future__ import annotations

import copy
import subprocess
import sys
import typing
from pathlib import Path

import pytest

from flowai.demo import LLM_CHAT
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from ui import editor_intents as i
from ui.editor_model import Draft
from ui.editor_state import Change, EditorState

REGISTRY = default_registry()


def validate(doc):
    return compile_graph(doc, REGISTRY)


class Recorder:
    """A subscribed view that keeps every change it is told of."""

    def __init__(self, state: EditorState):
        self.changes: list[Change] = []
        state.subscribe(self.changes.append)

    def last(self) -> Change:
        return self.changes[-1]


@pytest.fixture
def state() -> EditorState:
    return EditorState(Draft(LLM_CHAT, REGISTRY), validate=validate, base=1, published=None)


def test_the_state_needs_no_browser():
    code = "import sys, ui.editor_state, ui.editor_intents; assert 'nicegui' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_every_intent_has_a_handler(state):
    for kind in typing.get_args(i.Intent):
        assert kind in state._handlers, kind.__name__
        assert kind.__dataclass_params__.frozen, kind.__name__  # type: ignore[attr-defined]


def test_add_node_selects_it_and_marks_problems_stale(state):
    seen = Recorder(state)
    change = state.apply(i.AddNode("template", {"x": 10, "y": 20}))
    assert change is seen.last() and change is not None
    assert change.added_nodes == ["template_1"] and state.selected == "template_1"
    assert change.selection and change.reveal and change.open_settings and change.stale and change.document
    assert not change.inputs and state.dirty and state.unsaved
    assert state.draft.node("template_1")["position"] == {"x": 10.0, "y": 20.0}
    assert state.apply(i.AddNode("no-such-type", {"x": 0, "y": 0})) is None
    assert len(seen.changes) == 1
    assert state.apply(i.AddNode("input", {"x": 0, "y": 0})).inputs  # the test-run form changes


def test_a_canvas_selection_is_not_sent_back_and_repeats_only_open_the_panel(state):
    seen = Recorder(state)
    change = state.apply(i.SelectNode("llm", on_canvas=True))
    assert state.selected == "llm" and change.selection and not change.reveal and change.open_settings
    again = state.apply(i.SelectNode("llm", on_canvas=True))
    assert not again.selection and again.open_settings  # no redraw of the form
    assert state.apply(i.SelectNode(None, on_canvas=True)).selection and state.selected is None
    assert state.apply(i.SelectNode(None, on_canvas=True)) is None
    assert state.apply(i.SelectNode("out")).reveal  # chosen elsewhere: shown on the canvas
    assert len(seen.changes) == 4


def test_connect_and_disconnect(state):
    state.apply(i.AddNode("template", {"x": 0, "y": 0}))
    connect = i.Connect("in", "template_1", "输入", "template")
    change = state.apply(connect)
    assert change.variables  # the selected node's variable menu gained a source
    assert {"source": "in", "source_port": "输入", "target": "template_1", "target_port": "template"} in (
        state.draft.doc["edges"]
    )
    assert state.apply(connect) is None  # the same edge twice
    edge = {"source": "in", "source_port": "输入", "target": "template_1", "target_port": "template"}
    gone = state.apply(i.Delete(edges=(edge,), on_canvas=True))
    assert gone.removed_edges == [] and gone.inputs  # the canvas removed it already
    assert edge not in state.draft.doc["edges"]
    assert state.apply(i.Delete(edges=(edge,))) is None  # nothing left to remove


def test_deleting_the_selected_node_from_the_panel_tells_the_canvas(state):
    state.apply(i.SelectNode("llm"))
    change = state.apply(i.Delete(("llm",)))
    assert change.removed_nodes == ["llm"]
    assert set(change.removed_edges) == {"in:输入->llm:prompt", "llm:text->out:value"}
    assert change.selection and state.selected is None


def test_update_config_patches_the_card_and_follows_renamed_ports(state):
    change = state.apply(i.UpdateConfig("llm", "prompt", "Say {{in.输入}}"))
    # (a wire feeds the prompt: the card names the wire's source, not the text its config keeps)
    assert change.patched == {"llm": {"summary": "← 开始 · 输入"}} and change.stale
    assert not change.selection  # the form being typed in is not redrawn
    fields = [{"name": "问题", "type": "string", "required": True}]
    renamed = state.apply(i.UpdateConfig("in", "fields", fields))
    assert renamed.inputs and set(renamed.patched) >= {"in", "llm"}  # llm's reference followed
    assert [(p["name"], p["type"], p["label"]) for p in renamed.patched["in"]["outputs"]] == [("问题", "text", "问题")]
    assert renamed.removed_edges == ["in:输入->llm:prompt"]
    assert renamed.added_edges == [{"source": "in", "source_port": "问题", "target": "llm", "target_port": "prompt"}]
    assert state.draft.node("llm")["config"]["prompt"] == "Say {{in.问题}}"
    assert state.apply(i.UpdateConfig("ghost", "prompt", "x")) is None


def test_label_meta_and_move(state):
    assert state.apply(i.SetLabel("llm", "Writer")).patched == {
        "llm": {"label": "Writer"},
        "out": {"summary": "← Writer · Answer"},  # the card it feeds names it
    }
    state.apply(i.SetMeta("name", "Renamed"))
    assert state.draft.doc["name"] == "Renamed"
    moved = state.apply(i.Move({"llm": {"x": 5, "y": 6}}))
    assert not moved.stale and state.draft.node("llm")["position"] == {"x": 5, "y": 6}


def test_undo_redo_redraw_the_canvas_and_check_at_once(state):
    original = copy.deepcopy(state.draft.doc)
    state.apply(i.SetLabel("llm", "Writer"))
    state.apply(i.Delete(("out",)))
    assert state.apply(i.Validate()).issues and state.issue_count  # no output node
    undone = state.apply(i.Undo())
    assert undone.graph and not undone.fit and undone.issues and undone.inputs
    assert state.issue_count == 0  # checked at once, not after a pause
    state.apply(i.Undo())
    assert state.draft.doc == original and not state.dirty
    assert state.issue_count == 0
    assert state.apply(i.Undo()) is None  # nothing left
    assert state.apply(i.Redo()).graph and state.dirty


def test_undo_drops_a_selection_that_is_gone(state):
    state.apply(i.AddNode("template", {"x": 0, "y": 0}))
    assert state.selected == "template_1"
    state.apply(i.Undo())
    assert state.selected is None


def test_a_version_on_the_canvas_is_read_only(state):
    seen = Recorder(state)
    other = copy.deepcopy(LLM_CHAT)
    other["nodes"] = other["nodes"][:1]
    other["edges"] = []
    view = state.draft.graph_view(other)
    change = state.apply(i.ShowVersion("view", other, 3, view))
    assert change.graph and change.mode and state.mode == "view" and not state.editing
    assert state.doc is other and state.shown_view is view
    before = copy.deepcopy(state.draft.doc)
    for edit in (
        i.AddNode("template", {"x": 0, "y": 0}),
        i.UpdateConfig("llm", "prompt", "x"),
        i.Delete(("llm",)),
        i.Undo(),
        i.SetMeta("name", "x"),
    ):
        assert state.apply(edit) is None, edit
    assert state.draft.doc == before
    assert state.apply(i.Validate()) is None  # the version's problems are not the draft's
    assert state.apply(i.SelectNode("in", on_canvas=True)).selection  # looking around is fine
    assert state.selected_node["id"] == "in"
    back = state.apply(i.ShowDraft())
    assert back.mode and back.graph and back.fit and state.editing and state.selected is None
    assert len(seen.changes) == 3


def test_restore_puts_a_version_in_the_draft_undoably(state):
    other = copy.deepcopy(LLM_CHAT)
    other["name"] = "Old name"
    state.apply(i.ShowVersion("view", other, 1, state.draft.graph_view(other)))
    change = state.apply(i.Restore(other))
    assert change.graph and change.mode and state.editing and state.draft.doc["name"] == "Old name"
    assert state.dirty
    state.apply(i.Undo())
    assert state.draft.doc["name"] == LLM_CHAT["name"]


def test_saved_published_rebase_and_discard(state):
    state.apply(i.SetMeta("name", "x"))
    assert state.dirty
    saved = state.apply(i.Saved(2))
    assert saved.versions and state.base == 2 and not state.dirty and not state.unsaved
    assert state.apply(i.Published(2)).versions and state.published == 2
    state.apply(i.Rebase(5))
    assert state.base == 5
    state.apply(i.SetMeta("name", "y"))
    state.apply(i.Discard())
    assert not state.dirty


def test_issues_reported_elsewhere_land_on_their_nodes(state):
    change = state.apply(i.ReportIssues(({"node": "llm", "message": "Node 'llm': prompt is empty"}, {"message": "x"})))
    assert change.issues
    assert state.issues_by_node == {"llm": ["prompt is empty"]} and state.general_issues == ["x"]
    assert state.issue_count == 2


def test_a_runs_progress_is_kept_and_passed_on(state):
    seen = Recorder(state)
    state.apply(i.RunCleared())
    state.apply(i.RunProgress({"llm": {"status": "running", "statusText": "running"}}))
    state.apply(i.RunStream({"llm": "Hel"}))
    state.apply(i.RunStream({"llm": "lo"}))
    state.apply(i.RunProgress({"llm": {"status": "done"}}))
    assert state.run == {"llm": {"status": "done", "statusText": "running", "stream": "Hello"}}
    assert all(c.run_only for c in seen.changes) and seen.changes[2].run_stream == {"llm": "Hel"}
    state.apply(i.RunCleared())
    assert state.run == {}


def test_a_view_that_emits_while_told_sees_changes_in_order(state):
    order: list[str] = []

    def first(change: Change) -> None:
        order.append(f"first:{type(change.intent).__name__}")
        if isinstance(change.intent, i.AddNode):
            state.apply(i.SetLabel(change.added_nodes[0], "Auto"))

    state.subscribe(first)
    state.subscribe(lambda c: order.append(f"second:{type(c.intent).__name__}"))
    state.apply(i.AddNode("template", {"x": 0, "y": 0}))
    assert order == ["first:AddNode", "second:AddNode", "first:SetLabel", "second:SetLabel"]
    assert state.draft.node("template_1")["label"] == "Auto"
