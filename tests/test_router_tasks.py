"""The router beyond text: image, speech and transcription calls fall back and are metered; an LLM
node with an image goes to the multimodal task with the image as a data: URI; the catalog's
families all resolve."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import replace

import orjson
import pytest

from flowai.errors import ProviderError
from flowai.platform import Platform
from flowai.providers.base import TASKS, ImageRequest, Media, Scope, SpeechRequest, TranscriptionRequest
from flowai.providers.catalog import CATALOG, DEFAULT_PRIORITIES
from flowai.providers.families import FAMILIES
from tests.fakes.base import png, serve, wav
from tests.fakes.elevenlabs_server import FakeElevenLabs
from tests.fakes.openai_media_server import TRANSCRIPT, FakeOpenAIMedia
from tests.fakes.stability_server import FakeStability
from tests.router_kit import QUESTION, llm_doc, run, serving


@pytest.fixture
def media_fakes():
    with (
        serve(FakeStability(script="error-500")) as stability,
        serve(FakeOpenAIMedia()) as openai_like,
        serve(FakeElevenLabs()) as eleven,
    ):
        yield stability, openai_like, eleven


@pytest.fixture
def platform(settings, media_fakes):
    stability, openai_like, eleven = media_fakes
    (settings.home / "providers.toml").write_text("[retry]\nretries = 0\n", encoding="utf-8")
    env = {
        "STABILITY_API_KEY": stability.api_key,
        "STABILITY_BASE_URL": stability.url,
        "DEEPINFRA_API_KEY": openai_like.api_key,
        "DEEPINFRA_BASE_URL": openai_like.url + "/v1",
        "OPENAI_API_KEY": openai_like.api_key,
        "OPENAI_BASE_URL": openai_like.url + "/v1",
        "ELEVENLABS_API_KEY": eleven.api_key,
        "ELEVENLABS_BASE_URL": eleven.url,
    }
    platform = Platform(replace(settings, env=env))
    yield platform


async def test_image_falls_back_and_counts_images_and_cost(platform, media_fakes):
    stability, openai_like, _ = media_fakes
    result = await platform.router.image(ImageRequest(prompt="a red square", n=2), scope=Scope(workflow_id="wf"))
    assert len(result.images) == 2 and all(m.content_type == "image/png" for m in result.images)
    usage = result.usage
    assert (usage.provider, usage.task, usage.images) == ("deepinfra", "image", 2)
    assert [(f["provider"], f["status"]) for f in usage.fallbacks] == [("stability", 500)]
    assert usage.cost == pytest.approx(2 * CATALOG["deepinfra"].price.image)
    assert len(stability.requests) == 2  # one request per image, no retry (retries = 0)
    day = {r["provider"]: r for r in platform.provider_admin.usage_by_day()}
    assert day["deepinfra"]["images"] == 2 and day["stability"]["failures"] == 1
    assert platform.provider_admin.spent_today("wf") == pytest.approx(usage.cost)
    await platform.http.aclose()


async def test_image_quota_in_images_counts_the_request(platform):
    platform.provider_admin.set_quota("deepinfra", period="day", limit=3, unit="images")
    platform.provider_admin.set_priorities("image", ["deepinfra"])
    assert (await platform.router.image(ImageRequest(prompt="x", n=2))).usage.provider == "deepinfra"
    with pytest.raises(ProviderError) as caught:  # 2 more would make 4 > 3; stability then fails
        await platform.router.image(ImageRequest(prompt="x", n=2))
    reasons = [a["reason"] for a in caught.value.detail["attempts"]]
    assert reasons[0] == "deepinfra quota exhausted (3 images per day)." and "stability" in reasons[1]
    await platform.http.aclose()


async def test_speech_counts_characters_and_cost(platform, media_fakes):
    result = await platform.router.speech(SpeechRequest(text="Hello there, 你好"))
    assert result.audio.data and result.usage.provider == "elevenlabs"
    assert result.usage.characters == len("Hello there, 你好")
    assert result.usage.cost == pytest.approx(len("Hello there, 你好") * CATALOG["elevenlabs"].price.characters / 1000)
    await platform.http.aclose()


async def test_transcription_pinned_to_a_provider_outside_the_stt_list(platform):
    result = await platform.router.transcribe(
        TranscriptionRequest(audio=Media(wav(2.0), "audio/wav")), provider="openai"
    )
    assert result.text == TRANSCRIPT and result.usage.provider == "openai" and result.usage.task == "stt"
    with pytest.raises(ProviderError, match="No stt provider is configured; set one of: ASSEMBLYAI_API_KEY"):
        await platform.router.transcribe(TranscriptionRequest(audio=Media(wav(1.0), "audio/wav")))
    with pytest.raises(ProviderError, match="'elevenlabs' cannot serve the stt task"):
        await platform.router.transcribe(
            TranscriptionRequest(audio=Media(wav(1.0), "audio/wav")), provider="elevenlabs"
        )
    await platform.http.aclose()


def test_llm_node_with_an_image_sends_a_data_uri_on_the_multimodal_task(settings, fake_openai):
    env = {"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": fake_openai.url}
    with serving(replace(settings, env=env)) as api:
        picture = png(3)
        url = asyncio.run(api.platform.media.save(Media(picture, "image/png"), owner_id=api.owner_id))
        auto = api.publish(llm_doc(image=url, model="echo"))
        r = run(api, auto)
        assert r.status_code == 502 and "No multimodal provider is configured" in r.json()["message"]

        pinned = api.publish(llm_doc(image=url, model="echo", provider="openai"))
        r = run(api, pinned, detail=True)
        assert r.status_code == 200, r.text
        assert r.json()["usage"]["llm"]["task"] == "multimodal"
    parts = fake_openai.requests[-1]["messages"][-1]["content"]
    assert parts[0] == {"type": "text", "text": QUESTION}
    assert parts[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(picture).decode()
    assert orjson.loads(r.json()["output"]) == parts  # the fake echoes the content parts


def test_catalog_rows_match_the_design_priorities():
    assert len(CATALOG) == 19
    assert set(DEFAULT_PRIORITIES) == set(TASKS)
    for task, names in DEFAULT_PRIORITIES.items():
        assert names == tuple(n for n in names if task in CATALOG[n].tasks)
        assert all(n in CATALOG for n in names)
    for spec in CATALOG.values():
        assert set(spec.tasks) == {t for t, names in DEFAULT_PRIORITIES.items() if spec.name in names}
        # Replicate's multimodal model is the admin's choice (providers.toml), there is no default (issue 15)
        assert all(t in spec.models for t in spec.tasks if (spec.name, t) != ("replicate", "multimodal")), spec.name
        assert spec.key_env and spec.base_url.startswith("https://")
    assert CATALOG["replicate"].key_env == ("REPLICATE_API_KEY", "REPLICATE_API_TOKEN")
    assert CATALOG["playht"].option_env == {"user_id": "PLAYHT_USER_ID"}


def test_every_catalog_family_resolves():
    """Every provider's protocol family is installed (fails while a family module is missing)."""
    missing = {spec.name: spec.family for spec in CATALOG.values() if spec.family not in FAMILIES}
    assert missing == {}


def test_env_overrides_and_replicate_token(settings):
    env = {
        "REPLICATE_API_TOKEN": "r8_token_0123456789",
        "GROQ_API_KEY": "gsk_0123456789abcdef",
        "GROQ_MODEL": "llama-3.1-8b-instant",
        "GROQ_BASE_URL": "http://127.0.0.1:9/v1",
    }
    platform = Platform(replace(settings, env=env))
    rows = {p["name"]: p for p in platform.provider_admin.providers()}
    assert rows["replicate"]["configured"] and rows["replicate"]["source"] == "env"
    assert rows["groq"]["base_url"] == "http://127.0.0.1:9/v1"
    client = platform.router.providers.get("groq")
    assert client.models["text"] == "llama-3.1-8b-instant"
    assert platform.router.providers.get("mistral") is None
