"""The editor's run tools through the run service (flowai.runs.service, flowai.runs.tools), against
the fake OpenAI-compatible server: one node run alone on sample values, a re-run from a node
reusing the last run's outputs, pinned outputs standing in for a node, and one trace of a run
whatever started it. Each test counts the requests the fake received."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import replace

import pytest

from flowai.errors import GraphError, InputError
from flowai.platform import Platform
from flowai.runs import tools
from flowai.runs.service import Mode, Principal, Target
from tests.test_background_runs import llm_chain


@pytest.fixture
async def platform(settings, fake_openai):
    platform = Platform(
        replace(settings, env={"OPENAI_API_KEY": fake_openai.api_key, "OPENAI_BASE_URL": fake_openai.url})
    )
    await platform.startup()
    try:
        yield platform
    finally:
        await platform.shutdown()


@pytest.fixture
def owner(platform):
    return Principal(platform.users.acting_admin().id)


def prompts(fake) -> list[str]:
    return [body["messages"][-1]["content"] for body in fake.requests]


async def ended(platform, handle):
    await handle.wait()
    await platform.recorder.flush()
    return handle


async def full_run(platform, owner, wf_id: str, document: dict, text: str = "hi", **kw):
    graph = platform.workflows.validate(document)
    handle = platform.run_service.start_checked(
        owner, Target(wf_id, 0, graph), graph.check_input({"输入": text}), mode=Mode.CLIENT, source="editor", **kw
    )
    return await ended(platform, handle)


async def test_a_single_node_runs_alone_on_its_typed_sample_input(platform, owner, fake_openai):
    doc = llm_chain("echo", "echo")
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    graph = platform.workflows.validate(doc)
    assert tools.reads(graph, "b") == [("a", "text")]
    handle = platform.run_service.run_node(
        owner, Target(wf.id, 0, graph), "b", {"a": {"text": "typed sample 样例"}}, {}, source="editor"
    )
    await ended(platform, handle)
    assert handle.status == "completed"
    assert prompts(fake_openai) == ["b:typed sample 样例"]  # exactly that prompt; A never ran
    assert handle.state.outputs["b"]["text"] == "b:typed sample 样例"
    trace = await platform.run_service.trace(owner, handle.id)
    status = {n.node_id: n.status for n in trace.nodes}
    assert status["b"] == "completed" and status["a"] == "reused" and status["out"] == "skipped"
    assert {n.node_id: n.usage for n in trace.nodes}["b"]["model"] == "echo"


async def test_run_from_a_node_reuses_the_upstream_outputs(platform, owner, fake_openai):
    doc = llm_chain("echo", "echo")
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    first = await full_run(platform, owner, wf.id, doc)
    assert first.output == "b:a:hi" and len(fake_openai.requests) == 2

    changed = copy.deepcopy(doc)
    changed["nodes"][2]["config"]["prompt"] = "B2:{{a.text}}"  # the designer edited b, then ran from it
    graph = platform.workflows.validate(changed)
    again = await platform.run_service.rerun_from(owner, first.id, "b", Target(wf.id, 0, graph), source="editor")
    await ended(platform, again)
    assert again.output == "B2:a:hi"
    assert prompts(fake_openai) == ["a:hi", "b:a:hi", "B2:a:hi"]  # a was not called again
    trace = await platform.run_service.trace(owner, again.id)
    assert {n.node_id: n.status for n in trace.nodes}["a"] == "reused"
    assert trace.run.parent_run_id == first.id and trace.run.input == {"输入": "hi"}

    # a run that has not ended, or another workflow's graph, is refused
    other, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    with pytest.raises(InputError):
        await platform.run_service.rerun_from(owner, first.id, "b", Target(other.id, 0, graph))


async def test_a_pinned_output_flows_downstream_without_calling_its_provider(platform, owner, fake_openai):
    doc = llm_chain("echo", "echo")
    doc["pins"] = {"a": {"text": "pinned text"}}
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    graph = platform.workflows.validate(doc)
    handle = await full_run(platform, owner, wf.id, doc, state=tools.pinned_state(graph))
    assert handle.output == "b:pinned text"
    assert prompts(fake_openai) == ["b:pinned text"]  # a's provider was never called
    trace = await platform.run_service.trace(owner, handle.id)
    assert {n.node_id: n.status for n in trace.nodes}["a"] == "reused"

    # the pins are saved with the version, and never used by a published run
    assert platform.workflows.export(owner_id=owner.owner_id, workflow_id=wf.id)["pins"] == doc["pins"]
    platform.workflows.publish(owner_id=owner.owner_id, workflow_id=wf.id, version=1)
    target = platform.run_service.target(owner, wf.id)
    published = platform.run_service.start_checked(
        owner, target, target.graph.check_input({"输入": "hi"}), mode=Mode.CLIENT, source="api"
    )
    await ended(platform, published)
    assert published.output == "b:a:hi" and prompts(fake_openai)[-2:] == ["a:hi", "b:a:hi"]


def test_pins_name_nodes_of_the_document_and_are_stored_only_when_used(platform, owner):
    doc = llm_chain("echo")
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    assert "pins" not in platform.workflows.export(owner_id=owner.owner_id, workflow_id=wf.id)
    with pytest.raises(GraphError) as refused:
        platform.workflows.validate({**doc, "pins": {"nope": {"text": "x"}}})
    assert refused.value.issues[0]["field"] == "pins.nope"
    with pytest.raises(GraphError):
        platform.workflows.validate({**doc, "pins": {"a": "not an object"}})


async def test_one_trace_whatever_started_the_run(platform, owner, fake_openai):
    doc = llm_chain("echo")
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc, publish=True)
    target = platform.run_service.target(owner, wf.id)
    api_run = await platform.run_service.start(owner, target, {"输入": "hi"}, mode=Mode.CLIENT, source="api")
    await ended(platform, api_run)
    trace = await platform.run_service.trace(owner, api_run.id)
    nodes = {n.node_id: n for n in trace.nodes}
    assert [n.node_id for n in trace.nodes] == ["in", "a", "out"]
    assert nodes["a"].label == "A" and nodes["a"].outputs["text"] == "a:hi"
    assert nodes["a"].usage["provider"] and nodes["a"].usage["model"] == "echo"
    assert nodes["a"].inputs == {"开始.输入": "hi"}  # what its prompt's template read
    assert trace.run.source == "api"


async def test_a_stopped_run_leaves_its_nodes_cancelled_on_the_runs_page(platform, owner, fake_openai):
    doc = llm_chain("drip-50-100", "echo")
    wf, _ = platform.workflows.create(owner_id=owner.owner_id, document=doc)
    graph = platform.workflows.validate(doc)
    handle = platform.run_service.start_checked(
        owner, Target(wf.id, 0, graph), {"输入": "hi"}, mode=Mode.CLIENT, source="editor"
    )
    for _ in range(1000):  # until a's stream is open (at most 20 s)
        if fake_openai.streams_opened or handle.done:
            break
        await asyncio.sleep(0.02)
    assert not handle.done and handle.cancel()
    await ended(platform, handle)
    trace = await platform.run_service.trace(owner, handle.id)
    assert trace.run.status == "cancelled"
    statuses = {n.node_id: n.status for n in trace.nodes}
    assert statuses == {"in": "completed", "a": "cancelled", "b": "cancelled", "out": "cancelled"}
    assert len(fake_openai.requests) == 1  # b never started
