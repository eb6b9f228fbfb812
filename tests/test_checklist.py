"""The checklist before publishing (flowai.workflows.checklist): each case of issue 11's defect 4,
and no false alarm on the shipped examples; which providers are configured comes from the real
ProviderAdmin of a platform (its environment's keys)."""

from __future__ import annotations

import copy
from dataclasses import replace

from flowai.platform import Platform
from flowai.workflows.builder import Graph, field
from flowai.workflows.checklist import Problem, Readiness, checklist
from flowai.workflows.examples import EXAMPLES, HELLO, LLM_CHAT
from nodes import default_registry

REGISTRY = default_registry()
TEXT_READY = Readiness(configured={"openai"}, ready={"text": ["openai"], "multimodal": ["openai"]})
NOTHING = Readiness()
EVERYTHING = Readiness(
    configured={"openai", "stability", "elevenlabs"},
    ready={"text": ["openai"], "multimodal": ["openai"], "image": ["stability"], "tts": ["elevenlabs"]},
)


def codes(problems: list[Problem]) -> list[tuple[str, str, str | None]]:
    return [(p.level, p.code, p.node) for p in problems]


def llm_flow(prompt: str = "", wired: bool = False, **llm) -> dict:
    g = (
        Graph("t", "")
        .input(field("q", required=True), label="Start", at=(0, 0))
        .node("llm", "llm", "Writer", at=(300, 0), prompt=prompt, **llm)
        .output("{{llm.text}}", label="End", at=(600, 0))
        .edge("llm", "out", "text", "value")
    )
    g = g.edge("in", "llm", "q", "prompt") if wired else g.edge("in", "llm")
    return g.doc


def test_an_llm_without_a_prompt_is_an_error_unless_a_wire_feeds_it():
    problems = checklist(llm_flow(""), REGISTRY, providers=TEXT_READY)
    assert codes(problems) == [("error", "required", "llm")]
    assert problems[0].field == "prompt"
    assert checklist(llm_flow("   "), REGISTRY, providers=TEXT_READY)[0].code == "required"  # blanks only
    assert checklist(llm_flow("", wired=True), REGISTRY, providers=TEXT_READY) == []  # the wire is the prompt
    assert checklist(llm_flow("Reply to {{in.q}}"), REGISTRY, providers=TEXT_READY) == []


def test_an_output_without_a_value_is_an_error():
    doc = copy.deepcopy(HELLO)
    out = next(n for n in doc["nodes"] if n["type"] == "output")
    out["config"]["value"] = ""
    doc["edges"] = [e for e in doc["edges"] if e["target"] != out["id"]]
    problems = checklist(doc, REGISTRY, providers=NOTHING)
    assert ("error", "required", out["id"]) in codes(problems)
    assert next(p for p in problems if p.node == out["id"] and p.level == "error").field == "value"


def test_a_disconnected_chain_of_32_nodes_is_flagged_node_by_node():
    g = Graph("t", "").input(field("q"), at=(0, 0)).output("{{in.q}}", at=(300, 0)).edge("in", "out", "q", "value")
    ids = [f"t{i}" for i in range(32)]
    for k, nid in enumerate(ids):
        g = g.template(nid, f"step {k}", f"Step {k}", at=(k * 250, 300))
    g = g.chain(*ids)
    problems = checklist(g.doc, REGISTRY, providers=NOTHING)
    assert codes(problems) == [("warning", "unreachable", nid) for nid in ids]
    # wired to the input, the chain is fine
    assert checklist(g.edge("in", "t0").doc, REGISTRY, providers=NOTHING) == []


def test_a_node_with_no_wire_at_all_is_not_connected():
    doc = copy.deepcopy(HELLO)
    doc["nodes"].append({"id": "lost", "type": "template", "config": {"template": "hi"}})
    assert codes(checklist(doc, REGISTRY, providers=NOTHING)) == [("warning", "not_connected", "lost")]
    lonely = {"format": "flowai/1", "name": "one", "nodes": [doc["nodes"][0]], "edges": []}
    assert checklist(lonely, REGISTRY, providers=NOTHING) == []  # a single node is not "disconnected"


def test_an_llm_when_no_text_provider_is_configured_is_an_error_with_the_task():
    problems = checklist(LLM_CHAT, REGISTRY, providers=NOTHING)
    assert codes(problems) == [("error", "no_provider", "llm")] and problems[0].task == "text"
    assert checklist(LLM_CHAT, REGISTRY, providers=TEXT_READY) == []
    assert checklist(LLM_CHAT, REGISTRY) == []  # no readiness given: the provider checks are skipped
    # an image sent with the prompt makes it a multimodal call; a pinned provider must be configured itself
    with_image = llm_flow("hi", image="https://example.com/a.png")
    text_only = Readiness({"openai"}, {"text": ["openai"]})
    assert checklist(with_image, REGISTRY, providers=text_only)[0].task == "multimodal"
    pinned = checklist(llm_flow("hi", provider="anthropic"), REGISTRY, providers=TEXT_READY)
    assert codes(pinned) == [("error", "provider_missing", "llm")] and pinned[0].provider == "anthropic"
    assert checklist(llm_flow("hi", provider="openai"), REGISTRY, providers=TEXT_READY) == []


def test_the_shipped_examples_raise_no_false_alarm_and_loop_bodies_count_as_reached():
    for doc in EXAMPLES:
        assert checklist(doc, REGISTRY, providers=EVERYTHING) == [], doc["name"]
    loop = {
        "format": "flowai/1",
        "name": "loop",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "xs", "type": "json"}]}},
            {"id": "lp", "type": "loop", "config": {"items": "{{in.xs}}"}},
            {"id": "a", "type": "template", "parent": "lp", "config": {"template": "{{lp.item}}"}},
            {"id": "b", "type": "template", "parent": "lp", "config": {"template": "{{a.text}}"}},
            {"id": "out", "type": "output", "config": {"value": "{{lp.results}}"}},
        ],
        "edges": [{"source": "in", "target": "lp"}, {"source": "lp", "target": "out"}, {"source": "a", "target": "b"}],
    }
    assert checklist(loop, REGISTRY, providers=EVERYTHING) == []


def test_the_provider_admin_says_which_providers_are_configured(settings):
    nothing = Platform(settings)
    configured, ready = nothing.provider_admin.readiness()
    assert "openai" not in configured and ready["text"] == [n for n in ready["text"] if n in configured]
    assert checklist(LLM_CHAT, REGISTRY, providers=Readiness(frozenset(configured), ready))[0].code == "no_provider"
    keyed = Platform(replace(settings, env={"OPENAI_API_KEY": "sk-test"}))
    configured, ready = keyed.provider_admin.readiness()
    assert "openai" in configured and "openai" in ready["text"]
    assert checklist(LLM_CHAT, REGISTRY, providers=Readiness(frozenset(configured), ready)) == []
