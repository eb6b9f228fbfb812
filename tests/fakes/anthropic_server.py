"""A fake Anthropic Messages API (providers.md B2) on 127.0.0.1.

``POST /v1/messages`` with ``stream: true`` answers the SSE event sequence (``message_start``,
``content_block_*``, ``ping`` between blocks, ``message_delta`` with ``output_tokens``,
``message_stop``), echoing the last user text in 4-character deltas. Scripts by model:
``thinking`` (a thinking block first), ``overloaded`` (529), ``spend-limit`` (429
``enforced_spend_limit_reached``), ``midstream-error`` (two deltas, then an ``error`` event),
``early-error`` (an ``overloaded_error`` event before any delta), ``eof-after-2``,
``malformed`` / ``not-an-object`` (an event whose data is not JSON / not a JSON object), and the
base scripts. ``input_tokens`` = characters of all text, ``output_tokens`` = deltas sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .base import Fake, pieces, sse

THINKING = "Let me think it through."
MALFORMED = {"malformed": 'data: {"type": "content_block_delta", \n\n', "not-an-object": "data: [1, 2]\n\n"}


def error_body(kind: str, message: str, **extra) -> dict:
    return {"type": "error", "error": {"type": kind, "message": message, **extra}, "request_id": "req_fake"}


@dataclass
class FakeAnthropic(Fake):
    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[Route("/v1/messages", self._messages, methods=["POST"]), Route("/v1/models", self._models)]
        )

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        kind = {429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}.get(status, "invalid_request_error")
        return JSONResponse(error_body(kind, message), status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("x-api-key") != self.api_key:
            return JSONResponse(error_body("authentication_error", "invalid x-api-key"), status_code=401)
        if request.headers.get("anthropic-version") != "2023-06-01":
            return JSONResponse(
                error_body("invalid_request_error", "anthropic-version header is required"), status_code=400
            )
        return None

    async def _models(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse(
            {"data": [{"id": "claude-fake", "type": "model"}], "has_more": False}
        )

    async def _messages(self, request: Request) -> Response:
        body, answer = await self.take_json(request)
        if answer:
            return answer
        model = body.get("model", "")
        if model == "overloaded":
            return self.error(529, "Overloaded")
        if model == "spend-limit":
            return JSONResponse(
                error_body(
                    "rate_limit_error",
                    "You have reached your specified API usage limits.",
                    details={"error_code": "enforced_spend_limit_reached"},
                ),
                status_code=429,
            )
        return StreamingResponse(self._stream(body, model), media_type="text/event-stream")

    async def _stream(self, body: dict, model: str):
        text = _last_user(body)
        input_tokens = len(body.get("system") or "") + sum(len(_text(m)) for m in body.get("messages") or [])
        yield sse(
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "usage": {"input_tokens": input_tokens, "output_tokens": 1},
                },
            },
            "message_start",
        )
        yield sse({"type": "ping"}, "ping")
        if model == "early-error":
            yield sse(error_body("overloaded_error", "Overloaded"), "error")
            return
        if model in MALFORMED:
            yield MALFORMED[model]
            return
        sent, index = 0, 0
        if model == "thinking":
            yield sse(
                {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}},
                "content_block_start",
            )
            for part in pieces(THINKING):
                yield sse(
                    {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": part}},
                    "content_block_delta",
                )
                sent += 1
            yield sse(
                {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "c2ln"}},
                "content_block_delta",
            )
            yield sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            index = 1
        yield sse(
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            "content_block_start",
        )
        for i, part in enumerate(pieces(text)):
            if model == "midstream-error" and i == 2:
                yield sse(error_body("overloaded_error", "Overloaded"), "error")
                return
            if model == "eof-after-2" and i == 2:
                return
            if i == 1:
                yield sse({"type": "ping"}, "ping")
            yield sse(
                {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": part}},
                "content_block_delta",
            )
            sent += 1
        yield sse({"type": "content_block_stop", "index": index}, "content_block_stop")
        yield sse(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": sent},
            },
            "message_delta",
        )
        yield sse({"type": "message_stop"}, "message_stop")


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or [] if p.get("type") == "text")


def _last_user(body: dict) -> str:
    users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
    return _text(users[-1]) if users else ""
