"""A fake Gemini native API (providers.md B4) on 127.0.0.1.

``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` answers one whole
``GenerateContentResponse`` per ``data:`` line and simply ends (no ``[DONE]``); the last frame
has ``finishReason`` and ``usageMetadata``. It echoes the text parts of the last user turn and
reports its inline images as ``[image/png 8 bytes]``. Scripts by model: ``thinking`` (a
``thought`` part first), ``safety`` (``finishReason: SAFETY``), ``midstream-error`` (two frames,
then ``{"error"}``), ``eof-after-2`` (no finishReason), and the base scripts (Google's error
body; the 429 gives its delay as a ``RetryInfo`` detail, not a header). A missing key is a
403, a wrong key a 400 ``API_KEY_INVALID``, as Google answers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .base import SCRIPTS, Fake, pieces, sse

THOUGHT = "Considering the question."
STATUS = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL"}


def error_body(status: int, message: str, details: list | None = None) -> dict:
    return {
        "error": {"code": status, "message": message, "status": STATUS.get(status, "UNKNOWN"), "details": details or []}
    }


@dataclass
class FakeGemini(Fake):
    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v1beta/models/{target}", self._generate, methods=["POST"]),
                Route("/v1beta/models", self._models),
            ]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse(error_body(status, message), status_code=status)

    def _denied(self, request: Request) -> Response | None:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            return self.error(403, "Method doesn't allow unregistered callers. Please use an API Key.")
        if key != self.api_key:
            return JSONResponse(
                error_body(
                    400,
                    "API key not valid. Please pass a valid API key.",
                    [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
                ),
                status_code=400,
            )
        return None

    async def _models(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"models": [{"name": "models/gemini-fake"}]})

    def scripted(self, name: str) -> Response | None:
        if name == "error-429":  # Google gives the delay as a RetryInfo detail, not a header
            return JSONResponse(
                error_body(
                    429, SCRIPTS[name][1], [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"}]
                ),
                status_code=429,
            )
        return super().scripted(name)

    async def _generate(self, request: Request) -> Response:
        model, _, method = request.path_params["target"].partition(":")
        if method != "streamGenerateContent" or request.query_params.get("alt") != "sse":
            return self._denied(request) or self.error(400, "This fake serves streamGenerateContent?alt=sse only.")
        body, answer = await self.take_json(request, model=model)
        return answer or StreamingResponse(self._stream(body, model), media_type="text/event-stream")

    async def _stream(self, body: dict, model: str):
        user = [c for c in body["contents"] if c.get("role") == "user"][-1]
        text = "".join(p["text"] if "text" in p else _describe(p) for p in user["parts"])
        system = (body.get("systemInstruction") or {}).get("parts") or []
        prompt = sum(len(p.get("text", "")) for c in [*body["contents"], {"parts": system}] for p in c["parts"])

        def frame(parts: list | None, finish: str | None = None, usage: dict | None = None) -> str:
            candidate: dict = {"content": {"role": "model", "parts": parts or []}, "index": 0}
            if finish:
                candidate["finishReason"] = finish
            obj: dict = {"candidates": [candidate], "modelVersion": model}
            if usage:
                obj["usageMetadata"] = usage
            return sse(obj)

        if model == "thinking":
            yield frame([{"text": THOUGHT, "thought": True}])
        if model == "safety":
            yield frame(None, "SAFETY")
            return
        chunks = pieces(text)
        for i, part in enumerate(chunks[:-1]):
            if model == "midstream-error" and i == 2:
                yield sse(error_body(500, "An internal error has occurred."))
                return
            if model == "eof-after-2" and i == 2:
                return
            yield frame([{"text": part}])
        yield frame(
            [{"text": chunks[-1]}],
            "STOP",
            {
                "promptTokenCount": prompt,
                "candidatesTokenCount": len(chunks),
                "thoughtsTokenCount": 3 if model == "thinking" else None,
                "totalTokenCount": prompt + len(chunks),
            },
        )


def _describe(part: dict) -> str:
    if "inline_data" in part:
        data = part["inline_data"]
        return f"[{data['mime_type']} {len(base64.b64decode(data['data']))} bytes]"
    return f"[file {part.get('file_data', {}).get('file_uri')}]"
