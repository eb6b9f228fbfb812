"""Issue 11, smaller defects: an output node is the end of a flow, so its card shows no outgoing
port, and a wire drawn out of it is refused with a located problem."""

from __future__ import annotations

import copy

import pytest

from flowai.demo import LLM_CHAT
from flowai.workflows.graph import GraphError, compile_graph
from nodes import default_registry
from ui.editor_model import Draft

REGISTRY = default_registry()


def test_the_output_cards_have_inputs_and_no_outgoing_port():
    draft = Draft(LLM_CHAT, REGISTRY)
    cards = {n["type"]: draft.node_view(n)["data"] for n in LLM_CHAT["nodes"]}
    assert cards["output"]["outputs"] == [] and [p["name"] for p in cards["output"]["inputs"]] == ["value"]
    assert cards["llm"]["outputs"], "other nodes keep theirs"


def test_a_wire_out_of_an_output_node_is_refused_on_that_edge():
    doc = copy.deepcopy(LLM_CHAT)
    out = next(n["id"] for n in doc["nodes"] if n["type"] == "output")
    extra = copy.deepcopy(next(n for n in doc["nodes"] if n["type"] == "output"))
    extra.update(id="out_2", config={"value": "", "name": "again"})
    doc["nodes"].append(extra)
    doc["edges"].append({"source": out, "source_port": "value", "target": "out_2", "target_port": "value"})
    with pytest.raises(GraphError) as err:
        compile_graph(doc, REGISTRY)
    assert [(i["node"], i["edge"]) for i in err.value.issues] == [(out, 2)], err.value.issues
