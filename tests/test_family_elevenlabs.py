"""The ElevenLabs family against a fake text-to-speech API on 127.0.0.1."""

from __future__ import annotations

import io
import wave

from flowai.providers.base import Media, SpeechRequest
from flowai.providers.elevenlabs import DEFAULT_VOICE, ElevenLabs
from tests.fakes.base import mp3
from tests.fakes.elevenlabs_server import PCM, FakeElevenLabs
from tests.family_kit import assert_fatal, assert_retryable, connected, failure, http, serving  # noqa: F401

fake = serving(FakeElevenLabs)
eleven = connected(ElevenLabs, "elevenlabs")


def say(model: str = "", **kw) -> SpeechRequest:
    return SpeechRequest(text="Hello there", model=model, **kw)


async def test_returns_mp3_and_counts_characters(eleven, fake):
    result = await eleven.synthesize(say(speed=1.1))

    assert result.audio == Media(mp3(), "audio/mpeg")
    assert (result.usage.task, result.usage.characters, result.usage.model) == ("tts", 11, "eleven_multilingual_v2")
    assert fake.requests[0] == {
        "voice": DEFAULT_VOICE,
        "output_format": "mp3_44100_128",
        "text": "Hello there",
        "model_id": "eleven_multilingual_v2",
        "voice_settings": {"speed": 1.1},
    }


async def test_wav_is_pcm_wrapped_in_a_wav_header(eleven, fake):
    result = await eleven.synthesize(say(voice="v1", format="wav"))

    assert result.audio.content_type == "audio/wav"
    with wave.open(io.BytesIO(result.audio.data)) as w:
        assert (w.getframerate(), w.getnchannels(), w.readframes(w.getnframes())) == (44100, 1, PCM)
    assert (fake.requests[0]["voice"], fake.requests[0]["output_format"]) == ("v1", "pcm_44100")


async def test_concurrency_429_and_system_busy_are_retryable(eleven):
    err = await failure(lambda: eleven.synthesize(say("error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert err.detail == {"code": "too_many_concurrent_requests"}
    assert_retryable(await failure(lambda: eleven.synthesize(say("system-busy"))), 429)
    assert_retryable(await failure(lambda: eleven.synthesize(say("error-500"))), 500)


async def test_quota_exceeded_is_not_retryable_even_as_a_429(eleven):
    err = await failure(lambda: eleven.synthesize(say("quota")))
    assert_fatal(err, 429)
    assert "quota_exceeded" in err.message  # the upstream text (with figures) goes to the log


async def test_request_errors_are_not_retryable(eleven):
    err = await failure(lambda: eleven.synthesize(say(voice="missing")))
    assert_fatal(err, 404)
    assert "voice with that id was not found" in err.message
    assert_fatal(await failure(lambda: eleven.synthesize(say("bad-request"))), 400)


async def test_wrong_key_is_refused(fake, http):
    bad = ElevenLabs("elevenlabs", base_url=fake.url, api_key="wrong", client=http)
    err = await failure(lambda: bad.synthesize(say()))
    assert_fatal(err, 401)
    assert "refused its credential" in err.message and fake.requests == []
    assert_fatal(await failure(bad.check), 401)


async def test_check_reports_characters(eleven):
    assert await eleven.check() == "120 of 10000 characters used this period"
