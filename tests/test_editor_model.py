"""The editor's draft model (what canvas events do to the document) and the version diff."""

from __future__ import annotations

import copy

import pytest

from flowai.demo import LLM_CHAT
from flowai.workflows.diff import diff
from flowai.workflows.graph import compile_graph
from flowai.workflows.starters import blank
from nodes import default_registry
from ui.editor_model import Draft, compat_table, edge_id

REGISTRY = default_registry()


def validate(doc):
    return compile_graph(doc, REGISTRY)


@pytest.fixture
def draft() -> Draft:
    return Draft(LLM_CHAT, REGISTRY)


def test_views_carry_typed_ports_and_edge_ids(draft):
    view = draft.graph_view()
    llm = next(n for n in view["nodes"] if n["id"] == "llm")
    assert {"name": "prompt", "type": "text", "label": "Prompt", "typeLabel": "text"} in llm["data"]["inputs"]
    assert {"name": "text", "type": "text", "label": "Answer", "typeLabel": "text"} in llm["data"]["outputs"]
    assert llm["data"]["label"] == "LLM1" and llm["data"]["group"] == "ai"
    assert llm["data"]["summary"] == "← 开始 · 输入"  # a wire feeds the prompt: its source, not the config
    assert {e["id"] for e in view["edges"]} == {"in:输入->llm:prompt", "llm:text->out:value"}
    assert compat_table()["text"] == ["text", "number", "boolean", "any"]
    assert "image" not in compat_table()["text"]


def test_add_connect_move_remove_and_undo_redo(draft):
    original = copy.deepcopy(draft.doc)
    node = draft.add_node("template", {"x": 10, "y": 20})
    assert node["id"] == "template_1" and node["label"] == "Template1" and node["config"] == {"template": ""}
    assert (
        draft.connect({"source": "in", "source_port": "输入", "target": "template_1", "target_port": "template"})
        is not None
    )
    assert (
        draft.connect({"source": "in", "source_port": "输入", "target": "template_1", "target_port": "template"})
        is None
    )  # the same edge twice
    draft.move({"template_1": {"x": 50, "y": 60}})
    assert draft.node("template_1")["position"] == {"x": 50, "y": 60}
    nodes, edges = draft.remove(["template_1"], [])
    assert nodes == ["template_1"] and edges == ["in:输入->template_1:template"]
    assert not draft.dirty  # back to what was saved
    assert draft.undo() and draft.dirty
    for _ in range(3):
        assert draft.undo()
    assert draft.doc == original and not draft.dirty
    assert not draft.undo()
    assert draft.redo() and draft.node("template_1") is not None
    draft.set_label("in", "Start")  # a new edit clears the redo steps
    assert not draft.redo()


def test_quick_edits_of_one_field_are_one_undo_step(draft):
    for text in ("H", "He", "Hel", "Hello"):
        draft.set_config("llm", "system", text)
    draft.undo()
    assert draft.node("llm")["config"]["system"] == "Be brief."


def test_renaming_an_input_field_carries_its_edges_and_references(draft):
    fields = [{"name": "question", "type": "string", "required": True}]
    result = draft.set_config("in", "fields", fields)
    assert result["ports"] and result["removed"] == ["in:输入->llm:prompt"]
    assert result["added"] == [{"source": "in", "source_port": "question", "target": "llm", "target_port": "prompt"}]
    assert draft.node("llm")["config"]["prompt"] == "{{in.question}}" and result["touched"] == ["llm"]
    validate(draft.doc)
    # two fields where there was one: nothing is renamed, the old port's edges go
    result = draft.set_config("in", "fields", [{"name": "a"}, {"name": "b"}])
    assert result["removed"] == ["in:question->llm:prompt"] and result["added"] == []


def test_variables_are_the_ancestors_output_ports(draft):
    tokens = [v["token"] for v in draft.variables("out")]
    assert tokens[:4] == ["{{llm.text}}", "{{llm.reasoning}}", "{{llm.json}}", "{{llm.usage}}"]
    assert "{{in.输入}}" in tokens
    assert draft.variables("in") == []


def test_copy_paste_gives_new_ids_and_rewires_inner_references(draft):
    clip = draft.copy(["in", "llm"])
    assert len(clip["nodes"]) == 2 and clip["edges"] == [
        {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"}
    ]
    nodes, edges = draft.paste(clip, {"x": 1000, "y": 500})
    assert [n["id"] for n in nodes] == ["input_1", "llm_1"]
    assert nodes[0]["position"] == {"x": 1000.0, "y": 500.0} and nodes[1]["position"] == {"x": 1300.0, "y": 500.0}
    assert nodes[1]["config"]["prompt"] == "{{input_1.输入}}"
    assert nodes[1]["label"] == "LLM1 copy"
    assert edges == [{"source": "input_1", "source_port": "输入", "target": "llm_1", "target_port": "prompt"}]


def test_issues_are_located_on_nodes(draft):
    draft.set_config("out", "value", "{{llm.nothing}}")
    by_node, general = draft.issues(validate)
    assert list(by_node) == ["out"] and "port 'nothing'" in by_node["out"][0]
    assert not by_node["out"][0].startswith("Node ")
    draft.remove(["in"], [])
    by_node, general = draft.issues(validate)
    assert any("no input node" in m for m in general)


def test_edge_id_matches_the_canvas():
    assert edge_id({"source": "a", "target": "b"}) == "a:->b:"
    assert edge_id({"source": "a", "source_port": "x", "target": "b", "target_port": "y"}) == "a:x->b:y"


def test_diff_lists_added_removed_changed_and_moved():
    old = blank("One")
    new = copy.deepcopy(old)
    new["nodes"][0]["label"] = "Begin"
    new["nodes"][1]["position"] = {"x": 999, "y": 0}
    new["nodes"].append({"id": "t", "type": "template", "label": "T", "config": {"template": "x"}})
    new["edges"].append({"source": "in", "target": "t"})
    d = diff(old, new)
    assert d.added == ["t"] and d.removed == [] and d.moved == ["out"]
    assert d.changed == {"in": ["label"]}
    assert d.edges_added == [{"source": "in", "target": "t"}] and d.meta == []
    back = diff(new, old)
    assert back.removed == ["t"] and back.edges_removed == [{"source": "in", "target": "t"}]
    assert diff(old, old).empty
    normalised = validate(old).doc.model_dump(mode="json")  # a saved version spells out null settings
    assert diff(old, normalised).meta == []
