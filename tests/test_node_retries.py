"""Per-node retries: a fake OpenAI server on 127.0.0.1 fails twice, then answers."""

from __future__ import annotations

import httpx
import pytest

from flowai.errors import NodeError
from flowai.providers.config import Policy
from flowai.providers.router import Router
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import NodeFailed, NodeFinished, NodeRetry, RunSucceeded
from flowai.runs.retry import MAX_BACKOFF, backoff, retryable
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.fakes.flaky_openai import flaky  # noqa: F401  (fixture)
from tests.test_llm_node import llm_doc


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def gateway(fake, http) -> Router:
    # no retries at the provider (the router's own) and no cool-down: only the node retries
    policy = Policy(retries=0, cooldown_failures=100)
    return Router.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake.url}, http, policy=policy)


async def run(router: Router, doc: dict):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the injected clock: record, do not wait
        waits.append(seconds)

    events: list = []
    engine = Engine(router, sleep=sleep)
    try:
        result = await engine.run(compile_graph(doc, default_registry()), {"q": "hi"}, events.append, state=RunState())
    except NodeError as exc:
        result = exc
    return result, events, waits


async def test_two_failures_then_an_answer_with_two_retries(flaky, http):  # noqa: F811
    fake = flaky(script=["500", "500", "ok"])
    result, events, waits = await run(gateway(fake, http), llm_doc("echo", retries=2, retry_backoff=0.5))
    assert fake.actions == ["500", "500", "ok"]
    retries = [e for e in events if isinstance(e, NodeRetry)]
    assert [(r.node, r.attempt, r.code) for r in retries] == [("llm", 1, 50002), ("llm", 2, 50002)]
    assert all(r.message for r in retries)
    assert waits == [0.5, 1.0]  # exponential: base, then doubled
    assert [r.delay for r in retries] == waits
    assert isinstance(events[-1], RunSucceeded)
    assert any(isinstance(e, NodeFinished) and e.node == "llm" for e in events)
    assert "hi" in result


async def test_retries_run_out_and_the_run_fails_as_before(flaky, http):  # noqa: F811
    fake = flaky(script=["500", "500", "ok"])
    result, events, waits = await run(gateway(fake, http), llm_doc("echo", retries=1, retry_backoff=0))
    assert fake.actions == ["500", "500"]
    assert isinstance(result, NodeError) and result.code == 50002
    assert [e.attempt for e in events if isinstance(e, NodeRetry)] == [1]
    assert [e.node for e in events if isinstance(e, NodeFailed)] == ["llm"]
    assert waits == [0.0]


async def test_without_retries_one_attempt_and_no_retry_events(flaky, http):  # noqa: F811
    fake = flaky(script=["500", "ok"])
    result, events, waits = await run(gateway(fake, http), llm_doc("echo"))
    assert fake.actions == ["500"] and waits == []
    assert isinstance(result, NodeError)
    assert not any(isinstance(e, NodeRetry) for e in events)


async def test_a_request_error_is_not_retried(flaky, http):  # noqa: F811
    fake = flaky(script=["400", "ok"])
    result, events, _ = await run(gateway(fake, http), llm_doc("echo", retries=3, retry_backoff=0))
    assert fake.actions == ["400"]
    assert isinstance(result, NodeError)
    assert not any(isinstance(e, NodeRetry) for e in events)


async def test_a_config_invalid_after_rendering_is_not_retried(flaky, http):  # noqa: F811
    fake = flaky()
    doc = llm_doc("echo", retries=3, retry_backoff=0, temperature="{{in.q}}")  # "hi" is no temperature
    result, events, waits = await run(gateway(fake, http), doc)
    assert isinstance(result, NodeError) and "temperature" in result.message
    assert fake.hits == 0 and waits == []


def test_classification_and_backoff_cap():
    from flowai.errors import BudgetExceededError, NodeTimeoutError, ProviderError

    assert retryable(NodeTimeoutError("slow"))
    assert retryable(ProviderError("down", http_status=503, retryable=False))
    assert retryable(ProviderError("reset", retryable=False))  # no status: the connection failed
    assert not retryable(ProviderError("bad", http_status=400))
    assert not retryable(ProviderError("key", http_status=401, detail={"error": "provider_auth_failed"}))
    assert not retryable(BudgetExceededError("spent", retry_after=60))
    assert retryable(NodeError("HTTP 502", detail={"status": 502}))
    assert not retryable(NodeError("HTTP 404", detail={"status": 404}))
    assert not retryable(NodeError("config.x is invalid"))
    assert backoff(1.0, 1) == 1.0 and backoff(1.0, 3) == 4.0 and backoff(10.0, 10) == MAX_BACKOFF


def test_retries_are_validated_with_located_issues():
    from tests.graphs import issues

    found = issues(llm_doc("echo", retries=-1))
    assert any(i.get("node") == "llm" and i.get("field") == "config.retries" for i in found)
