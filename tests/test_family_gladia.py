"""The Gladia family (upload → pre-recorded job → poll, submitted idempotently) against a fake on 127.0.0.1."""

from __future__ import annotations

from flowai.providers.base import Media, TranscriptionRequest
from flowai.providers.gladia import Gladia
from tests.fakes.base import wav
from tests.fakes.gladia_server import TRANSCRIPT, FakeGladia
from tests.family_kit import assert_fatal, assert_retryable, connected, failure, http, serving  # noqa: F401

fake = serving(FakeGladia)
gladia = connected(Gladia, "gladia", options={"poll_interval": 0.01, "poll_timeout": 5})


def clip(seconds: float = 2.0, language: str = "") -> TranscriptionRequest:
    return TranscriptionRequest(audio=Media(wav(seconds), "audio/wav"), language=language)


async def test_uploads_submits_and_polls_to_done(gladia, fake):
    result = await gladia.transcribe(clip(2.0))

    assert result.text == TRANSCRIPT and result.language == "fr"
    assert (result.usage.task, result.usage.seconds, result.usage.provider) == ("stt", 2.0, "gladia")
    assert list(fake.uploads.values()) == [wav(2.0)]
    assert len(fake.requests) == 1 and "language_config" not in fake.requests[0]
    assert fake.polls == 2


async def test_language_is_sent(gladia, fake):
    result = await gladia.transcribe(clip(language="en"))
    assert result.language == "en"
    assert fake.requests[0]["language_config"] == {"languages": ["en"], "code_switching": False}


async def test_a_retry_after_a_failed_poll_resumes_the_same_job(gladia, fake):
    fake.script = "poll-500-once"
    err = await failure(lambda: gladia.transcribe(clip()))
    assert_retryable(err, 500)

    result = await gladia.transcribe(clip())  # the router retries the same call
    assert result.text == TRANSCRIPT
    assert len(fake.requests) == 1 and len(fake.jobs) == 1  # one billed job, not two
    assert len(fake.uploads) == 1  # and one upload


async def test_a_job_error_is_not_retryable_and_not_resumed(gladia, fake):
    fake.script = "fails"
    err = await failure(lambda: gladia.transcribe(clip()))
    assert_fatal(err, None)
    assert "transcription failed: 422" in err.message
    fake.script = ""
    assert (await gladia.transcribe(clip())).text == TRANSCRIPT
    assert len(fake.jobs) == 2  # a failed job is not polled again: a new one is made


async def test_429_500_and_400(gladia, fake):
    for script, check in (
        ("error-429", lambda e: assert_retryable(e, 429, retry_after=7.0)),
        ("error-500", lambda e: assert_retryable(e, 500)),
        ("bad-request", lambda e: assert_fatal(e, 400)),
    ):
        fake.script = script
        check(await failure(lambda: gladia.transcribe(clip())))
    assert fake.jobs == {}


async def test_wrong_key_is_refused(fake, http):
    bad = Gladia("gladia", base_url=fake.url, api_key="wrong", client=http)
    err = await failure(lambda: bad.transcribe(clip()))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.uploads == {}
    assert_fatal(await failure(bad.check), 401)


async def test_check(gladia):
    assert await gladia.check() == "key accepted"
