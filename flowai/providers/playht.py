"""Play.ht v2 streaming text-to-speech (providers.md B4).

``POST /api/v2/tts/stream`` with ``X-USER-ID`` (``options["user_id"]``) and ``AUTHORIZATION``
(the key) answers the audio as a stream; the model is the ``voice_engine``. Text is limited
to 20,000 characters on Play3.0-mini and 2,000 on the other engines: longer text is refused
before any call. Errors are ``{"error_message", "error_id"}``.
"""

from __future__ import annotations

from typing import Any

from flowai.errors import ProviderError
from flowai.mediatypes import sniff

from .base import AudioResult, Media, SpeechRequest, Usage
from .family import Family

DEFAULT_VOICE = "s3://voice-cloning-zero-shot/d9ff78ba-d016-47f6-b0ef-dd630f59414e/female-cs/manifest.json"
FORMATS = {
    "mp3": ("mp3", "audio/mpeg"),
    "wav": ("wav", "audio/wav"),
    "ogg": ("ogg", "audio/ogg"),
    "flac": ("flac", "audio/flac"),
}
LIMITS = {"Play3.0-mini": 20_000}
OTHER_LIMIT = 2_000


class PlayHT(Family):
    DEFAULT_BASE_URL = "https://api.play.ht"
    DEFAULT_MODELS = {"tts": "Play3.0-mini"}
    fatal = frozenset({"UNAUTHORIZED", "INSUFFICIENT_CREDITS", "PLAN_LIMIT_EXCEEDED"})

    def auth_headers(self) -> dict[str, str]:
        headers = {}
        if self.api_key:
            headers["AUTHORIZATION"] = self.api_key
        if self.options.get("user_id"):
            headers["X-USER-ID"] = str(self.options["user_id"])
        return headers

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict) and ("error_message" in body or "error_id" in body):
            return body.get("error_message"), body.get("error_id")
        return super().error_of(body)

    async def check(self) -> str:
        body = await self.request_json("GET", "/api/v2/voices")
        return f"{len(body) if isinstance(body, list) else 0} voices available"

    async def synthesize(self, request: SpeechRequest) -> AudioResult:
        engine = self.model_for("tts", request.model)
        limit = LIMITS.get(engine, OTHER_LIMIT)
        if len(request.text) > limit:
            raise ProviderError(
                f"{self.name}: {engine} takes at most {limit} characters; the text has {len(request.text)}.",
                provider=self.name,
                retryable=False,
            )
        fmt, content_type = FORMATS.get(request.format or "mp3", FORMATS["mp3"])
        body: dict[str, Any] = {
            "text": request.text,
            "voice": request.voice or DEFAULT_VOICE,
            "voice_engine": engine,
            "output_format": fmt,
        }
        if request.speed is not None:
            body["speed"] = request.speed
        chunks: list[bytes] = []
        async with self.open_stream("POST", "/api/v2/tts/stream", json=body, headers={"accept": content_type}) as resp:
            async for chunk in resp.aiter_bytes():
                chunks.append(chunk)
        data = b"".join(chunks)
        if not data:
            raise self.fail("the audio stream was empty.", retryable=True)
        return AudioResult(
            Media(data, sniff(data[:64]) or content_type),
            Usage(self.name, engine, task="tts", characters=len(request.text)),
        )
