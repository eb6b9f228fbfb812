"""ElevenLabs text-to-speech (providers.md B4): ``POST /v1/text-to-speech/{voice_id}``.

Header ``xi-api-key``; JSON ``{"text", "model_id"}``; ``?output_format=`` picks the encoding
(``wav`` is asked as 44.1 kHz PCM and wrapped in a WAV header here). Errors are
``{"detail": {"status", "message"}}``: 429 ``too_many_concurrent_requests`` / ``system_busy``
are retryable, ``quota_exceeded`` is not (whatever its HTTP status).
"""

from __future__ import annotations

from typing import Any

from flowai.mediatypes import sniff

from . import audio
from .base import AudioResult, Media, SpeechRequest, Usage
from .family import Family

DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", a premade voice every account has
PCM_RATE = 44100
FORMATS = {
    "mp3": ("mp3_44100_128", "audio/mpeg"),
    "wav": (f"pcm_{PCM_RATE}", "audio/wav"),
    "opus": ("opus_48000_128", "audio/ogg"),
    "ogg": ("opus_48000_128", "audio/ogg"),
}


class ElevenLabs(Family):
    DEFAULT_BASE_URL = "https://api.elevenlabs.io"
    DEFAULT_MODELS = {"tts": "eleven_multilingual_v2"}
    fatal = frozenset({"quota_exceeded", "invalid_api_key", "payment_required", "max_character_limit_exceeded"})

    def auth_headers(self) -> dict[str, str]:
        return {"xi-api-key": self.api_key} if self.api_key else {}

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        detail = body.get("detail") if isinstance(body, dict) else None
        if isinstance(detail, dict):
            return detail.get("message"), detail.get("status")
        if isinstance(detail, str):
            return detail, None
        if isinstance(detail, list) and detail:  # request validation (422)
            return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail), None
        return super().error_of(body)

    async def check(self) -> str:
        body = await self.request_json("GET", "/v1/user/subscription")
        return f"{body.get('character_count')} of {body.get('character_limit')} characters used this period"

    async def synthesize(self, request: SpeechRequest) -> AudioResult:
        model = self.model_for("tts", request.model)
        fmt = request.format or "mp3"
        output_format, content_type = FORMATS.get(fmt, (fmt, "audio/mpeg"))
        body: dict[str, Any] = {"text": request.text, "model_id": model}
        if request.speed is not None:
            body["voice_settings"] = {"speed": request.speed}
        resp = await self.request(
            "POST",
            f"/v1/text-to-speech/{request.voice or DEFAULT_VOICE}",
            params={"output_format": output_format},
            json=body,
        )
        data = resp.content
        if output_format.startswith("pcm_"):
            data = audio.wav_from_pcm(data, rate=int(output_format.removeprefix("pcm_")))
        return AudioResult(
            Media(data, sniff(data[:64]) or content_type),
            Usage(self.name, model, task="tts", characters=len(request.text)),
        )
