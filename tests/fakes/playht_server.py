"""A fake Play.ht v2 API (providers.md B4) on 127.0.0.1.

``POST /api/v2/tts/stream`` needs ``X-USER-ID`` and ``AUTHORIZATION``; it streams MP3 bytes in
several chunks. Scripts by ``voice_engine``: ``cut-off`` (one chunk, then the connection
drops), ``no-credits`` (403 ``INSUFFICIENT_CREDITS``), and the base scripts. Errors are
``{"error_message", "error_id"}``. ``GET /api/v2/voices`` lists voices.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .base import DROP, DroppingStream, Fake, mp3

USER_ID = "user-fake"
IDS = {
    400: "VOICE_NOT_FOUND",
    401: "UNAUTHORIZED",
    403: "INSUFFICIENT_CREDITS",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
}


@dataclass
class FakePlayHT(Fake):
    user_id: str = USER_ID

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[Route("/api/v2/tts/stream", self._stream, methods=["POST"]), Route("/api/v2/voices", self._voices)]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse({"error_message": message, "error_id": IDS.get(status, "ERROR")}, status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != self.api_key or request.headers.get("x-user-id") != self.user_id:
            return self.error(401, "Invalid credentials: check your user id and secret key.")
        return None

    async def _voices(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse([{"id": "s3://voices/fake/manifest.json", "name": "Fake"}])

    async def _stream(self, request: Request) -> Response:
        body, answer = await self.take_json(request, "voice_engine", accept=request.headers.get("accept"))
        if answer:
            return answer
        engine = body.get("voice_engine", "")
        if engine == "no-credits":
            return self.error(403, "You have no credits left.")
        audio = mp3()

        async def chunks():
            for i in range(0, len(audio), 4096):
                yield audio[i : i + 4096]
                if engine == "cut-off":
                    yield DROP
                    return

        return DroppingStream(chunks(), media_type="audio/mpeg")
