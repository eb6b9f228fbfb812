"""A fake OpenAI-compatible server for the tasks beyond chat, on 127.0.0.1 (providers.md B1).

Chat completions are the existing ``FakeOpenAI`` (tests/fakes/openai_server.py), plus two
OpenRouter behaviours by model: ``openrouter-processing`` (``: OPENROUTER PROCESSING``
comments between chunks) and ``openrouter-error`` (HTTP 200, one delta, then a ``data:``
event carrying ``error``). Beyond chat:

- ``GET /v1/models``
- ``POST /v1/images/generations`` (JSON) and ``/v1/images/edits`` (multipart): ``n`` PNGs as
  ``b64_json``; model ``url-image`` answers ``url``s served by this fake instead;
  ``content-filter`` is a 400 ``content_policy_violation``
- ``POST /v1/audio/speech``: MP3 bytes
- ``POST /v1/audio/transcriptions`` (multipart ``file``): ``{"text"}``, or with
  ``response_format=verbose_json`` also ``language`` and ``duration`` (from the WAV header)

plus the base scripts by model, in OpenAI's error shape.
"""

from __future__ import annotations

import base64
import io
import json
import wave
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route

from .base import Fake, mp3, png, sse
from .openai_server import FakeOpenAI, error_body

TRANSCRIPT = "hello from the fake whisper"


@dataclass
class FakeOpenAIMedia(Fake):
    image_url: str = ""  # when set, ``url-image`` answers this URL (a hostile upstream) instead of its own

    def __post_init__(self) -> None:
        self.chat = FakeOpenAI(api_key=self.api_key)
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._models),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
                Route("/v1/images/generations", self._images, methods=["POST"]),
                Route("/v1/images/edits", self._images, methods=["POST"]),
                Route("/v1/audio/speech", self._speech, methods=["POST"]),
                Route("/v1/audio/transcriptions", self._transcribe, methods=["POST"]),
                Route("/files/{name}", self._file),
                Mount("/", self.chat.app),
            ]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse(
            error_body(message, "invalid_request_error" if status < 500 else "server_error", code), status_code=status
        )

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "Incorrect API key provided.", "invalid_api_key")
        return None

    async def _models(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"object": "list", "data": [{"id": "echo"}, {"id": "dall-e-3"}]})

    async def _file(self, request: Request) -> Response:
        return Response(png(int(request.path_params["name"].split(".")[0])), media_type="image/png")

    async def _chat(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        model = body.get("model")
        if model not in ("openrouter-processing", "openrouter-error") or self._denied(request):
            return await self.chat._chat(request)  # the body stays cached on the request
        self.requests.append(body)

        async def stream():
            yield ": OPENROUTER PROCESSING\n\n"
            yield sse({"choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]})
            yield ": OPENROUTER PROCESSING\n\n"
            if model == "openrouter-error":
                yield sse({"error": {"code": 502, "message": "Upstream provider went away"}})
                return
            yield sse({"choices": [{"index": 0, "delta": {"content": " there"}, "finish_reason": "stop"}]})
            yield sse({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}})
            yield "data: [DONE]\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _images(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        if request.url.path.endswith("/edits"):
            form = await request.form()
            body = {k: v for k, v in form.items() if isinstance(v, str)}
            body["image"] = await form["image"].read()
        else:
            body = await request.json()
        self.requests.append({"path": request.url.path, **body})
        model = str(body.get("model", ""))
        if answer := self.scripted(model):
            return answer
        if model == "content-filter":
            return self.error(400, "Your request was rejected by the safety system.", "content_policy_violation")
        n = int(body.get("n") or 1)
        seed = int(body.get("seed") or 0)
        if model == "url-image":
            data = [{"url": self.image_url or f"{self.url}/files/{seed + i}.png"} for i in range(n)]
        else:
            data = [{"b64_json": base64.b64encode(png(seed + i)).decode()} for i in range(n)]
        return JSONResponse({"created": 1, "data": data})

    async def _speech(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        body = await request.json()
        self.requests.append(body)
        if answer := self.scripted(str(body.get("model", ""))):
            return answer
        return Response(mp3(), media_type="audio/mpeg")

    async def _transcribe(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        form = await request.form()
        audio = await form["file"].read()
        body = {k: v for k, v in form.items() if isinstance(v, str)}
        self.requests.append({**body, "file": audio, "filename": form["file"].filename})
        if answer := self.scripted(body.get("model", "")):
            return answer
        if body.get("response_format") == "verbose_json":
            with wave.open(io.BytesIO(audio)) as w:
                seconds = w.getnframes() / w.getframerate()
            return JSONResponse(
                {"task": "transcribe", "language": "english", "duration": seconds, "text": TRANSCRIPT, "segments": []}
            )
        return JSONResponse({"text": TRANSCRIPT})
