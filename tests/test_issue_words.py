"""Validation issues in people's words, in both languages: an issue the compiler raises carries a
``code`` and ``params`` (attributes, so the API's answer keeps its bytes), and ``ui.issues.said``
words it from the catalog — fields by their labels, nodes by their labels, ports by their titles —
with no config path, node id, port id or pydantic English left."""

from __future__ import annotations

import re

import orjson
import pytest

from flowai.errors import GraphError
from flowai.workflows.graph import FORMAT, compile_graph
from nodes import default_registry
from ui import i18n, issues

REGISTRY = default_registry()
ENGLISH = re.compile(r"config\.|Field required|Input should|\bEdge \d|\bNode '")


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    monkeypatch.setattr(i18n, "language", lambda: request.param)
    monkeypatch.setattr(issues, "language", lambda: request.param)
    return request.param


def _node(nid: str, kind: str, label: str, x: int = 0, **config) -> dict:
    return {"id": nid, "type": kind, "label": label, "position": {"x": x, "y": 0}, "config": config}


def _issues(document: dict) -> list[dict]:
    with pytest.raises(GraphError) as info:
        compile_graph(document, REGISTRY)
    return info.value.issues


BROKEN = {
    "format": FORMAT,
    "nodes": [
        _node("in_1", "input", "Start", fields=[{"name": "q"}]),
        _node("in_2", "input", "Second start"),
        _node("llm_1", "llm", "Writer", temperature=5, max_tokens="many", prompt="{{ghost_1.text}} {{out_1.text}}"),
        _node("img_1", "image", "Painter", prompt="{{llm_1.nothing}}"),
        _node("rep_1", "replicate", "Upscaler"),
        _node("lp_1", "loop", "Each"),
        _node("out_1", "output", "End", value="{{llm_1.text}}", name="x"),
        _node("out_2", "output", "Also end", value="{{llm_1.text}}", name="x"),
    ],
    "edges": [
        {"source": "llm_1", "target": "rep_1", "source_port": "usage", "target_port": "image"},
        {"source": "in_1", "target": "img_1", "source_port": "q", "target_port": "prompt"},
        {"source": "llm_1", "target": "img_1", "source_port": "text", "target_port": "prompt"},
    ],
}


def test_the_api_keeps_its_bytes_and_the_ui_gets_codes():
    found = _issues(BROKEN)
    assert all(set(i) == {"message", "node", "edge", "field"} for i in found)
    assert orjson.loads(orjson.dumps(found)) == [dict(i) for i in found]  # the JSON has no more keys
    codes = {getattr(i, "code", None) for i in found}
    assert {"config", "many_inputs", "output_name_taken", "port_types", "port_taken", "loop_empty"} <= codes
    assert {"ref_unknown_node", "ref_unknown_port", "ref_not_upstream"} <= codes


def test_every_coded_issue_is_said_in_the_ui_language(lang):
    said = {(i.get("node"), issues.said(i, BROKEN, REGISTRY)) for i in _issues(BROKEN) if getattr(i, "code", None)}
    texts = [text for _, text in said]
    ids = [n["id"] for n in BROKEN["nodes"]]
    left = [t for t in texts if ENGLISH.search(t) or any(re.search(rf"(?<![{{\w]){i}\b", t) for i in ids)]
    assert left == []
    if lang == "zh":
        assert [t for t in texts if not re.search(r"[\u4e00-\u9fff]", t)] == []
        assert "温度：不能大于 2" in texts and "最大 token 数：必须是整数" in texts
        assert "模型：必填" in texts
        assert any("“Writer” · “用量” 输出JSON" in t for t in texts), texts
    else:
        assert "Temperature: must be at most 2" in texts and "Model: required" in texts
        assert any("“Writer” · “Usage” gives JSON" in t for t in texts), texts


def test_no_input_and_no_output_and_a_cycle(lang):
    doc = {
        "format": FORMAT,
        "nodes": [_node("a_1", "template", "A", template="x"), _node("b_1", "template", "B", template="y")],
        "edges": [{"source": "a_1", "target": "b_1"}, {"source": "b_1", "target": "a_1"}],
    }
    texts = [issues.said(i, doc, REGISTRY) for i in _issues(doc)]
    assert len(texts) == 3 and not [t for t in texts if ENGLISH.search(t) or "a_1" in t or "b_1" in t], texts
    if lang == "zh":
        assert "工作流没有开始节点：请添加一个来接收运行的输入。" in texts
        assert any(t.startswith("连线在 “A”、“B” 之间绕成了环") for t in texts), texts


def test_fallbacks_self_wires_unknown_types_and_shared_labels(lang):
    doc = {
        "format": FORMAT,
        "nodes": [
            _node("in_1", "input", "Start", fields=[{"name": "q"}]),
            _node("a_1", "template", "Same", template="x"),
            _node("b_1", "template", "Same", template="y"),
            _node("c_1", "template", "User", template="$Same.text"),
            _node("llm_1", "llm", "Writer", prompt="hi"),
            _node("d_1", "llm", "Backup", prompt="hi"),
            _node("x_1", "teleport", "Beam"),
            _node("out_1", "output", "End", value="{{c_1.text}}"),
        ],
        "edges": [
            {"source": "in_1", "target": "a_1"},
            {"source": "in_1", "target": "b_1"},
            {"source": "a_1", "target": "c_1"},
            {"source": "b_1", "target": "c_1"},
            {"source": "c_1", "target": "c_1"},
            {"source": "llm_1", "target": "d_1", "source_port": "error", "target_port": "prompt"},
            {"source": "in_1", "target": "out_1"},
        ],
    }
    found = [i for i in _issues(doc) if getattr(i, "code", None)]
    assert {"unknown_type", "self_edge", "fallback_type"} <= {i.code for i in found}, [i["message"] for i in found]
    texts = [issues.said(i, doc, REGISTRY) for i in found]
    ids = [n["id"] for n in doc["nodes"]]
    assert [t for t in texts if ENGLISH.search(t) or any(re.search(rf"(?<![{{\w]){i}\b", t) for i in ids)] == []
    if lang == "zh":
        assert [t for t in texts if not re.search(r"[\u4e00-\u9fff]", t)] == []


def test_a_checklist_problem_names_the_provider_by_its_name_for_people(lang):
    from flowai.workflows.checklist import Readiness, checklist

    doc = {"format": FORMAT, "nodes": [_node("llm_1", "llm", "Writer", provider="anthropic", prompt="hi")]}
    found = checklist(doc, REGISTRY, providers=Readiness(configured=set(), ready={}))
    said = [c["message"] for c in issues.checklist_items(found, doc, REGISTRY) if c["code"] == "provider_missing"]
    assert said == [i18n.t("issues.check_provider_missing", provider="Anthropic")]
    assert "anthropic" not in said[0]


def test_stages_pins_and_notes_that_do_not_fit_are_said_too(lang):
    """An imported document's stages, pins and notes: duplicate ids, unknown nodes, a node in two
    stages — in the UI language, nodes by their labels (these issues had no code: English in 中文)."""
    doc = {
        "format": FORMAT,
        "nodes": [
            _node("in_1", "input", "Start", fields=[{"name": "q"}]),
            _node("t_1", "template", "Draft", template="{{in_1.q}}"),
            _node("out_1", "output", "End", value="{{t_1.text}}"),
        ],
        "edges": [{"source": "in_1", "target": "t_1"}, {"source": "t_1", "target": "out_1"}],
        "stages": [
            {"id": "write", "label": "Write", "nodes": ["t_1", "ghost"]},
            {"id": "write", "label": "Again", "nodes": []},
            {"id": "edit", "label": "Edit", "nodes": ["t_1"]},
        ],
        "pins": {"phantom": {"text": "x"}},
        "notes": [{"id": "n_1", "text": "a"}, {"id": "n_1", "text": "b"}],
    }
    found = _issues(doc)
    codes = [getattr(i, "code", None) for i in found]
    assert sorted(codes) == sorted(
        ["stage_unknown_node", "stage_duplicate", "stage_twice", "pin_unknown_node", "note_duplicate"]
    ), [i["message"] for i in found]
    texts = [issues.said(i, doc, REGISTRY) for i in found]
    assert [t for t in texts if ENGLISH.search(t) or re.search(r"(?<![{\w])t_1\b", t)] == []
    if lang == "zh":
        assert [t for t in texts if not re.search(r"[\u4e00-\u9fff]", t)] == []
        assert "“Draft” 同时属于阶段“write”和“edit”：一个节点只能属于一个阶段。" in texts
        assert "固定的输出属于不存在的节点“phantom”：请取消固定。" in texts
    else:
        assert "“Draft” is in the stages “write” and “edit”: a node belongs to one stage." in texts
        assert "Two notes have the id “n_1”: give each its own." in texts
