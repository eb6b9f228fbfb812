"""The Anthropic family against a fake Messages API on 127.0.0.1."""

from __future__ import annotations

import pytest

from flowai.providers.anthropic import Anthropic
from flowai.providers.base import ChatRequest
from tests.fakes.anthropic_server import THINKING, FakeAnthropic
from tests.fakes.base import pieces
from tests.family_kit import (
    QUESTION,
    ask,
    assert_fatal,
    assert_retryable,
    chat,
    chat_until_error,
    connected,
    failure,  # noqa: F401
    http,
    serving,
)

fake = serving(FakeAnthropic)
claude = connected(Anthropic, "anthropic")


async def test_streams_text_deltas_and_counts_tokens(claude, fake):
    request = ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}],
        model="echo",
        temperature=1.5,
    )
    answer = await chat(claude, request)

    assert [c.content for c in answer.chunks] == pieces(QUESTION)  # pings between deltas are skipped
    assert answer.reasoning == ""
    assert (answer.usage.provider, answer.usage.model) == ("anthropic", "echo")
    assert answer.usage.prompt_tokens == len("Be brief.") + len(QUESTION)
    assert answer.usage.completion_tokens == len(pieces(QUESTION))
    sent = fake.requests[0]
    assert sent["system"] == "Be brief." and sent["messages"] == [{"role": "user", "content": QUESTION}]
    assert sent["stream"] is True and sent["max_tokens"] == 4096 and sent["temperature"] == 1.0


async def test_image_parts_become_base64_image_blocks(claude, fake):
    parts = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
    ]
    answer = await chat(claude, ChatRequest(messages=[{"role": "user", "content": parts}], model="echo"))

    assert answer.text == "What is this?"
    assert fake.requests[0]["messages"][0]["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


async def test_thinking_deltas_are_reasoning_before_the_text(fake, http):
    claude = Anthropic(
        "anthropic", base_url=fake.url, api_key=fake.api_key, client=http, options={"thinking_budget": 2048}
    )
    answer = await chat(claude, ask("thinking"))

    assert answer.reasoning == THINKING and answer.text == QUESTION
    first_text = next(i for i, c in enumerate(answer.chunks) if c.content)
    assert all(c.reasoning for c in answer.chunks[:first_text])
    assert fake.requests[0]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert fake.requests[0]["max_tokens"] > 2048 and "temperature" not in fake.requests[0]


async def test_429_is_retryable_with_retry_after(claude):
    err = await failure(lambda: chat(claude, ask("error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert err.provider == "anthropic" and "Rate limit exceeded" in err.message


async def test_529_overloaded_and_500_are_retryable(claude):
    assert_retryable(await failure(lambda: chat(claude, ask("overloaded"))), 529)
    assert_retryable(await failure(lambda: chat(claude, ask("error-500"))), 500)


async def test_spend_limit_429_is_not_retryable(claude):
    err = await failure(lambda: chat(claude, ask("spend-limit")))
    assert_fatal(err, 429)
    assert "usage limits" in err.message and err.detail == {"code": "enforced_spend_limit_reached"}


async def test_request_error_is_not_retryable(claude):
    err = await failure(lambda: chat(claude, ask("bad-request")))
    assert_fatal(err, 400)
    assert "is not allowed" in err.message


async def test_error_event_after_deltas_ends_the_stream_not_retryable(claude):
    chunks, err = await chat_until_error(claude, ask("midstream-error"))
    assert [c.content for c in chunks] == pieces(QUESTION)[:2]
    assert not err.retryable and "failed mid-stream: Overloaded" in err.message


async def test_error_event_before_any_delta_may_fall_back(claude):
    chunks, err = await chat_until_error(claude, ask("early-error"))
    assert chunks == [] and err.retryable and err.http_status == 529


async def test_stream_cut_before_message_stop_is_an_error(claude):
    chunks, err = await chat_until_error(claude, ask("eof-after-2"))
    assert len(chunks) == 2 and "before it finished" in err.message


@pytest.mark.parametrize("script", ["malformed", "not-an-object"])
async def test_an_event_that_is_not_a_json_object_is_not_retryable(claude, script):
    chunks, err = await chat_until_error(claude, ask(script))
    assert chunks == [] and not err.retryable
    assert err.message == "anthropic sent a malformed stream event." and err.provider == "anthropic"


async def test_wrong_key_is_refused_with_anthropics_message(fake, http):
    bad = Anthropic("anthropic", base_url=fake.url, api_key="wrong", client=http)
    err = await failure(lambda: chat(bad, ask("echo")))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.requests == []  # its own words go to the log
    assert_fatal(await failure(bad.check), 401)


async def test_check_lists_models(claude):
    assert await claude.check() == "1 models available"
