"""The AssemblyAI family (upload → transcript → poll) against a fake v2 API on 127.0.0.1."""

from __future__ import annotations

import time

from flowai.providers.assemblyai import AssemblyAI
from flowai.providers.base import Media, TranscriptionRequest
from tests.fakes.assemblyai_server import TRANSCRIPT, FakeAssemblyAI
from tests.fakes.base import wav
from tests.family_kit import assert_fatal, assert_retryable, connected, failure, http, serving  # noqa: F401

FAST = {"poll_interval": 0.01, "poll_timeout": 5}


fake = serving(FakeAssemblyAI)
aai = connected(AssemblyAI, "assemblyai", options=FAST)


def clip(seconds: float = 4.0, model: str = "", language: str = "") -> TranscriptionRequest:
    return TranscriptionRequest(audio=Media(wav(seconds), "audio/wav"), model=model, language=language)


async def test_uploads_transcribes_and_polls_to_completion(aai, fake):
    result = await aai.transcribe(clip(4.0))

    assert result.text == TRANSCRIPT and result.language == "en_us"
    assert (result.usage.task, result.usage.seconds, result.usage.model) == ("stt", 4.0, "best")
    assert list(fake.uploads.values()) == [wav(4.0)]
    assert fake.requests == [{"audio_url": "https://cdn.assemblyai.invalid/upload/u0", "language_detection": True}]
    assert fake.polls == 2  # queued -> processing -> completed


async def test_language_and_model_are_sent(aai, fake):
    result = await aai.transcribe(clip(model="nano", language="de"))
    assert result.language == "de" and result.usage.model == "nano"
    assert fake.requests[0]["language_code"] == "de" and fake.requests[0]["speech_model"] == "nano"


async def test_a_failed_job_is_not_retryable(aai):
    err = await failure(lambda: aai.transcribe(clip(model="fails")))
    assert_fatal(err, None)
    assert "does not appear to contain audio" in err.message


async def test_polling_is_bounded_by_its_timeout(fake, http):
    aai = AssemblyAI(
        "assemblyai",
        base_url=fake.url,
        api_key=fake.api_key,
        client=http,
        options={"poll_interval": 0.02, "poll_timeout": 0.3},
    )
    t0 = time.monotonic()
    err = await failure(lambda: aai.transcribe(clip(model="stuck")))
    assert err.retryable and "did not finish within 0.3 s" in err.message
    assert time.monotonic() - t0 < 2 and fake.polls >= 5


async def test_429_500_and_400(aai):
    assert_retryable(await failure(lambda: aai.transcribe(clip(model="error-429"))), 429, retry_after=7.0)
    assert_retryable(await failure(lambda: aai.transcribe(clip(model="error-500"))), 500)
    err = await failure(lambda: aai.transcribe(clip(model="bad-request")))
    assert_fatal(err, 400)
    assert "'x' is not allowed" in err.message


async def test_wrong_key_is_refused_at_upload(fake, http):
    bad = AssemblyAI("assemblyai", base_url=fake.url, api_key="wrong", client=http, options=FAST)
    err = await failure(lambda: bad.transcribe(clip()))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.uploads == {}
    assert_fatal(await failure(bad.check), 401)


async def test_check(aai):
    assert "key accepted" in await aai.check()
