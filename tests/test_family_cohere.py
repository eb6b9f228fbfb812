"""The Cohere v2 family against a fake Cohere chat API on 127.0.0.1."""

from __future__ import annotations

from flowai.providers.base import ChatRequest
from flowai.providers.cohere import Cohere
from tests.fakes.base import pieces
from tests.fakes.cohere_server import THINKING, FakeCohere
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

fake = serving(FakeCohere)
cohere = connected(Cohere, "cohere")


async def test_streams_content_deltas_and_counts_tokens(cohere, fake):
    request = ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}],
        model="echo",
        temperature=0.3,
        json_output=True,
    )
    answer = await chat(cohere, request)

    assert [c.content for c in answer.chunks] == pieces(QUESTION)
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (
        len("Be brief.") + len(QUESTION),
        len(pieces(QUESTION)),
    )
    sent = fake.requests[0]
    assert sent["stream"] is True and sent["temperature"] == 0.3 and "stream_options" not in sent
    assert sent["response_format"] == {"type": "json_object"}
    assert sent["messages"][0] == {"role": "system", "content": "Be brief."}


async def test_thinking_deltas_are_reasoning(cohere):
    answer = await chat(cohere, ask("thinking"))
    assert answer.reasoning == THINKING and answer.text == QUESTION


async def test_429_is_retryable_with_retry_after(cohere):
    err = await failure(lambda: chat(cohere, ask("error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert "Rate limit exceeded" in err.message


async def test_500_is_retryable_and_400_is_not(cohere):
    assert_retryable(await failure(lambda: chat(cohere, ask("error-500"))), 500)
    err = await failure(lambda: chat(cohere, ask("bad-request")))
    assert_fatal(err, 400)
    assert "'x' is not allowed" in err.message


async def test_stream_ending_without_message_end_is_an_error(cohere):
    chunks, err = await chat_until_error(cohere, ask("eof-after-2"))
    assert [c.content for c in chunks] == pieces(QUESTION)[:2]
    assert "before it finished" in err.message and not err.retryable


async def test_a_done_marker_is_passed_over(cohere):
    answer = await chat(cohere, ask("done-marker"))
    assert answer.text == QUESTION and answer.usage.completion_tokens == len(pieces(QUESTION))


async def test_toxic_finish_is_a_content_error(cohere):
    _, err = await chat_until_error(cohere, ask("toxic"))
    assert not err.retryable and "ERROR_TOXIC" in err.message


async def test_wrong_key_is_refused(fake, http):
    bad = Cohere("cohere", base_url=fake.url, api_key="wrong", client=http)
    err = await failure(lambda: chat(bad, ask("echo")))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.requests == []


async def test_check_lists_models(cohere):
    assert await cohere.check() == "1 models available"
