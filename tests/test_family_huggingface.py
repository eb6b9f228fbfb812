"""The Hugging Face family (text-to-image, Whisper, chat) against a fake router on 127.0.0.1."""

from __future__ import annotations

from flowai.providers.base import ImageRequest, Media, TranscriptionRequest
from flowai.providers.huggingface import HuggingFace
from tests.fakes.base import png, wav
from tests.fakes.huggingface_server import TRANSCRIPT, FakeHuggingFace
from tests.family_kit import (
    QUESTION,
    ask,
    assert_fatal,
    assert_retryable,
    chat,
    connected,
    failure,
    http,
    serving,  # noqa: F401
)

fake = serving(FakeHuggingFace)
hf = connected(HuggingFace, "huggingface")


async def test_text_to_image_returns_png_bytes(hf, fake):
    result = await hf.generate_image(
        ImageRequest(prompt="a lighthouse", negative_prompt="fog", aspect_ratio="16:9", n=2, seed=3)
    )
    assert [m.data for m in result.images] == [png(3), png(4)]
    assert (result.usage.model, result.usage.images) == ("black-forest-labs/FLUX.1-schnell", 2)
    sent = sorted(fake.requests, key=lambda r: r["parameters"]["seed"])[0]
    assert sent["repo"] == "black-forest-labs/FLUX.1-schnell" and sent["inputs"] == "a lighthouse"
    assert sent["parameters"] == {"width": 1344, "height": 768, "negative_prompt": "fog", "seed": 3}


async def test_loading_model_is_retryable_after_its_estimate(hf):
    err = await failure(lambda: hf.generate_image(ImageRequest(prompt="x", model="org/loading")))
    assert_retryable(err, 503, retry_after=12.5)
    assert "huggingface answered HTTP 503" in err.message  # its text (with a model name) is logged


async def test_image_429_500_and_400(hf):
    err = await failure(lambda: hf.generate_image(ImageRequest(prompt="x", model="org/error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert_retryable(await failure(lambda: hf.generate_image(ImageRequest(prompt="x", model="org/error-500"))), 500)
    err = await failure(lambda: hf.generate_image(ImageRequest(prompt="x", model="org/bad-request")))
    assert_fatal(err, 400)
    assert "'x' is not allowed" in err.message


async def test_whisper_gets_raw_audio_and_usage_counts_seconds(hf, fake):
    clip = wav(3.0)
    result = await hf.transcribe(TranscriptionRequest(audio=Media(clip, "audio/wav")))
    assert result.text == TRANSCRIPT.strip()
    assert (result.usage.task, result.usage.seconds, result.usage.model) == ("stt", 3.0, "openai/whisper-large-v3")
    assert fake.requests[0] == {"repo": "openai/whisper-large-v3", "audio": clip, "content_type": "audio/wav"}


async def test_whisper_with_a_language_sends_json(hf, fake):
    clip = wav(1.0)
    await hf.transcribe(TranscriptionRequest(audio=Media(clip, "audio/wav"), language="fr"))
    assert fake.requests[0]["audio"] == clip
    assert fake.requests[0]["parameters"] == {"generate_kwargs": {"language": "fr"}}


async def test_chat_goes_through_the_openai_compatible_router(fake, http):
    hf = HuggingFace("huggingface", base_url=fake.url, api_key=fake.api_key, client=http, models={"text": "echo"})
    answer = await chat(hf, ask(""))
    assert answer.text == QUESTION and answer.usage.provider == "huggingface"
    assert fake.chat.requests[0]["model"] == "echo"


async def test_wrong_key_is_refused_everywhere(fake, http):
    bad = HuggingFace("huggingface", base_url=fake.url, api_key="hf_wrong", client=http)
    err = await failure(lambda: bad.generate_image(ImageRequest(prompt="x")))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message
    assert_fatal(await failure(bad.check), 401)
    assert_fatal(await failure(lambda: chat(bad, ask("echo"))), 401)


async def test_check(hf):
    assert await hf.check() == "1 models available"
