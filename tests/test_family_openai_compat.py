"""The OpenAI-compatible family beyond plain chat (tests/test_llm_node.py covers that): OpenRouter's
stream quirks, images, speech, transcription and the connection check, against a fake on 127.0.0.1."""

from __future__ import annotations

import pytest

from flowai.providers.base import ImageRequest, Media, SpeechRequest, TranscriptionRequest
from flowai.providers.openai_compat import OpenAICompatible
from tests.fakes.base import mp3, png, serve, wav
from tests.fakes.openai_media_server import TRANSCRIPT, FakeOpenAIMedia
from tests.family_kit import ask, assert_fatal, assert_retryable, chat, chat_until_error, failure, http  # noqa: F401


@pytest.fixture
def fake():
    with serve(FakeOpenAIMedia()) as running:
        yield running


@pytest.fixture
def openai(fake, http):
    return OpenAICompatible("openai", base_url=fake.url + "/v1", api_key=fake.api_key, client=http)


# -- chat quirks ---------------------------------------------------------------------------------


async def test_openrouter_processing_comments_are_ignored(openai):
    answer = await chat(openai, ask("openrouter-processing"))
    assert answer.text == "Hi there"
    assert (answer.usage.prompt_tokens, answer.usage.completion_tokens) == (5, 2)


async def test_openrouter_error_inside_a_200_stream(openai):
    chunks, err = await chat_until_error(openai, ask("openrouter-error"))
    assert [c.content for c in chunks] == ["Hi"]
    assert not err.retryable and "Upstream provider went away" in err.message


async def test_stream_options_can_be_left_out(fake, http):
    plain = OpenAICompatible(
        "cohere-compat", base_url=fake.url + "/v1", api_key=fake.api_key, client=http, options={"include_usage": False}
    )
    assert (await chat(plain, ask("echo", "hi"))).text == "hi"
    assert "stream_options" not in fake.chat.requests[0]


async def test_check_lists_models_and_refuses_a_wrong_key(openai, fake, http):
    assert await openai.check() == "2 models available"
    bad = OpenAICompatible("openai", base_url=fake.url + "/v1", api_key="wrong", client=http)
    err = await failure(bad.check)
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and "wrong" not in err.message  # the upstream text is logged


# -- images --------------------------------------------------------------------------------------


async def test_images_come_back_as_b64_json(openai, fake):
    result = await openai.generate_image(
        ImageRequest(prompt="a fox", model="dall-e-3", aspect_ratio="16:9", n=2, seed=4, params={"quality": "hd"})
    )
    assert [m.data for m in result.images] == [png(4), png(5)]
    assert result.images[0].content_type == "image/png"
    assert (result.usage.task, result.usage.images, result.usage.model) == ("image", 2, "dall-e-3")
    sent = fake.requests[0]
    assert sent["path"] == "/v1/images/generations" and sent["response_format"] == "b64_json"
    assert (sent["size"], sent["n"], sent["seed"], sent["quality"]) == ("1792x1024", 2, 4, "hd")


async def test_gpt_image_models_get_no_response_format(openai, fake):
    await openai.generate_image(ImageRequest(prompt="a fox", model="gpt-image-1"))
    assert "response_format" not in fake.requests[0]


async def test_image_urls_are_downloaded(openai):
    result = await openai.generate_image(ImageRequest(prompt="a fox", model="url-image", n=2, seed=7))
    assert [m.data for m in result.images] == [png(7), png(8)]


async def test_reference_image_goes_to_edits_as_multipart(openai, fake):
    await openai.generate_image(
        ImageRequest(prompt="make it blue", model="gpt-image-1", reference_image=Media(png(1), "image/png"))
    )
    sent = fake.requests[0]
    assert sent["path"] == "/v1/images/edits" and sent["image"] == png(1) and sent["prompt"] == "make it blue"


async def test_image_errors(openai):
    err = await failure(lambda: openai.generate_image(ImageRequest(prompt="x", model="content-filter")))
    assert_fatal(err, 400)
    assert "safety system" in err.message
    assert_retryable(
        await failure(lambda: openai.generate_image(ImageRequest(prompt="x", model="error-429"))), 429, retry_after=7.0
    )
    assert_retryable(await failure(lambda: openai.generate_image(ImageRequest(prompt="x", model="error-500"))), 500)


# -- speech --------------------------------------------------------------------------------------


async def test_speech_returns_audio_and_counts_characters(openai, fake):
    result = await openai.synthesize(SpeechRequest(text="Hello there", voice="nova", speed=1.2))
    assert result.audio == Media(mp3(), "audio/mpeg")
    assert (result.usage.task, result.usage.characters, result.usage.model) == ("tts", 11, "tts-1")
    assert fake.requests[0] == {
        "model": "tts-1",
        "input": "Hello there",
        "voice": "nova",
        "response_format": "mp3",
        "speed": 1.2,
    }


async def test_speech_errors(openai):
    assert_retryable(
        await failure(lambda: openai.synthesize(SpeechRequest(text="x", model="error-429"))), 429, retry_after=7.0
    )
    assert_fatal(await failure(lambda: openai.synthesize(SpeechRequest(text="x", model="bad-request"))), 400)


async def test_transcription_sends_multipart_and_reads_duration(openai, fake):
    clip = wav(2.5)
    result = await openai.transcribe(TranscriptionRequest(audio=Media(clip, "audio/wav"), language="en"))
    assert result.text == TRANSCRIPT and result.language == "english"
    assert (result.usage.task, result.usage.seconds, result.usage.model) == ("stt", 2.5, "whisper-1")
    sent = fake.requests[0]
    assert (sent["file"], sent["filename"], sent["language"], sent["response_format"]) == (
        clip,
        "audio.wav",
        "en",
        "verbose_json",
    )


async def test_transcription_without_duration_measures_the_audio(openai):
    result = await openai.transcribe(
        TranscriptionRequest(audio=Media(wav(1.25), "audio/wav"), model="gpt-4o-transcribe")
    )
    assert result.text == TRANSCRIPT and result.usage.seconds == 1.25


async def test_transcription_errors(openai):
    audio = Media(wav(), "audio/wav")
    assert_retryable(await failure(lambda: openai.transcribe(TranscriptionRequest(audio, model="error-500"))), 500)
    assert_fatal(await failure(lambda: openai.transcribe(TranscriptionRequest(audio, model="bad-request"))), 400)
