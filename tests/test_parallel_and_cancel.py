"""Concurrency of the engine against the fake OpenAI server: parallel branches overlap, and a
cancelled run (task cancel, RunManager cancel, or an HTTP client leaving) closes its upstream."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson
import pytest

from flowai.providers.router import Router
from flowai.runs.engine import Engine
from flowai.runs.events import RunFailed, RunSucceeded, StreamDelta
from flowai.runs.manager import RunManager
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from storage import queries
from storage.db import session
from tests.wait import await_until, wait_until

DRIP = "drip-40-50"  # 40 deltas, one every 50 ms: about 2 s, far longer than the tests wait


def one_llm(model: str) -> dict:
    return {
        "format": "flowai/1",
        "name": "drip",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string"}]}},
            {"id": "llm", "type": "llm", "config": {"model": model, "prompt": "{{in.q}}"}},
            {"id": "out", "type": "output", "config": {"value": "{{llm.text}}"}},
        ],
        "edges": [
            {"source": "in", "target": "llm"},
            {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
        ],
    }


def two_branches(model: str) -> dict:
    """input -> (a, b) -> join -> output."""
    return {
        "format": "flowai/1",
        "name": "parallel",
        "nodes": [
            {"id": "in", "type": "input", "config": {"fields": [{"name": "q", "type": "string"}]}},
            {"id": "a", "type": "llm", "config": {"model": model, "prompt": "A: {{in.q}}"}},
            {"id": "b", "type": "llm", "config": {"model": model, "prompt": "B: {{in.q}}"}},
            {"id": "join", "type": "template", "config": {"template": "{{a.text}} | {{b.text}}"}},
            {"id": "out", "type": "output", "config": {"value": "{{join.text}}"}},
        ],
        "edges": [
            {"source": "in", "target": "a"},
            {"source": "in", "target": "b"},
            {"source": "a", "target": "join"},
            {"source": "b", "target": "join"},
            {"source": "join", "source_port": "text", "target": "out", "target_port": "value"},
        ],
    }


@pytest.fixture
async def gateway(fake_openai):
    async with httpx.AsyncClient(timeout=10) as client:
        yield Router.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.url}, client)


async def wait_for(predicate, timeout: float = 2.0) -> None:
    await await_until(predicate, timeout)


async def test_parallel_branches_overlap(gateway, fake_openai):
    graph = compile_graph(two_branches("slow-0.5"), default_registry())
    events: list = []
    t0 = time.perf_counter()
    output = await Engine(gateway).run(graph, {"q": "hi"}, events.append)
    elapsed = time.perf_counter() - t0

    assert output == "A: hi | B: hi"
    assert len(fake_openai.requests) == 2
    # Each branch waits 0.5 s upstream, so 0.5 s is the floor; sequential branches would take
    # at least 1.0 s, so under 0.9 s means the two waits overlapped.
    assert 0.5 <= elapsed < 0.9, elapsed
    assert isinstance(events[-1], RunSucceeded)


async def test_cancelling_the_run_task_closes_the_upstream_request(gateway, fake_openai):
    graph = compile_graph(one_llm(DRIP), default_registry())
    events: list = []
    before = asyncio.all_tasks()
    task = asyncio.create_task(Engine(gateway).run(graph, {"q": "hi"}, events.append))
    await wait_for(lambda: sum(isinstance(e, StreamDelta) for e in events) >= 3)

    t0 = time.perf_counter()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await fake_openai.await_disconnects(1, timeout=2.0), "the upstream request was not closed"
    assert time.perf_counter() - t0 < 2.0
    assert fake_openai.client_disconnects == [DRIP] and fake_openai.streams_completed == 0

    await asyncio.sleep(0)  # let finished tasks be dropped from the loop
    assert asyncio.all_tasks() - before == set(), "the cancelled run left tasks behind"
    assert not any(isinstance(e, (RunSucceeded, RunFailed)) for e in events)


async def test_run_manager_cancel_closes_upstream_and_records_cancelled(gateway, fake_openai):
    recorded: list[dict] = []

    class Recorder:  # flowai.runs.manager.Recorder, keeping what the run manager finally records
        def started(self, run: dict) -> None:
            pass

        def finished(self, run: dict, nodes: list[dict], **_) -> None:
            recorded.append({**run, "nodes": nodes})

    runs = RunManager(Engine(gateway), Recorder(), grace=0)
    before = asyncio.all_tasks()
    handle = runs.start(
        compile_graph(one_llm(DRIP), default_registry()), {"q": "hi"}, workflow_id="wf", version=1, owner_id=1
    )
    await wait_for(lambda: any(isinstance(e, StreamDelta) for e in handle.events))

    assert handle.cancel()
    await handle.wait()
    assert await fake_openai.await_disconnects(1, timeout=2.0), "the upstream request was not closed"
    assert handle.status == "cancelled"
    last = handle.events[-1]
    assert isinstance(last, RunFailed) and last.status == "cancelled"
    [final] = recorded
    assert final["status"] == "cancelled"
    assert {n["node_id"]: n["status"] for n in final["nodes"]} == {"in": "completed", "llm": "cancelled"}

    await asyncio.sleep(0)
    assert asyncio.all_tasks() - before == set()


def test_http_client_leaving_cancels_the_run_and_the_upstream(api_with_openai, fake_openai):
    api = api_with_openai  # its settings use disconnect_grace=0: cancel as soon as the client leaves
    workflow_id = api.publish(one_llm(DRIP))
    with httpx.Client(timeout=10) as client:
        with client.stream(
            "POST",
            f"{api.url}/v1/api/workflow/run/{workflow_id}",
            headers={"X-API-KEY": api.key()},
            content=orjson.dumps({"input": {"q": "hi"}, "stream": True}),
        ) as resp:
            assert resp.status_code == 200
            run_id = resp.headers["x-run-id"]
            lines = resp.iter_lines()
            assert any(line == "event: stream" for line in lines)
            assert next(lines).startswith("data: ")  # the first delta, then the client goes away

    assert fake_openai.wait_disconnects(1, timeout=2.0), "the upstream request was not closed"
    assert fake_openai.client_disconnects == [DRIP] and fake_openai.streams_completed == 0

    def recorded():
        with session(api.platform.db) as s:
            run = queries.get_run(s, run_id=run_id)
        return run if run is not None and run.status == "cancelled" else None

    run = wait_until(recorded, 5, message="the run was not recorded as cancelled")
    assert run.output is None
