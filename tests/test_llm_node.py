"""The LLM node and the OpenAI-compatible client against a fake OpenAI server on 127.0.0.1."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from httpx_sse import connect_sse

from flowai.errors import NodeError, NodeTimeoutError, ProviderError
from flowai.providers.base import ChatRequest
from flowai.providers.config import FileConfig, ProviderConfig
from flowai.providers.directory import StaticProviders
from flowai.providers.openai_compat import OpenAICompatible
from flowai.providers.router import Router
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import NodeFailed, NodeFinished, RunFailed, RunSucceeded, StreamDelta
from flowai.workflows.graph import compile_graph
from nodes import default_registry
from tests.fakes.openai_server import MIDSTREAM_ERROR, REASONING, pieces

QUESTION = "Hello FlowAI, 你好世界, please echo me back."


def llm_doc(model: str, **llm_config) -> dict:
    """input -> llm -> output; the question reaches the prompt through an edge."""
    return {
        "format": "flowai/1",
        "name": "llm test",
        "nodes": [
            {
                "id": "in",
                "type": "input",
                "label": "开始",
                "config": {"fields": [{"name": "q", "type": "string", "required": True}]},
            },
            {
                "id": "llm",
                "type": "llm",
                "label": "LLM1",
                "config": {"provider": "auto", "model": model, "temperature": 0.2, **llm_config},
            },
            {"id": "out", "type": "output", "label": "结束", "config": {"value": "{{llm.text}}"}},
        ],
        "edges": [
            {"source": "in", "source_port": "q", "target": "llm", "target_port": "prompt"},
            {"source": "llm", "source_port": "text", "target": "out", "target_port": "value"},
        ],
    }


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
def gateway(fake_openai, http) -> Router:
    return Router.from_env({"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.url}, http)


@pytest.fixture
def provider(fake_openai, http) -> OpenAICompatible:
    return OpenAICompatible("openai", base_url=fake_openai.url, api_key="sk-test", client=http)


async def run(gateway: Router, doc: dict, question: str = QUESTION):
    """Run a document through the engine; return (output or the raised error, events, state)."""
    events: list = []
    state = RunState()
    try:
        result = await Engine(gateway).run(
            compile_graph(doc, default_registry()), {"q": question}, events.append, run_id="test", state=state
        )
    except NodeError as exc:  # ProviderError and NodeTimeoutError are NodeErrors
        result = exc
    return result, events, state


def chat(model: str) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": QUESTION}], model=model)


# -- success paths -------------------------------------------------------------------------------


async def test_streamed_deltas_arrive_in_order_and_make_the_output(gateway, fake_openai):
    output, events, state = await run(gateway, llm_doc("echo", system="Be brief."))

    deltas = [e for e in events if isinstance(e, StreamDelta)]
    assert [d.content for d in deltas] == pieces(QUESTION)  # several deltas, in the order sent
    assert len(deltas) > 3
    assert {d.node for d in deltas} == {"llm"} and all(d.reasoning is None for d in deltas)
    assert output == QUESTION == "".join(d.content for d in deltas)
    assert isinstance(events[-1], RunSucceeded) and events[-1].output == QUESTION

    sent = fake_openai.requests[0]
    assert sent["model"] == "echo" and sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert sent["temperature"] == 0.2
    assert sent["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}]
    assert fake_openai.streams_completed == 1 and fake_openai.client_disconnects == []


async def test_usage_reaches_node_output_and_run_state(gateway):
    output, events, state = await run(gateway, llm_doc("echo", system="Be brief."))

    prompt_tokens = len("Be brief.") + len(QUESTION)  # the fake counts characters
    usage = state.usage["llm"]
    assert usage["provider"] == "openai" and usage["model"] == "echo"
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (prompt_tokens, len(pieces(QUESTION)))
    assert usage["total_tokens"] == prompt_tokens + len(pieces(QUESTION))
    assert usage["fallbacks"] == []
    finished = next(e for e in events if isinstance(e, NodeFinished) and e.node == "llm")
    assert finished.outputs["usage"] == usage == finished.usage
    assert finished.outputs["text"] == output


async def test_client_stops_at_done_and_reads_usage(provider):
    async with provider.stream_chat(chat("echo")) as stream:
        chunks = [c async for c in stream]
    assert "".join(c.content for c in chunks) == QUESTION
    assert stream.usage.prompt_tokens == len(QUESTION)
    assert stream.usage.completion_tokens == len(pieces(QUESTION))


async def test_reasoning_deltas_become_stream_reasoning(gateway):
    output, events, state = await run(gateway, llm_doc("reasoning"))

    deltas = [e for e in events if isinstance(e, StreamDelta)]
    reasoning = [d for d in deltas if d.reasoning]
    assert [d.reasoning for d in reasoning] == pieces(REASONING)
    assert all(not d.content for d in reasoning)
    assert deltas.index(reasoning[-1]) < min(i for i, d in enumerate(deltas) if d.content)  # reasoning comes first
    assert output == QUESTION
    assert state.outputs["llm"]["reasoning"] == REASONING


# -- failures ------------------------------------------------------------------------------------


def assert_failed_at_llm(events: list, code: int) -> RunFailed:
    failed = events[-1]
    assert isinstance(failed, RunFailed)
    assert (failed.node, failed.code) == ("llm", code)
    assert any(isinstance(e, NodeFailed) and e.node == "llm" and e.code == code for e in events)
    assert not any(isinstance(e, RunSucceeded) for e in events)
    return failed


async def test_http_500_is_a_provider_error_at_the_llm_node(gateway):
    err, events, _ = await run(gateway, llm_doc("error-500"))

    assert isinstance(err, ProviderError) and err.code == 50002 and err.status == 502
    assert err.node_id == "llm"
    assert "openai answered HTTP 500: The server had an error" in err.message  # the one provider's reason
    assert [(a["provider"], a["status"]) for a in err.detail["attempts"]] == [("openai", 500)]
    assert assert_failed_at_llm(events, 50002).message == err.message


async def test_http_500_from_the_client_is_retryable(provider):
    with pytest.raises(ProviderError) as caught:
        async with provider.stream_chat(chat("error-500")):
            pass
    assert (caught.value.http_status, caught.value.retryable) == (500, True)
    assert "The server had an error" in caught.value.message


async def test_429_with_retry_after_is_retryable(provider):
    with pytest.raises(ProviderError) as caught:
        async with provider.stream_chat(chat("error-429")):
            pass
    err = caught.value
    assert (err.http_status, err.retryable, err.retry_after) == (429, True, 7.0)
    assert "Rate limit reached" in err.message


async def test_insufficient_quota_is_not_retryable(provider, gateway):
    with pytest.raises(ProviderError) as caught:
        async with provider.stream_chat(chat("insufficient-quota")):
            pass
    assert (caught.value.http_status, caught.value.retryable) == (429, False)

    err, events, _ = await run(gateway, llm_doc("insufficient-quota"))
    assert isinstance(err, ProviderError) and "exceeded your current quota" in err.message
    assert_failed_at_llm(events, 50002)


async def test_wrong_api_key_is_not_retryable(fake_openai, http):
    bad = OpenAICompatible("openai", base_url=fake_openai.url, api_key="sk-wrong", client=http)
    with pytest.raises(ProviderError) as caught:
        async with bad.stream_chat(chat("echo")):
            pass
    assert (caught.value.http_status, caught.value.retryable) == (401, False)
    assert fake_openai.requests == []  # refused before the body was read


async def test_slow_answer_beyond_node_timeout_is_a_timeout(gateway, fake_openai):
    t0 = time.perf_counter()
    err, events, _ = await run(gateway, llm_doc("slow-3", timeout=0.3))
    elapsed = time.perf_counter() - t0

    assert isinstance(err, NodeTimeoutError) and err.code == 50001
    assert err.node_id == "llm" and "timed out after 0.3 s" in err.message
    assert 0.3 <= elapsed < 1.5
    assert_failed_at_llm(events, 50001)
    assert await fake_openai.await_disconnects(1)  # the timeout closed the upstream request
    assert fake_openai.client_disconnects == ["slow-3"]


async def test_midstream_disconnect_is_an_error_not_a_truncated_success(gateway):
    err, events, state = await run(gateway, llm_doc("disconnect-after-3"))

    assert isinstance(err, ProviderError) and err.code == 50002
    assert [e.content for e in events if isinstance(e, StreamDelta)] == pieces(QUESTION)[:3]
    assert "llm" not in state.outputs
    assert_failed_at_llm(events, 50002)


async def test_stream_ending_without_done_is_an_error(gateway):
    err, events, state = await run(gateway, llm_doc("eof-after-2"))

    assert isinstance(err, ProviderError) and "before it finished" in err.message
    assert "llm" not in state.outputs
    assert_failed_at_llm(events, 50002)


async def test_midstream_error_event_is_a_provider_error(gateway):
    err, events, _ = await run(gateway, llm_doc("midstream-error"))

    assert isinstance(err, ProviderError) and MIDSTREAM_ERROR in err.message
    assert len([e for e in events if isinstance(e, StreamDelta)]) == 2
    assert_failed_at_llm(events, 50002)


async def test_no_provider_configured_is_a_clear_50002(http):
    err, events, _ = await run(Router.from_env({}, http), llm_doc("echo"))

    assert isinstance(err, ProviderError) and err.code == 50002
    assert "No text provider is configured" in err.message and "OPENAI_API_KEY" in err.message
    assert_failed_at_llm(events, 50002)


async def test_unconfigured_named_provider_is_a_clear_50002(gateway):
    err, events, _ = await run(gateway, llm_doc("echo", provider="groq"))

    assert isinstance(err, ProviderError) and "'groq' is not configured" in err.message
    assert_failed_at_llm(events, 50002)


# -- over real HTTP: the published run API streaming an LLM node ---------------------------------


def test_run_api_stream_concatenates_to_the_output(api_with_openai, fake_openai):
    api = api_with_openai
    workflow_id = api.publish(llm_doc(""))  # empty model: the provider's default (echoed by the fake)
    with httpx.Client(timeout=10) as client:
        with connect_sse(
            client,
            "POST",
            f"{api.url}/v1/api/workflow/run/{workflow_id}",
            headers={"X-API-KEY": api.key()},
            content=orjson.dumps({"input": {"q": QUESTION}, "stream": True}),
        ) as source:
            assert source.response.status_code == 200
            assert source.response.headers["x-run-id"]
            events = [(sse.event, orjson.loads(sse.data)) for sse in source.iter_sse()]

    # A linear graph, so the order is exact: start, in, llm (its deltas inside), out, output.
    order = [(data["Type"] if name == "msg" else name, data.get("Node")) for name, data in events]
    assert order == (
        [("start", "in"), ("start_node", "in"), ("finish_node", "in"), ("start_node", "llm")]
        + [("stream", "llm")] * len(pieces(QUESTION))
        + [("finish_node", "llm"), ("start_node", "out"), ("finish_node", "out"), ("output", None)]
    )

    streamed = [d for n, d in events if n == "stream"]
    assert all(d["Node"] == "llm" and d["Reasoning"] is None for d in streamed)
    assert "".join(d["Content"] for d in streamed) == events[-1][1]["output"] == QUESTION
    assert fake_openai.requests[0]["model"] == "gpt-4o-mini"


async def test_drop_before_the_first_delta_falls_back_to_the_next_provider(fake_openai, http):
    # Two providers on the same fake; an empty node model means each provider's default model.
    first = OpenAICompatible(
        "openai", base_url=fake_openai.url, api_key="sk-test", client=http, models={"text": "disconnect-after-0"}
    )
    backup = OpenAICompatible("groq", base_url=fake_openai.url, api_key="sk-test", client=http, models={"text": "echo"})
    router = Router(
        StaticProviders({"openai": first, "groq": backup}),
        ProviderConfig(FileConfig(priorities={"text": ["openai", "groq"]})),
    )
    output, events, state = await run(router, llm_doc(""))

    assert output == QUESTION
    # the dropped connection is retried once at the same provider, then the next one serves
    assert [r["model"] for r in fake_openai.requests] == ["disconnect-after-0", "disconnect-after-0", "echo"]
    assert state.usage["llm"]["provider"] == "groq"
    assert state.usage["llm"]["fallbacks"] == [
        {
            "provider": "openai",
            "status": None,
            "error": "unavailable",
            "reason": "openai connection failed: RemoteProtocolError.",
        }
    ]
