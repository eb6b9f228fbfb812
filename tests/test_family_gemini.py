"""The native Gemini family against a fake streamGenerateContent API on 127.0.0.1."""

from __future__ import annotations

import base64

from flowai.providers.base import ChatRequest
from flowai.providers.gemini import Gemini
from tests.fakes.base import pieces, png
from tests.fakes.gemini_server import THOUGHT, FakeGemini
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

fake = serving(FakeGemini)
gemini = connected(Gemini, "gemini", path="/v1beta")


async def test_streams_whole_frames_until_the_body_ends(gemini, fake):
    request = ChatRequest(
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": QUESTION}],
        model="echo",
        temperature=0.4,
        max_tokens=100,
        json_output=True,
    )
    answer = await chat(gemini, request)

    assert [c.content for c in answer.chunks] == pieces(QUESTION)
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (
        len("Be brief.") + len(QUESTION),
        len(pieces(QUESTION)),
    )
    sent = fake.requests[0]
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent["contents"] == [{"role": "user", "parts": [{"text": QUESTION}]}]
    assert sent["generationConfig"] == {
        "temperature": 0.4,
        "maxOutputTokens": 100,
        "responseMimeType": "application/json",
    }


async def test_data_uri_images_go_inline(gemini, fake):
    image = png(3)
    uri = "data:image/png;base64," + base64.b64encode(image).decode()
    parts = [{"type": "text", "text": "Describe "}, {"type": "image_url", "image_url": {"url": uri}}]
    answer = await chat(gemini, ChatRequest(messages=[{"role": "user", "content": parts}], model="echo"))

    assert answer.text == f"Describe [image/png {len(image)} bytes]"
    inline = fake.requests[0]["contents"][0]["parts"][1]["inline_data"]
    assert inline["mime_type"] == "image/png" and base64.b64decode(inline["data"]) == image


async def test_thought_parts_are_reasoning_and_counted(gemini):
    answer = await chat(gemini, ask("thinking"))
    assert answer.reasoning == THOUGHT and answer.text == QUESTION
    assert answer.usage.completion_tokens == len(pieces(QUESTION)) + 3


async def test_429_takes_its_delay_from_retry_info(gemini):
    err = await failure(lambda: chat(gemini, ask("error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert "RESOURCE_EXHAUSTED" in str(err.detail) and "Rate limit exceeded" in err.message


async def test_500_is_retryable_and_400_is_not(gemini):
    assert_retryable(await failure(lambda: chat(gemini, ask("error-500"))), 500)
    assert_fatal(await failure(lambda: chat(gemini, ask("bad-request"))), 400)


async def test_safety_stop_is_a_content_error(gemini):
    _, err = await chat_until_error(gemini, ask("safety"))
    assert not err.retryable and "SAFETY" in err.message


async def test_error_frame_mid_stream_ends_it(gemini):
    chunks, err = await chat_until_error(gemini, ask("midstream-error"))
    assert [c.content for c in chunks] == pieces(QUESTION)[:2]
    assert not err.retryable and "internal error" in err.message


async def test_end_of_body_without_finish_reason_is_an_error(gemini):
    chunks, err = await chat_until_error(gemini, ask("eof-after-2"))
    assert len(chunks) == 2 and "before it finished" in err.message


async def test_wrong_or_missing_key_is_refused(fake, http):
    bad = Gemini("gemini", base_url=fake.url + "/v1beta", api_key="wrong", client=http)
    err = await failure(lambda: chat(bad, ask("echo")))
    assert_fatal(err, 400)
    assert "API key not valid" in err.message and fake.requests == []
    keyless = Gemini("gemini", base_url=fake.url + "/v1beta", client=http)
    assert_fatal(await failure(keyless.check), 403)


async def test_check_lists_models(gemini):
    assert await gemini.check() == "1 models available"
