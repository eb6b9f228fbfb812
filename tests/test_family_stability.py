"""The Stability AI family against a fake Stable Image v2beta API on 127.0.0.1."""

from __future__ import annotations

from flowai.providers.base import ImageRequest, Media
from flowai.providers.stability import Stability
from tests.fakes.base import png
from tests.fakes.stability_server import FakeStability
from tests.family_kit import assert_fatal, assert_retryable, connected, failure, http, serving  # noqa: F401

fake = serving(FakeStability)
stability = connected(Stability, "stability")


async def test_generates_one_call_per_image_as_multipart(stability, fake):
    result = await stability.generate_image(
        ImageRequest(prompt="a red fox", negative_prompt="blur", aspect_ratio="16:9", n=2, seed=10)
    )

    assert [m.data for m in result.images] == [png(10), png(11)]  # seeds 10 and 11, in order
    assert {m.content_type for m in result.images} == {"image/png"}
    assert (result.usage.provider, result.usage.model, result.usage.task, result.usage.images) == (
        "stability",
        "core",
        "image",
        2,
    )
    sent = sorted(fake.requests, key=lambda r: r["seed"])
    assert [r["seed"] for r in sent] == ["10", "11"]
    assert sent[0]["endpoint"] == "core" and sent[0]["accept"] == "image/*"
    assert (sent[0]["prompt"], sent[0]["negative_prompt"], sent[0]["aspect_ratio"]) == ("a red fox", "blur", "16:9")
    assert sent[0]["output_format"] == "png" and "model" not in sent[0]


async def test_sd35_models_go_to_the_sd3_endpoint_with_a_reference_image(stability, fake):
    ref = Media(png(99), "image/png")
    await stability.generate_image(ImageRequest(prompt="same, at night", model="sd3.5-large", reference_image=ref))

    sent = fake.requests[0]
    assert (sent["endpoint"], sent["model"], sent["mode"]) == ("sd3", "sd3.5-large", "image-to-image")
    assert sent["image"] == png(99) and sent["strength"] == "0.6" and "aspect_ratio" not in sent


async def test_content_filtered_is_not_retryable(stability):
    err = await failure(lambda: stability.generate_image(ImageRequest(prompt="x", model="filtered")))
    assert_fatal(err, 200)
    assert "CONTENT_FILTERED" in err.message


async def test_moderation_403_is_not_retryable(stability):
    err = await failure(lambda: stability.generate_image(ImageRequest(prompt="x", model="moderation")))
    assert_fatal(err, 403)
    assert "content moderation" in err.message and err.detail == {"code": "content_moderation"}


async def test_429_is_retryable_with_retry_after_and_500_too(stability):
    err = await failure(lambda: stability.generate_image(ImageRequest(prompt="x", model="error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert "Rate limit exceeded" in err.message
    assert_retryable(await failure(lambda: stability.generate_image(ImageRequest(prompt="x", model="error-500"))), 500)


async def test_request_error_is_not_retryable(stability):
    err = await failure(lambda: stability.generate_image(ImageRequest(prompt="")))
    assert_fatal(err, 400)
    assert "prompt: cannot be empty" in err.message


async def test_wrong_key_is_refused(fake, http):
    bad = Stability("stability", base_url=fake.url, api_key="wrong", client=http)
    err = await failure(lambda: bad.generate_image(ImageRequest(prompt="x")))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.requests == []


async def test_check_reports_credits(stability):
    assert await stability.check() == "42.5 credits left"
