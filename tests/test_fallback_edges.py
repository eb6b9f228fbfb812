"""Fallback edges: an edge from a node's ``error`` port runs its target only when the node fails."""

from __future__ import annotations

import httpx
import pytest

from flowai.errors import NodeError
from flowai.providers.config import Policy
from flowai.providers.router import Router
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import (
    FallbackTaken,
    NodeFailed,
    NodeFinished,
    NodeRetry,
    NodeSkipped,
    NodeStarted,
    RunFailed,
    RunStarted,
    RunSucceeded,
)
from flowai.runs.manager import EVENT_TYPES, event_record
from flowai.runs.sse import payload
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.graphs import issues
from tests.test_background_runs import env, run_status, until  # noqa: F401  (env: fixture)


def doc(*, fallback: bool = True, **llm_config) -> dict:
    """in -> llm -> answer; on failure llm -error-> sorry -> apology."""
    nodes = [
        {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string"}]}},
        {"id": "llm", "type": "llm", "config": {"model": "echo", **llm_config}},
        {"id": "answer", "type": "output", "config": {"name": "answer", "value": "{{llm.text}}"}},
    ]
    edges = [
        {"source": "in", "source_port": "q", "target": "llm", "target_port": "prompt"},
        {"source": "llm", "target": "answer"},
    ]
    if fallback:
        nodes += [
            {"id": "sorry", "type": "template", "config": {"template": "Sorry ({{llm.error.code}}): {{llm.error}}"}},
            {"id": "apology", "type": "output", "config": {"name": "apology", "value": "{{sorry.text}}"}},
        ]
        edges += [
            {"source": "llm", "source_port": "error", "target": "sorry"},
            {"source": "sorry", "target": "apology"},
        ]
    return {"format": "flowai/1", "nodes": nodes, "edges": edges}


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def run(fake, http, document: dict):
    router = Router.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.url}, http, policy=Policy(retries=0))

    async def no_wait(_seconds: float) -> None:
        pass

    events: list = []
    try:
        result = await Engine(router, sleep=no_wait).run(
            compile_graph(document, default_registry()), {"q": "hi"}, events.append, state=RunState()
        )
    except NodeError as exc:
        result = exc
    return result, events


async def test_a_failure_takes_the_fallback_path(flaky, http):  # noqa: F811
    fake = flaky(script=["500"])
    result, events = await run(fake, http, doc())
    assert isinstance(events[-1], RunSucceeded)
    assert set(result) == {"apology"}  # the ordinary output was not reached
    assert result["apology"].startswith("Sorry (50002): ")
    assert '"code":50002' in result["apology"] and '"message":' in result["apology"]
    taken = [e for e in events if isinstance(e, FallbackTaken)]
    assert [(t.node, t.code, t.targets) for t in taken] == [("llm", 50002, ["sorry"])]
    assert [e.node for e in events if isinstance(e, NodeFailed)] == ["llm"]
    assert [e.node for e in events if isinstance(e, NodeSkipped)] == ["answer"]
    # the trace keeps the path taken: the event is stored and rebuilt like any other
    record = event_record(taken[0])
    assert record["kind"] == "fallback"
    assert EVENT_TYPES["fallback"](**{k: v for k, v in record.items() if k != "kind"}) == taken[0]
    assert payload(taken[0]) is None  # not part of the run API's SSE contract


async def test_success_skips_the_fallback_path(flaky, http):  # noqa: F811
    fake = flaky(script=["ok"])
    result, events = await run(fake, http, doc())
    assert set(result) == {"answer"} and "hi" in result["answer"]
    assert {e.node for e in events if isinstance(e, NodeSkipped)} == {"sorry", "apology"}
    assert not any(isinstance(e, FallbackTaken | NodeFailed) for e in events)


async def test_retries_come_before_the_fallback(flaky, http):  # noqa: F811
    fake = flaky(script=["500", "ok"])
    result, events = await run(fake, http, doc(retries=1, retry_backoff=0))
    assert set(result) == {"answer"}
    assert [e.attempt for e in events if isinstance(e, NodeRetry)] == [1]
    assert not any(isinstance(e, FallbackTaken) for e in events)


async def test_without_a_fallback_the_run_fails_exactly_as_before(flaky, http):  # noqa: F811
    fake = flaky(script=["500"])
    result, events = await run(fake, http, doc(fallback=False))
    assert isinstance(result, NodeError) and result.code == 50002 and result.node_id == "llm"
    kinds = [type(e) for e in events]
    assert kinds == [RunStarted, NodeStarted, NodeFinished, NodeStarted, NodeFailed, RunFailed]
    failed = events[-1]
    assert (failed.node, failed.code, failed.message) == ("llm", result.code, result.message)
    assert payload(failed) == ("error", {"Node": "llm", "code": 50002, "message": result.message})


def test_fallback_edges_are_validated():
    document = doc()
    document["edges"].append({"source": "llm", "target": "sorry"})  # also on success: ambiguous
    found = issues(document)
    assert any(i.get("edge") == 4 and "error port" in i["message"] for i in found)

    document = doc()
    document["edges"][2]["target_port"] = "template"  # json into a text port
    found = issues(document)
    assert any(i.get("edge") == 2 and "llm.error is json" in i["message"] for i in found)

    document = doc(fallback=False)
    document["nodes"].append({"id": "t", "type": "template", "config": {"template": "{{llm.error}}"}})
    document["edges"].append({"source": "llm", "target": "t"})
    found = issues(document)  # without an error edge, a node has no error port to read
    assert any(i.get("node") == "t" and "port 'error'" in i["message"] for i in found)


def test_a_fallback_edge_compiles():
    graph = compile_graph(doc(), default_registry())
    assert graph.nodes["llm"].fallbacks == {"sorry"}
    assert graph.nodes["llm"].outputs["error"] == "json"


def test_a_background_run_records_the_path_it_took(env):  # noqa: F811
    api, client, _fake, _token = env
    document = doc()
    document["nodes"][1]["config"]["model"] = "error-500"  # the fake answers HTTP 500 for this model
    wf = api.publish(document)
    run_id = client.post("/runs", json={"workflow_id": wf, "input": {"q": "hi"}}).json()["data"]["run_id"]
    until(lambda: run_status(client, run_id) in ("completed", "failed"))
    data = client.get(f"/runs/{run_id}").json()["data"]
    assert data["status"] == "completed" and data["output"]["apology"].startswith("Sorry (50002)")
    assert [(p["kind"], p["node"], p["targets"]) for p in data["path"]] == [("fallback", "llm", ["sorry"])]
    states = {n["node_id"]: n["status"] for n in data["nodes"]}
    assert states["llm"] == "fallback" and states["answer"] == "skipped" and states["sorry"] == "completed"
    progress = client.get(f"/runs/{run_id}/progress").json()["data"]
    assert progress["overall_progress"] == 1.0
    assert {s["stage"]: s["status"] for s in progress["stages"]}["llm"] == "fallback"
    api.platform.runs.recent.clear()  # answered from the database rows now
    stored = client.get(f"/runs/{run_id}").json()["data"]
    assert {n["node_id"]: n["status"] for n in stored["nodes"]}["llm"] == "fallback"
    assert [p["kind"] for p in stored["path"]] == ["fallback"]
