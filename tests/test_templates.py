"""Template rendering (``flowai.workflows.templates``): ``{{node.port}}``, FlowAI's ``$节点名.字段``, one pass."""

from __future__ import annotations

from typing import Any

import pytest

from flowai.workflows.templates import LabelIndex, Ref, brace_refs, render, to_text
from tests.graphs import Graph, field

OUTPUTS: dict[str, dict[str, Any]] = {
    "in": {
        "x": "Bob",
        "输入": "你好",
        "输入2": "second",
        "n": 3,
        "flag": True,
        "inject": "{{in.x}}",
        "flowai": "$开始.输入",
        "empty": None,
    },
    "llm": {
        "text": "answer",
        "usage": {"total_tokens": 42, "items": ["a", "b"]},
        "json": {"名字": "值", "ok": False, "list": [1, 2.5]},
    },
    "llm1": {"text": "from LLM1"},
    "t": {"text": "tpl"},
}
ALIASES = {"llm": {"result": "text"}, "llm1": {"result": "text"}}


def lookup(ref: Ref) -> Any:
    """What the engine does: the node's output for the port (aliases resolved)."""
    port = ALIASES.get(ref.node, {}).get(ref.port, ref.port)
    return OUTPUTS[ref.node].get(port)


def labels(*entries: tuple[str, str]) -> LabelIndex:
    """A LabelIndex over (label, node id) pairs taken from OUTPUTS."""
    return LabelIndex.build([(label, nid, list(OUTPUTS[nid]), ALIASES.get(nid, {})) for label, nid in entries])


ALL = labels(("开始", "in"), ("LLM", "llm"), ("LLM1", "llm1"))


# --- {{node.port}} -----------------------------------------------------------------------------


def test_plain_reference_in_text():
    assert render("Hello {{in.x}}!", lookup) == "Hello Bob!"


def test_several_references():
    assert render("{{in.x}}-{{llm.text}}-{{in.x}}", lookup) == "Bob-answer-Bob"


@pytest.mark.parametrize("template", ["{{ in.x }}", "{{in.x }}", "{{  in.x}}", "{{\tin.x\n}}"])
def test_whitespace_inside_braces(template):
    assert render(f"<{template}>", lookup) == "<Bob>"


def test_non_ascii_port():
    assert render("说: {{in.输入}}", lookup) == "说: 你好"


def test_json_path():
    assert render("{{llm.usage.total_tokens}}", lookup) == 42
    assert render("tokens={{llm.usage.total_tokens}}", lookup) == "tokens=42"
    assert render("{{llm.usage.items.1}}", lookup) == "b"
    assert render("{{llm.usage.items.-1}}", lookup) == "b"
    assert render("{{llm.json.名字}}", lookup) == "值"


def test_missing_json_path_renders_empty():
    assert render("[{{llm.usage.nope.deeper}}]", lookup) == "[]"
    assert render("[{{llm.usage.items.9}}]", lookup) == "[]"
    assert render("{{llm.usage.nope}}", lookup) is None


def test_whole_string_reference_keeps_the_type():
    assert render("{{llm.usage}}", lookup) == {"total_tokens": 42, "items": ["a", "b"]}
    assert render("{{in.n}}", lookup) == 3
    assert render("{{in.flag}}", lookup) is True
    assert render("{{ in.n }}", lookup) == 3


def test_reference_with_surrounding_text_is_text():
    assert render(" {{in.n}}", lookup) == " 3"
    assert render("{{in.n}}{{in.n}}", lookup) == "33"


def test_non_string_values_render_as_text():
    assert render("j={{llm.json}}", lookup) == 'j={"名字":"值","ok":false,"list":[1,2.5]}'
    assert render("{{in.flag}}/{{llm.json.ok}}", lookup) == "true/false"
    assert render("[{{in.empty}}]", lookup) == "[]"
    assert render("{{llm.json.list.1}}!", lookup) == "2.5!"


@pytest.mark.parametrize(
    "value, text",
    [
        (None, ""),
        ("s", "s"),
        (True, "true"),
        (False, "false"),
        (0, "0"),
        (1.5, "1.5"),
        ({"k": "中"}, '{"k":"中"}'),
        ([1, "a"], '[1,"a"]'),
    ],
)
def test_to_text(value, text):
    assert to_text(value) == text


@pytest.mark.parametrize(
    "template", ["{{in}}", "{{ in . x }}", "{{in.}}", "{in.x}", "{{.x}}", "{{in.x}", "plain", "", "{{a b.c}}"]
)
def test_malformed_braces_stay_literal(template):
    assert render(template, lookup) == template


def test_one_pass_brace_value_is_not_rendered_again():
    assert render("A {{in.inject}} B", lookup) == "A {{in.x}} B"
    assert render("{{in.inject}}", lookup) == "{{in.x}}"


def test_one_pass_label_value_is_not_rendered_again():
    assert render("A {{in.flowai}} B", lookup, ALL) == "A $开始.输入 B"
    assert render("$开始.flowai|$开始.inject", lookup, ALL) == "$开始.输入|{{in.x}}"


def test_brace_refs_for_validation():
    assert brace_refs("{{a.b}} {{ c.d.e.0 }} $x.y {{bad}}") == [("a", "b"), ("c", "d")]


# --- FlowAI $节点名.字段 --------------------------------------------------------------------------


def test_label_reference():
    assert render("问: $开始.输入", lookup, ALL) == "问: 你好"


def test_label_reference_alone_keeps_the_type():
    assert render("$开始.n", lookup, ALL) == 3


def test_label_reference_without_an_index_stays_literal():
    assert render("问: $开始.输入", lookup) == "问: $开始.输入"


def test_llm_result_alias():
    assert render("$LLM1.result", lookup, ALL) == "from LLM1"
    match = ALL.match("$LLM1.result", 0)
    assert match == (Ref("llm1", "text"), len("$LLM1.result"))


def test_longest_label_wins():
    assert render("$LLM1.text|$LLM.text", lookup, ALL) == "from LLM1|answer"
    # the same whatever order the index was built in
    reverse = labels(("LLM", "llm"), ("LLM1", "llm1"))
    assert render("$LLM1.text|$LLM.text", lookup, reverse) == "from LLM1|answer"


def test_longest_label_wins_when_a_label_and_a_dot_prefix_another():
    # labels are free text: "A" (an LLM) and "A.text" are both labels; "$A.text.text" is the second's text
    index = labels(("A", "llm"), ("A.text", "llm1"))
    assert render("$A.text.text", lookup, index) == "from LLM1"
    assert render("$A.text", lookup, index) == "answer"
    assert render("$A.text。", lookup, index) == "answer。"


def test_longest_port_wins():
    assert render("$开始.输入2 / $开始.输入", lookup, ALL) == "second / 你好"


def test_text_directly_after_the_port_is_kept():
    assert render("$开始.输入请回答", lookup, ALL) == "你好请回答"
    assert render("$LLM.result。", lookup, ALL) == "answer。"
    assert render("$LLM.textual", lookup, ALL) == "answerual"


@pytest.mark.parametrize(
    "template",
    [
        "$5.00",
        "costs $5.00 now",
        "$unknown.x",
        "$开始",
        "$开始.",
        "$开始.zzz",
        "$开始.X",
        "$ 开始.输入",
        "$$",
        "$",
        "USD$",
        "$LLM2.text",
        "$llm.text",
    ],
)
def test_non_references_stay_literal(template):
    assert render(template, lookup, ALL) == template


def test_dollar_before_a_reference():
    assert render("$$开始.输入", lookup, ALL) == "$你好"


def test_braces_and_labels_mix():
    assert render("{{in.x}} $开始.输入 {{llm.text}} $LLM1.result", lookup, ALL) == "Bob 你好 answer from LLM1"


def test_empty_labels_are_not_indexed():
    index = LabelIndex.build([("", "in", ["x"], {})])
    assert index.entries == ()
    assert render("$.x", lookup, index) == "$.x"


# --- labels come only from ancestors (compiled graphs) -------------------------------------------


def _compiled_labels(doc_graph: Graph, node_id: str) -> LabelIndex | None:
    return doc_graph.compile().nodes[node_id].labels


def test_compiled_label_index_holds_only_ancestors():
    g = (
        Graph()
        .input(field("输入"), label="开始")
        .template("side", "x", label="旁路")
        .template("t", "$开始.输入 $旁路.text", label="模板")
        .output("$模板.text", label="结束")
        .edge("in", "side")
        .edge("in", "t")
        .edge("t", "out")
        .edge("side", "out")
    )
    graph = g.compile()
    t_labels = graph.nodes["t"].labels
    assert t_labels is not None
    assert {e[0] for e in t_labels.entries} == {"开始"}
    outputs = {"in": {"输入": "你好"}, "side": {"text": "SIDE"}}
    rendered = render("$开始.输入 $旁路.text", lambda r: outputs[r.node][r.port], t_labels)
    assert rendered == "你好 $旁路.text"  # 旁路 is not upstream of t: stays literal
    assert {e[0] for e in graph.nodes["out"].labels.entries} == {"开始", "旁路", "模板"}


def test_compiled_label_index_knows_the_llm_alias():
    g = (
        Graph()
        .input(q="string", label="开始")
        .node("llm", "llm", label="LLM1", prompt="$开始.q")
        .output("$LLM1.result", label="结束")
        .chain()
    )
    labels_out = _compiled_labels(g, "out")
    assert labels_out.match("$LLM1.result", 0) == (Ref("llm", "text"), len("$LLM1.result"))
    assert labels_out.match("$结束.value", 0) is None  # a node's own label is not an ancestor


def test_no_label_index_without_dollar():
    g = Graph().input(q="string", label="开始").template("t", "{{in.q}}").output("{{t.text}}").chain()
    assert _compiled_labels(g, "t") is None
