"""A fake ElevenLabs API (providers.md B4) on 127.0.0.1.

``POST /v1/text-to-speech/{voice_id}?output_format=...`` (header ``xi-api-key``, JSON
``{"text", "model_id"}``) answers MP3 bytes, or raw 16-bit PCM for ``pcm_<rate>``. Scripts by
``model_id``: ``error-429`` (429 ``too_many_concurrent_requests``), ``system-busy`` (429
``system_busy``), ``quota`` (429 ``quota_exceeded``, as a plan's character quota is reported),
``error-500``, ``bad-request``; voice ``missing`` is a 404 ``voice_not_found``. Errors are
``{"detail": {"status", "message"}}``. ``GET /v1/user/subscription`` reports characters used.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import Fake, mp3

PCM = b"\x01\x00\x02\x00" * 441  # 882 frames of 16-bit mono


@dataclass
class FakeElevenLabs(Fake):
    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v1/text-to-speech/{voice}", self._tts, methods=["POST"]),
                Route("/v1/user/subscription", self._subscription),
            ]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        code = {429: "too_many_concurrent_requests", 500: "internal_error", 400: "invalid_request"}.get(status, code)
        return JSONResponse({"detail": {"status": code, "message": message}}, status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("xi-api-key") != self.api_key:
            return self.error(401, "Invalid API key", "invalid_api_key")
        return None

    async def _subscription(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"tier": "free", "character_count": 120, "character_limit": 10000})

    async def _tts(self, request: Request) -> Response:
        fmt = request.query_params.get("output_format", "mp3_44100_128")
        body, answer = await self.take_json(request, "model_id", voice=request.path_params["voice"], output_format=fmt)
        if answer:
            return answer
        model = body.get("model_id", "")
        if model == "system-busy":
            return self.error(429, "The system is busy, please retry.", "system_busy")
        if model == "quota":
            return JSONResponse(
                {
                    "detail": {
                        "status": "quota_exceeded",
                        "message": "This request exceeds your quota. You have 3 credits remaining.",
                    }
                },
                status_code=429,
            )
        if request.path_params["voice"] == "missing":
            return JSONResponse(
                {"detail": {"status": "voice_not_found", "message": "A voice with that id was not found."}},
                status_code=404,
            )
        if fmt.startswith("pcm_"):
            return Response(PCM, media_type="audio/pcm")
        return Response(mp3(), media_type="audio/mpeg")
