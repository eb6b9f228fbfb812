"""Validation of ``flowai/1`` documents (docs/graph-format.md): every rejection is located and explained."""

from __future__ import annotations

import pytest

from flowai.errors import GraphError
from flowai.ports import PortType
from tests.graphs import Graph, chain, check, compile_doc, field, find_issue, issues, one_issue

# The example of docs/graph-format.md, exactly as written there.
DESIGN_EXAMPLE = {
    "format": "flowai/1",
    "name": "Hello",
    "description": "optional",
    "nodes": [
        {
            "id": "in",
            "type": "input",
            "label": "开始",
            "position": {"x": 0, "y": 0},
            "config": {"fields": [{"name": "输入", "type": "string", "required": True, "max_length": 2000}]},
        },
        {
            "id": "llm",
            "type": "llm",
            "label": "LLM1",
            "position": {"x": 300, "y": 0},
            "config": {
                "provider": "auto",
                "model": "",
                "system": "Be brief.",
                "prompt": "{{in.输入}}",
                "temperature": 0.7,
            },
        },
        {
            "id": "out",
            "type": "output",
            "label": "结束",
            "position": {"x": 600, "y": 0},
            "config": {"value": "{{llm.text}}"},
        },
    ],
    "edges": [
        {"source": "in", "source_port": "输入", "target": "llm", "target_port": "prompt"},
        {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
    ],
}


def simple() -> Graph:
    """in(x: string) -> t("{{in.x}}") -> out("{{t.text}}"), ordering edges only."""
    return Graph().input(x="string").template("t", "{{in.x}}").output("{{t.text}}").chain()


# --- accepted documents ------------------------------------------------------------------------


def test_design_example_compiles_as_written():
    graph = compile_doc(DESIGN_EXAMPLE)
    assert list(graph.nodes) == ["in", "llm", "out"]
    assert graph.input_node.id == "in"
    assert [n.id for n in graph.output_nodes] == ["out"]
    llm = graph.nodes["llm"]
    assert llm.edge_inputs == {"prompt": ("in", "输入")}
    assert llm.parents == ["in"] and graph.nodes["in"].children == ["llm"]
    assert graph.nodes["out"].edge_inputs == {"value": ("llm", "text")}
    assert graph.nodes["in"].outputs == {"输入": PortType.TEXT}
    assert graph.nodes["in"].label == "开始"
    assert graph.doc.name == "Hello"


def test_edges_without_ports_only_order_execution():
    graph = compile_doc(simple().doc)
    assert list(graph.nodes) == ["in", "t", "out"]
    assert all(not n.edge_inputs for n in graph.nodes.values())
    assert graph.nodes["out"].parents == ["t"]


def test_chain_helper_builds_a_valid_line():
    graph = compile_doc(chain("input", "template", "template", "output"))
    assert list(graph.nodes) == ["in", "t", "t2", "out"]


def test_templates_may_name_any_ancestor_not_only_parents():
    doc = (
        Graph()
        .input(x="string")
        .template("a", "{{in.x}}")
        .template("b", "{{a.text}} {{in.x}}")
        .output("{{b.text}} {{in.x}} {{a.text}}")
        .chain()
        .doc
    )
    compile_doc(doc)


def test_diamond_ancestors_through_both_branches():
    doc = (
        Graph()
        .input(x="string")
        .template("a", "{{in.x}}")
        .template("b", "{{in.x}}")
        .output("{{a.text}}{{b.text}}{{in.x}}")
        .edge("in", "a")
        .edge("in", "b")
        .edge("a", "out")
        .edge("b", "out")
        .doc
    )
    graph = compile_doc(doc)
    assert list(graph.nodes)[0] == "in" and list(graph.nodes)[-1] == "out"


def test_template_value_for_a_non_string_field_is_accepted_at_save():
    doc = (
        Graph()
        .input(q="string", t="number")
        .node("llm", "llm", prompt="{{in.q}}", temperature="{{in.t}}")
        .output("{{llm.text}}")
        .chain()
        .doc
    )
    graph = compile_doc(doc)
    assert graph.nodes["llm"].config is None  # validated again once rendered, at run time


def test_flowai_label_template_for_a_non_string_field_is_accepted_at_save():
    doc = (
        Graph()
        .input(t="number", label="开始")
        .node("llm", "llm", prompt="hi", temperature="$开始.t")
        .output("{{llm.text}}")
        .chain()
        .doc
    )
    compile_doc(doc)


def test_llm_result_alias_is_accepted_in_braces():
    doc = Graph().input(x="string").node("llm", "llm", prompt="{{in.x}}").output("{{llm.result}}").chain().doc
    compile_doc(doc)


def test_json_path_into_a_port_is_accepted():
    doc = (
        Graph().input(x="string").node("llm", "llm", prompt="{{in.x}}").output("{{llm.usage.total_tokens}}").chain().doc
    )
    compile_doc(doc)


def test_compatible_port_types_are_accepted():
    doc = (
        Graph()
        .input(n="number", b="boolean", j="json", img="image", f="file")
        .template("t", "")
        .node("llm", "llm")
        .output(name="a")
        .output(id="o2", name="b")
        .output(id="o3", name="c")
        .edge("in", "t", "n", "template")  # number -> text
        .edge("in", "llm", "b", "system")  # boolean -> text
        .edge("in", "out", "j", "value")  # json -> any
        .edge("in", "o2", "img", "value")  # image -> any
        .edge("t", "o3", "text", "value")
        .edge("llm", "out")
        .doc
    )
    compile_doc(doc)


def test_identical_duplicate_edges_are_harmless():
    doc = simple().edge("in", "t").doc
    graph = compile_doc(doc)
    assert graph.nodes["t"].parents == ["in"]


# --- rejected documents ------------------------------------------------------------------------


@pytest.mark.parametrize("document", [None, [], "flowai/1", 42, ["nodes"]])
def test_non_object_document(document):
    issue = one_issue(document, node=None, edge=None)
    assert "JSON object" in issue["message"]


def test_wrong_format():
    doc = simple().doc
    doc["format"] = "flowai/2"
    issue = one_issue(doc, field="format", node=None, edge=None)
    assert "flowai/2" in issue["message"] and "flowai/1" in issue["message"]


def test_unknown_top_level_key_is_located():
    doc = simple().doc
    doc["nodez"] = []
    issue = one_issue(doc, field="nodez")
    assert "nodez" in issue["message"]


def test_node_missing_type_is_located_by_id():
    doc = simple().doc
    del doc["nodes"][1]["type"]
    issue = one_issue(doc, node="t", field="nodes.1.type")
    assert "required" in issue["message"].lower()


def test_bad_node_id_is_located():
    doc = simple().doc
    doc["nodes"][1]["id"] = "has space"
    found = issues(doc)
    issue = find_issue(found, field="nodes.1.id")
    assert issue["node"] == "has space"


def test_edge_missing_target_is_located_by_index():
    doc = simple().doc
    del doc["edges"][1]["target"]
    issue = one_issue(doc, edge=1, field="edges.1.target", node=None)
    assert "required" in issue["message"].lower()


def test_unknown_node_type():
    doc = simple().doc
    doc["nodes"][1]["type"] = "tempalte"
    found = issues(doc)
    issue = find_issue(found, node="t", field="type")
    assert "'tempalte'" in issue["message"]
    assert "template" in issue["message"] and "llm" in issue["message"]  # lists the known types


def test_unknown_node_type_is_reported_once_not_by_each_edge_and_template():
    doc = simple().doc
    doc["nodes"][1]["type"] = "tempalte"  # t: edges in -> t, t -> out and out's "{{t.text}}" all touch it
    issue = one_issue(doc, node="t", field="type")
    assert "unknown type" in issue["message"]


def test_duplicate_node_id():
    doc = Graph().input(x="string").template("t", "{{in.x}}").template("t", "again").output("{{t.text}}").doc
    doc["edges"] = [{"source": "in", "target": "t"}, {"source": "t", "target": "out"}]
    issue = one_issue(doc, node="t", edge=None)
    assert "Duplicate" in issue["message"] and "'t'" in issue["message"]


def test_dangling_edge_missing_source():
    doc = simple().edge("ghost", "out").doc
    issue = one_issue(doc, edge=2)
    assert "'ghost'" in issue["message"] and "missing" in issue["message"]


def test_dangling_edge_missing_target():
    doc = simple().edge("t", "nowhere").doc
    issue = one_issue(doc, edge=2)
    assert "'nowhere'" in issue["message"]


def test_dangling_edge_missing_both_ends_names_both():
    issue = one_issue(simple().edge("ghost", "nowhere").doc, edge=2)
    assert "'ghost'" in issue["message"] and "'nowhere'" in issue["message"]


def test_dangling_edge_with_ports():
    doc = simple().edge("in", "gone", "x", "value").doc
    issue = one_issue(doc, edge=2)
    assert "'gone'" in issue["message"]


def test_port_type_mismatch_image_into_text():
    doc = (
        Graph()
        .input(pic="image")
        .node("llm", "llm")
        .output("{{llm.text}}")
        .edge("in", "llm", "pic", "prompt")
        .edge("llm", "out")
        .doc
    )
    issue = one_issue(doc, edge=0, node="llm")
    msg = issue["message"]
    assert "mismatch" in msg and "image" in msg and "text" in msg and "in.pic" in msg and "llm.prompt" in msg


def test_port_type_mismatch_json_into_text():
    doc = (
        Graph()
        .input(j="json")
        .node("llm", "llm", prompt="hi")
        .output("{{llm.text}}")
        .chain()
        .edge("in", "llm", "j", "system")
        .doc
    )
    issue = one_issue(doc, edge=2, node="llm")
    assert "in.j is json" in issue["message"] and "llm.system takes text" in issue["message"]


def test_port_type_mismatch_between_two_inner_nodes():
    doc = (
        Graph()
        .input(v="string")
        .node("llm", "llm", prompt="{{in.v}}")
        .template("t", "")
        .output("{{t.text}}")
        .chain()
        .edge("llm", "t", "usage", "template")
        .doc
    )
    issue = one_issue(doc, edge=3, node="t")
    assert "llm.usage is json" in issue["message"]


def test_unknown_source_port():
    doc = (
        Graph()
        .input(x="string")
        .template("t", "")
        .output("{{t.text}}")
        .edge("in", "t", "y", "template")
        .edge("t", "out")
        .doc
    )
    issue = one_issue(doc, edge=0, node="in")
    assert "'y'" in issue["message"] and "x" in issue["message"]  # names the ports it does have


def test_unknown_target_port():
    doc = (
        Graph()
        .input(x="string")
        .template("t", "")
        .output("{{t.text}}")
        .edge("in", "t", "x", "body")
        .edge("t", "out")
        .doc
    )
    issue = one_issue(doc, edge=0, node="t")
    assert "'body'" in issue["message"] and "template" in issue["message"]


def test_edge_naming_only_one_port():
    doc = simple().doc
    doc["edges"][0]["source_port"] = "x"
    issue = one_issue(doc, edge=0)
    assert "both" in issue["message"]


def test_two_edges_into_one_input_port():
    doc = (
        Graph()
        .input(a="string", b="string")
        .node("llm", "llm")
        .output("{{llm.text}}")
        .edge("in", "llm", "a", "prompt")
        .edge("in", "llm", "b", "prompt")
        .edge("llm", "out")
        .doc
    )
    issue = one_issue(doc, edge=1, node="llm")
    assert "llm.prompt" in issue["message"] and "at most one" in issue["message"]


def test_two_edges_from_different_nodes_into_one_port():
    doc = (
        Graph()
        .input(a="string")
        .template("t1", "x")
        .template("t2", "y")
        .node("llm", "llm")
        .output("{{llm.text}}")
        .edge("in", "t1")
        .edge("in", "t2")
        .edge("t1", "llm", "text", "prompt")
        .edge("t2", "llm", "text", "prompt")
        .edge("llm", "out")
        .doc
    )
    issue = one_issue(doc, edge=3, node="llm")
    assert "already has an edge" in issue["message"]


def test_cycle_is_located_on_a_node_of_the_cycle():
    # in -> p -> q -> p is a cycle; "a" only hangs below it and must not be blamed.
    doc = (
        Graph()
        .input(x="string")
        .template("p", "")
        .template("q", "")
        .output("", id="a")
        .edge("in", "p")
        .edge("p", "q")
        .edge("q", "p")
        .edge("q", "a")
        .doc
    )
    issue = one_issue(doc)
    assert issue["node"] in {"p", "q"}
    msg = issue["message"]
    assert "cycle" in msg and "p" in msg and "q" in msg
    assert "a," not in msg and not msg.rstrip(";. ").endswith(" a")
    assert "nodes p, q;" in msg


def test_two_node_cycle_without_input_path():
    doc = simple().edge("out", "t").doc
    issue = one_issue(doc)
    assert issue["node"] in {"t", "out"} and "cycle" in issue["message"]


def test_self_loop():
    doc = simple().edge("t", "t").doc
    issue = one_issue(doc, edge=2, node="t")
    assert "itself" in issue["message"]


def test_template_naming_a_non_ancestor_sibling():
    doc = (
        Graph()
        .input(x="string")
        .template("t1", "{{in.x}}")
        .template("t2", "{{t1.text}}")
        .output("{{t2.text}}")
        .edge("in", "t1")
        .edge("in", "t2")
        .edge("t1", "out")
        .edge("t2", "out")
        .doc
    )
    issue = one_issue(doc, node="t2", field="config.template", edge=None)
    assert "'t1'" in issue["message"] and "not upstream" in issue["message"]


def test_template_naming_a_descendant():
    doc = Graph().input(x="string").template("t", "{{out.value}}").output("{{t.text}}").chain().doc
    issue = one_issue(doc, node="t", field="config.template")
    assert "'out'" in issue["message"] and "not upstream" in issue["message"]


def test_template_naming_itself():
    doc = Graph().input(x="string").template("t", "{{t.text}}").output("{{t.text}}").chain().doc
    one_issue(doc, node="t", field="config.template")


def test_template_naming_an_unknown_node():
    doc = Graph().input(x="string").template("t", "Hi {{ghost.text}}").output("{{t.text}}").chain().doc
    issue = one_issue(doc, node="t", field="config.template")
    assert "unknown node 'ghost'" in issue["message"]


def test_template_naming_an_unknown_port():
    doc = Graph().input(x="string").template("t", "Hi {{in.y}}").output("{{t.text}}").chain().doc
    issue = one_issue(doc, node="t", field="config.template")
    assert "'y'" in issue["message"] and "x" in issue["message"]


def test_template_in_nested_config_is_located_by_path():
    doc = Graph().input(x="string").template("t", "x").output({"answer": ["ok", "{{ghost.text}}"]}).chain().doc
    one_issue(doc, node="out", field="config.value.answer.1")


def test_no_input_node():
    doc = Graph().template("t", "hi").output("{{t.text}}").chain().doc
    issue = one_issue(doc, node=None, edge=None)
    assert "no input node" in issue["message"]


def test_no_output_node():
    doc = Graph().input(x="string").template("t", "{{in.x}}").chain().doc
    issue = one_issue(doc, node=None, edge=None)
    assert "no output node" in issue["message"]


def test_empty_document_lists_both_missing_ends():
    found = issues({"format": "flowai/1"})
    messages = " | ".join(i["message"] for i in found)
    assert "no input node" in messages and "no output node" in messages


def test_two_input_nodes():
    doc = simple().input(id="in2", y="string").doc
    issue = one_issue(doc, node="in2")
    assert "2 input nodes" in issue["message"]


def test_two_outputs_with_the_same_name():
    doc = simple().output("a", id="o1", name="res").output("b", id="o2", name="res").edge("t", "o1").edge("t", "o2").doc
    issue = one_issue(doc, field="config.name", node="o1")
    assert "'res'" in issue["message"] and "distinct" in issue["message"]


def test_output_name_defaults_to_id_when_checking_clashes():
    doc = simple().output("a", id="o1", name="out").edge("t", "o1").doc  # "out" is the other output's id
    one_issue(doc, field="config.name")


def test_llm_temperature_out_of_range():
    doc = Graph().input(x="string").node("llm", "llm", prompt="{{in.x}}", temperature=5).output("").chain().doc
    issue = one_issue(doc, node="llm", field="config.temperature")
    assert "temperature" in issue["message"] and "2" in issue["message"]


def test_unknown_config_key():
    doc = Graph().input(x="string").node("llm", "llm", tempreature=0.5).output("").chain().doc
    issue = one_issue(doc, node="llm", field="config.tempreature")
    assert "tempreature" in issue["message"]


def test_unknown_config_key_is_refused_even_when_its_value_is_a_template():
    doc = Graph().input(x="string").node("llm", "llm", promt="{{in.x}}").output("").chain().doc
    issue = one_issue(doc, node="llm", field="config.promt")
    assert "promt" in issue["message"]


def test_non_template_string_for_a_number_field_is_refused():
    doc = Graph().input(x="string").node("llm", "llm", temperature="hot").output("").chain().doc
    one_issue(doc, node="llm", field="config.temperature")


@pytest.mark.parametrize("value", ["$5", "$开始", "$其他.t", "{{in}}", "{in.t}"])
def test_text_that_is_not_a_template_is_refused_for_a_number_field(value):
    doc = (
        Graph()
        .input(t="number", label="开始")
        .node("llm", "llm", prompt="hi", temperature=value)
        .output("")
        .chain()
        .doc
    )
    one_issue(doc, node="llm", field="config.temperature")


def test_flowai_label_shared_by_two_ancestors_is_ambiguous_where_used():
    doc = (
        Graph()
        .input(x="string", label="开始")
        .template("a", "A", label="LLM1")
        .template("b", "B", label="LLM1")
        .template("t", "$LLM1.text and {{a.text}}")
        .output("$开始.x")
        .edge("in", "a")
        .edge("in", "b")
        .edge("a", "t")
        .edge("b", "t")
        .edge("t", "out")
        .doc
    )
    issue = one_issue(doc, node="t", field="config.template")
    assert "'a', 'b'" in issue["message"] and "'LLM1'" in issue["message"] and "rename" in issue["message"]


def test_shared_label_is_fine_when_no_one_refers_to_it():
    doc = (
        Graph()
        .input(x="string", label="开始")
        .template("a", "A", label="同名")
        .template("b", "B", label="同名")
        .output("$开始.x {{a.text}}")
        .edge("in", "a")
        .edge("a", "b")
        .edge("b", "out")
        .doc
    )
    compile_doc(doc)


def test_input_field_with_bad_type():
    doc = Graph().input(field("x", "strnig")).template("t", "{{in.x}}").output("").chain().doc
    issue = one_issue(doc, node="in", field="config.fields.0.type")
    assert "string" in issue["message"]


@pytest.mark.parametrize(
    "fields, where",
    [
        ([{"name": "a b"}], "config.fields.0.name"),
        ([{"name": "x"}, {"name": "x"}], "config.fields"),
        ([{"name": "x", "max_length": 0}], "config.fields.0.max_length"),
        ([{"name": "x", "colour": "red"}], "config.fields.0.colour"),
        ("x", "config.fields"),
        (3, "config.fields"),
        ([{"name": ["x"]}], "config.fields.0.name"),
        ([{"name": "x", "type": ["string"]}], "config.fields.0.type"),
        ([{"name": "n", "type": "number", "default": "many"}], "config.fields.0.default"),
        ([{"name": "s", "type": "string", "default": 5}], "config.fields.0.default"),
    ],
)
def test_invalid_input_fields(fields, where):
    doc = Graph().node("in", "input", fields=fields).output("").chain().doc
    issue = find_issue(issues(doc), node="in", field=where)
    assert issue["message"].startswith("Node 'in': " + where)


def test_input_field_default_of_the_right_type_is_accepted():
    doc = (
        Graph()
        .input(field("n", "number", default=3), field("s", default="hi"), field("b", "boolean", default=False))
        .output("{{in.n}}")
        .chain()
        .doc
    )
    compile_doc(doc)


def test_several_problems_are_all_listed():
    doc = (
        Graph()
        .input(x="string")
        .node("bad", "nope")
        .node("llm", "llm", prompt="{{sib.text}}", temperature=9)
        .template("sib", "{{in.zzz}}")
        .output("{{llm.text}}")
        .edge("in", "llm")
        .edge("in", "sib")
        .edge("llm", "out")
        .edge("ghost", "out")
        .doc
    )
    with pytest.raises(GraphError) as info:
        compile_doc(doc)
    found = info.value.issues
    find_issue(found, node="bad", field="type")
    find_issue(found, node="llm", field="config.temperature")
    find_issue(found, edge=3)
    find_issue(found, node="sib", field="config.template")
    t = [i for i in found if i["node"] == "llm" and i["field"] == "config.prompt"]
    assert len(t) == 1 and "not upstream" in t[0]["message"]
    assert len(found) == 5
    assert f"(and {len(found) - 1} more)" in info.value.message
    assert info.value.code == 40001 and info.value.status == 400


def test_cycle_and_missing_output_are_both_listed():
    doc = Graph().input(x="string").template("a", "").template("b", "").chain().edge("b", "a").doc
    found = issues(doc)
    assert any("cycle" in i["message"] for i in found)
    assert any("no output node" in i["message"] for i in found)


def test_check_helper_catches_wrong_location():
    """The helpers themselves can fail: a wrongly located expectation is an assertion error."""
    doc = Graph().input(x="string").template("t", "{{in.y}}").output("").chain().doc
    with pytest.raises(AssertionError):
        one_issue(doc, node="out")
    with pytest.raises(AssertionError):
        check({"message": "m", "node": "a", "edge": None, "field": None}, node="b")


@pytest.mark.parametrize("name", ['q"\ronmouseover="alert(1)"\rx="', "a\u3000b", "a\x0bb", "a'b", "<img>", "a\\b"])
def test_field_names_that_could_break_out_of_markup_are_refused(name):
    doc = Graph().input(field(name)).output("x").chain().doc
    assert any("field name" in i["message"] for i in issues(doc)), name
