"""The Play.ht family (streamed TTS) against a fake v2 API on 127.0.0.1."""

from __future__ import annotations

from flowai.providers.base import Media, SpeechRequest
from flowai.providers.playht import DEFAULT_VOICE, PlayHT
from tests.fakes.base import mp3
from tests.fakes.playht_server import USER_ID, FakePlayHT
from tests.family_kit import assert_fatal, assert_retryable, connected, failure, http, serving  # noqa: F401

fake = serving(FakePlayHT)
playht = connected(PlayHT, "playht", options={"user_id": USER_ID})


async def test_streams_audio_and_counts_characters(playht, fake):
    result = await playht.synthesize(SpeechRequest(text="Hello, 世界", speed=0.9))

    assert result.audio == Media(mp3(), "audio/mpeg")  # every streamed chunk, in order
    assert (result.usage.task, result.usage.characters, result.usage.model) == ("tts", 9, "Play3.0-mini")
    assert fake.requests[0] == {
        "text": "Hello, 世界",
        "voice": DEFAULT_VOICE,
        "voice_engine": "Play3.0-mini",
        "output_format": "mp3",
        "speed": 0.9,
        "accept": "audio/mpeg",
    }


async def test_a_dropped_stream_is_a_retryable_connection_error(playht):
    err = await failure(lambda: playht.synthesize(SpeechRequest(text="x", model="cut-off")))
    assert_retryable(err, None)
    assert "connection failed" in err.message


async def test_text_over_the_engine_limit_is_refused_before_calling(playht, fake):
    err = await failure(lambda: playht.synthesize(SpeechRequest(text="x" * 2001, model="PlayDialog")))
    assert_fatal(err, None)
    assert "at most 2000 characters" in err.message and fake.requests == []


async def test_429_500_400_and_no_credits(playht):
    err = await failure(lambda: playht.synthesize(SpeechRequest(text="x", model="error-429")))
    assert_retryable(err, 429, retry_after=7.0)
    assert "Rate limit exceeded" in err.message
    assert_retryable(await failure(lambda: playht.synthesize(SpeechRequest(text="x", model="error-500"))), 500)
    assert_fatal(await failure(lambda: playht.synthesize(SpeechRequest(text="x", model="bad-request"))), 400)
    err = await failure(lambda: playht.synthesize(SpeechRequest(text="x", model="no-credits")))
    assert_fatal(err, 403)
    assert err.detail == {"code": "INSUFFICIENT_CREDITS"}


async def test_user_id_and_key_are_both_required(fake, http):
    for key, options in (("wrong", {"user_id": USER_ID}), (fake.api_key, {})):
        bad = PlayHT("playht", base_url=fake.url, api_key=key, client=http, options=options)
        err = await failure(lambda bad=bad: bad.synthesize(SpeechRequest(text="x")))
        assert_fatal(err, 401)
        assert "refused its credential" in err.message
    assert fake.requests == []


async def test_check_lists_voices(playht):
    assert await playht.check() == "1 voices available"
