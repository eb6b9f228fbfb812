"""A fake Cohere v2 chat API (providers.md B4) on 127.0.0.1.

``POST /v2/chat`` with ``stream: true`` answers typed SSE events (``message-start``,
``content-start``, ``content-delta``, ``content-end``, ``message-end`` with usage), echoing the
last user text. Scripts by model: ``thinking`` (thinking deltas first), ``eof-after-2`` (the
body ends after two deltas, no ``message-end``), ``toxic`` (``finish_reason: ERROR_TOXIC``),
``done-marker`` (an OpenAI-style ``data: [DONE]`` after the first delta), and the base
scripts. Errors are ``{"id", "message"}``. ``GET /v1/models`` lists models.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .base import Fake, pieces, sse

THINKING = "Plan: echo it."


@dataclass
class FakeCohere(Fake):
    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[Route("/v2/chat", self._chat, methods=["POST"]), Route("/v1/models", self._models)]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse({"id": "fake-error", "message": message}, status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401, "invalid api token")
        return None

    async def _models(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"models": [{"name": "command-fake"}], "next_page_token": None})

    async def _chat(self, request: Request) -> Response:
        body, answer = await self.take_json(request)
        return answer or StreamingResponse(self._stream(body, body.get("model", "")), media_type="text/event-stream")

    async def _stream(self, body: dict, model: str):
        text = next((m["content"] for m in reversed(body["messages"]) if m.get("role") == "user"), "")
        yield sse({"id": "fake", "type": "message-start", "delta": {"message": {"role": "assistant"}}}, "message-start")
        yield sse(
            {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
            "content-start",
        )
        if model == "thinking":
            for part in pieces(THINKING):
                yield sse(
                    {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"thinking": part}}}},
                    "content-delta",
                )
        sent = 0
        for i, part in enumerate(pieces(text)):
            if model == "eof-after-2" and i == 2:
                return
            yield sse(
                {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": part}}}},
                "content-delta",
            )
            sent += 1
            if model == "done-marker" and i == 0:
                yield "data: [DONE]\n\n"
        yield sse({"type": "content-end", "index": 0}, "content-end")
        prompt = sum(len(m["content"]) for m in body["messages"] if isinstance(m.get("content"), str))
        yield sse(
            {
                "type": "message-end",
                "delta": {
                    "finish_reason": "ERROR_TOXIC" if model == "toxic" else "COMPLETE",
                    "usage": {
                        "billed_units": {"input_tokens": float(prompt), "output_tokens": float(sent)},
                        "tokens": {"input_tokens": prompt, "output_tokens": sent},
                    },
                },
            },
            "message-end",
        )
