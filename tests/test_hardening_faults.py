"""Faults (issue 6): clients that leave mid-stream leave nothing running behind them — the
upstream request is closed, the run is cancelled, and the server's event loop holds no more
tasks than before, across many disconnects in a row."""

from __future__ import annotations

import asyncio
import time

import httpx
import orjson

from tests.graphs import Graph
from tests.wait import wait_until

DRIP = "drip-40-50"  # 40 deltas, one every 50 ms


def one_llm(model: str) -> dict:
    return (
        Graph()
        .input(q="string")
        .node("llm", "llm", model=model, prompt="{{in.q}}")
        .output("{{llm.text}}")
        .edge("in", "llm")
        .edge("llm", "out", "text", "value")
        .doc
    )


def loop_of(server) -> asyncio.AbstractEventLoop:
    return server.servers[0].get_loop()


def task_count(loop: asyncio.AbstractEventLoop) -> int:
    async def count() -> int:
        return len(asyncio.all_tasks()) - 1  # not this one

    return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=5)


def drop_mid_stream(api, workflow_id: str, key: str) -> str:
    with httpx.Client(timeout=10) as client:
        with client.stream(
            "POST",
            f"{api.url}/v1/api/workflow/run/{workflow_id}",
            headers={"X-API-KEY": key},
            content=orjson.dumps({"input": {"q": "hi"}, "stream": True}),
        ) as resp:
            lines = resp.iter_lines()
            assert any(line == "event: stream" for line in lines)
            return resp.headers["x-run-id"]


def test_twenty_clients_leaving_mid_stream_leak_no_tasks(api_with_openai, fake_openai):
    api = api_with_openai
    loop = loop_of(api.server.server)
    workflow_id, key = api.publish(one_llm(DRIP)), api.key(rate_limit=0)
    drop_mid_stream(api, workflow_id, key)  # warm-up: lazily created tasks (recorder, pools) exist after it
    assert fake_openai.wait_disconnects(1, timeout=5)
    _settle(api)
    baseline = task_count(loop)
    for _ in range(20):
        drop_mid_stream(api, workflow_id, key)
    assert fake_openai.wait_disconnects(21, timeout=10), fake_openai.client_disconnects
    _settle(api)
    assert fake_openai.streams_completed == 0
    assert task_count(loop) <= baseline, "cancelled runs left tasks on the server's loop"


def _settle(api, timeout: float = 10) -> None:
    wait_until(lambda: not api.platform.runs.active, timeout, message=f"still active: {list(api.platform.runs.active)}")
    time.sleep(0.2)


def test_a_stream_cut_off_by_its_client_is_still_billed_to_the_workflow(api_with_openai, fake_openai):
    """Cancelled mid-stream: what was streamed counts against the workflow's budget, so a client
    that always leaves early cannot spend past it."""
    api = api_with_openai
    workflow_id, key = api.publish(one_llm(DRIP)), api.key(rate_limit=0)
    drop_mid_stream(api, workflow_id, key)
    assert fake_openai.wait_disconnects(1, timeout=5)
    _settle(api)
    spent = api.platform.provider_admin.spent_today(workflow_id)
    assert spent > 0, "the cut-off stream was not billed"
    api.platform.provider_admin.set_budget(workflow_id, spent / 2)
    r = httpx.post(
        f"{api.url}/v1/api/workflow/run/{workflow_id}",
        headers={"X-API-KEY": key},
        content=orjson.dumps({"input": {"q": "hi"}}),
        timeout=30,
    )
    assert r.status_code == 429 and r.json()["code"] == 42902 and "budget" in r.json()["message"]
