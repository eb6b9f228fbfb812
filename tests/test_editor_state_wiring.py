"""Honest wiring in the editor's state, without a browser: which fields a wire feeds, unwiring,
order edges (drawn, or made by picking a variable), and nodes added already connected."""

from __future__ import annotations

import copy

import pytest

from flowai.demo import LLM_CHAT
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from ui import editor_intents as i
from ui import editor_wiring as wiring
from ui.editor_model import Draft
from ui.editor_state import Change, EditorState

REGISTRY = default_registry()


def validate(doc):
    return compile_graph(doc, REGISTRY)


@pytest.fixture
def state() -> EditorState:
    return EditorState(Draft(LLM_CHAT, REGISTRY), validate=validate, base=1, published=None)


def make(doc: dict) -> EditorState:
    return EditorState(Draft(doc, REGISTRY), validate=validate, base=1, published=None)


def edges(state: EditorState) -> list[dict]:
    return state.draft.doc["edges"]


def test_a_wired_field_names_its_source_and_the_node_face_shows_it(state):
    assert wiring.wired(state.draft, "llm") == {
        "prompt": {"source": "in", "source_port": "输入", "text": "开始 · 输入"}
    }
    assert wiring.wired(state.draft, "in") == {}
    # the card shows where the prompt comes from, not the (unused) template in the config
    assert state.draft.summary(state.draft.node("llm")) == "← 开始 · 输入"


def test_unwire_gives_the_field_back_and_is_undoable(state):
    state.apply(i.SelectNode("llm"))
    change = state.apply(i.Unwire("llm", "prompt"))
    assert isinstance(change, Change)
    assert change.removed_edges == ["in:输入->llm:prompt"] and change.variables and change.stale
    assert change.patched == {"llm": {"summary": "{{in.输入}}"}}  # the field's own value, shown again
    assert wiring.wired(state.draft, "llm") == {}
    assert state.apply(i.Unwire("llm", "prompt")) is None  # nothing feeds it any more
    assert state.apply(i.Unwire("llm", "system")) is None
    state.apply(i.Undo())
    assert "prompt" in wiring.wired(state.draft, "llm")


def test_an_order_edge_makes_a_node_upstream_without_feeding_a_port(state):
    state.apply(i.Unwire("llm", "prompt"))
    state.apply(i.Validate())
    assert any("not upstream" in m for m in state.issues_by_node.get("llm", []))  # {{in.输入}} refused
    change = state.apply(i.Connect("in", "llm"))  # a wire dropped on the node's body
    assert change is not None and change.patched == {"llm": {"summary": "{{in.输入}}"}}
    assert {"source": "in", "target": "llm"} in edges(state)
    assert wiring.wired(state.draft, "llm") == {}  # it feeds no field
    state.apply(i.Validate())
    assert state.issue_count == 0  # the template may name the upstream node now
    assert state.draft.edge_view({"source": "in", "target": "llm"})["portType"] == "order"


def test_picking_a_variable_of_a_node_not_yet_upstream_adds_an_order_edge(state):
    state.apply(i.Unwire("llm", "prompt"))
    state.apply(i.SelectNode("llm"))
    offered = wiring.candidates(state.draft, "llm")
    assert [(v["node"], v["port"], v["upstream"]) for v in offered] == [("in", "输入", False)]
    assert [v["node"] for v in wiring.candidates(state.draft, "out")] == ["in"]  # llm is upstream already
    change = state.apply(i.DependOn("llm", "in"))
    assert change is not None and change.added_edges == [
        {"source": "in", "source_port": None, "target": "llm", "target_port": None}
    ]
    assert change.variables and {"source": "in", "target": "llm"} in edges(state)
    assert [v["node"] for v in state.draft.variables("llm")] == ["in"]
    assert wiring.candidates(state.draft, "llm") == []
    # already upstream, itself, or downstream of it: nothing to add
    assert state.apply(i.DependOn("llm", "in")) is None
    assert state.apply(i.DependOn("out", "in")) is None  # upstream through llm already
    assert state.apply(i.DependOn("llm", "llm")) is None
    assert state.apply(i.DependOn("in", "out")) is None
    assert state.apply(i.DependOn("llm", "nope")) is None
    state.apply(i.UpdateConfig("llm", "prompt", "Reply to: {{in.输入}}"))
    state.apply(i.Validate())
    assert state.issue_count == 0


def test_deleting_a_wire_on_the_canvas_tells_the_form_and_the_face(state):
    state.apply(i.SelectNode("llm"))
    edge = {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"}
    change = state.apply(i.Delete(edges=(edge,), on_canvas=True))
    assert change is not None and change.variables and change.patched == {"llm": {"summary": "{{in.输入}}"}}


def test_a_node_added_from_a_dropped_wire_is_connected_to_a_port_that_fits(state):
    change = state.apply(i.AddConnected("llm", {"x": 300, "y": 300}, upstream=("llm", "text")))
    assert change is not None and change.added_nodes == ["llm_1"] and state.selected == "llm_1"
    assert change.added_edges == [{"source": "llm", "source_port": "text", "target": "llm_1", "target_port": "prompt"}]
    assert change.reveal and change.open_settings and change.patched["llm_1"]["summary"] == "← LLM1 · Answer"
    # a json output into a new output node: its value takes anything
    state.apply(i.AddConnected("output", {"x": 600, "y": 300}, upstream=("llm", "json")))
    assert edges(state)[-1] == {"source": "llm", "source_port": "json", "target": "output_1", "target_port": "value"}
    # nothing fits an image: an order edge joins them
    doc = copy.deepcopy(LLM_CHAT)
    doc["nodes"][0]["config"]["fields"].append({"name": "pic", "type": "image"})
    st = make(doc)
    st.apply(i.AddConnected("split", {"x": 0, "y": 300}, upstream=("in", "pic")))
    assert edges(st)[-1] == {"source": "in", "target": "split_1"}
    # one undo step removes the node and its edge
    st.apply(i.Undo())
    assert st.draft.node("split_1") is None and len(edges(st)) == 2


def test_a_node_added_before_an_input_port_replaces_its_wire(state):
    state.apply(i.AddConnected("template", {"x": 300, "y": -200}, downstream=("llm", "prompt")))
    assert {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"} not in edges(state)
    assert {"source": "template_1", "source_port": "text", "target": "llm", "target_port": "prompt"} in edges(state)


def test_a_node_inserted_into_an_edge_takes_its_place(state):
    change = state.apply(
        i.AddConnected("template", {"x": 150, "y": 100}, upstream=("in", "输入"), downstream=("llm", "prompt"))
    )
    assert change is not None and change.removed_edges == ["in:输入->llm:prompt"]
    assert edges(state) == [
        {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
        {"source": "in", "source_port": "输入", "target": "template_1", "target_port": "template"},
        {"source": "template_1", "source_port": "text", "target": "llm", "target_port": "prompt"},
    ]
    # into an order edge: order edges on both sides
    st = make(copy.deepcopy(LLM_CHAT))
    st.apply(i.Unwire("llm", "prompt"))
    st.apply(i.Connect("in", "llm"))
    st.apply(i.AddConnected("template", {"x": 0, "y": 0}, upstream=("in", None), downstream=("llm", None)))
    assert {"source": "in", "target": "template_1"} in edges(st) and {"source": "template_1", "target": "llm"} in edges(
        st
    )
    assert {"source": "in", "target": "llm"} not in edges(st)
    assert st.apply(i.AddConnected("nope", {"x": 0, "y": 0}, upstream=("in", None))) is None
    assert st.apply(i.AddConnected("llm", {"x": 0, "y": 0}, upstream=("ghost", None))) is None


def test_wiring_intents_wait_while_a_version_is_shown(state):
    state.apply(i.ShowVersion("view", copy.deepcopy(LLM_CHAT), 1, {"nodes": [], "edges": []}))
    assert state.apply(i.Unwire("llm", "prompt")) is None
    assert state.apply(i.AddConnected("llm", {"x": 0, "y": 0}, upstream=("llm", "text"))) is None


def test_renaming_a_source_updates_the_cards_it_feeds(state):
    change = state.apply(i.SetLabel("in", "Start"))
    assert change is not None and change.patched == {"llm": {"summary": "← Start · 输入"}, "in": {"label": "Start"}}
