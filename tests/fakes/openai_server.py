"""A fake OpenAI-compatible chat-completions server that really listens on 127.0.0.1.

``POST /v1/chat/completions`` speaks the OpenAI wire format (providers.md B1): a JSON
``chat.completion`` when ``stream`` is false, otherwise SSE ``data: {chat.completion.chunk}``
lines, one usage chunk with ``choices: []`` when ``stream_options.include_usage`` is set, and
``data: [DONE]``. The request's ``model`` scripts the behaviour:

==========================  ===============================================================
``echo`` (and any other)    streams the last user message back, ``PIECE`` characters a delta
``reasoning``               ``REASONING`` as ``delta.reasoning_content`` deltas, then echo
``error-500``               HTTP 500 with an OpenAI error body
``error-429``               HTTP 429, ``Retry-After: 7``, code ``rate_limit_exceeded``
``insufficient-quota``      HTTP 429, code ``insufficient_quota``
``slow-<seconds>``          waits before the first byte (headers included), then echo
``drip-<n>-<ms>``           ``n`` deltas ``"t<i> "``, one every ``ms`` milliseconds
``disconnect-after-<n>``    ``n`` deltas, then drops the connection (no [DONE], no last chunk)
``eof-after-<n>``           ``n`` deltas, then ends the HTTP body cleanly without [DONE]
``midstream-error``         two deltas, then ``data: {"error": {...}}`` inside the 200 stream
==========================  ===============================================================

Usage is deterministic: ``prompt_tokens`` = characters of all message contents,
``completion_tokens`` = number of content deltas sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

API_KEY = "sk-test"
PIECE = 4
REASONING = "Think first, then answer."
MIDSTREAM_ERROR = "The model overloaded while generating."
_DROP = object()  # yielded by a stream generator: drop the connection right there


def pieces(text: str, size: int = PIECE) -> list[str]:
    """How the fake splits a text into deltas."""
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def error_body(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


@dataclass
class FakeOpenAI:
    """The fake's scripted app plus what it observed. ``url`` is set once it listens."""

    api_key: str = API_KEY
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    streams_opened: int = 0
    streams_completed: int = 0
    client_disconnects: list[str] = field(default_factory=list)  # model of each stream the client left
    in_flight: int = 0  # streams open right now
    max_in_flight: int = 0  # the most streams that were ever open at once

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])
        self._seq = 0

    # -- helpers for tests (the server runs in another thread; these only poll) --

    def wait_disconnects(self, count: int = 1, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.client_disconnects) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    async def await_disconnects(self, count: int = 1, timeout: float = 2.0) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.client_disconnects) < count:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    # -- the endpoint --

    async def _chat(self, request: Request) -> Response:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse(
                error_body("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"), status_code=401
            )
        body = await request.json()
        self.requests.append(body)
        model = str(body.get("model", ""))
        if model == "error-500":
            return JSONResponse(
                error_body("The server had an error while processing your request.", "server_error", None),
                status_code=500,
            )
        if model == "error-429":
            return JSONResponse(
                error_body("Rate limit reached for requests.", "requests", "rate_limit_exceeded"),
                status_code=429,
                headers={"Retry-After": "7"},
            )
        if model == "insufficient-quota":
            return JSONResponse(
                error_body("You exceeded your current quota.", "insufficient_quota", "insufficient_quota"),
                status_code=429,
            )
        self._seq += 1
        completion_id = f"chatcmpl-fake{self._seq}"
        if not body.get("stream"):
            if model.startswith("slow-"):
                await asyncio.sleep(float(model.removeprefix("slow-")))
            text = _last_user(body)
            return JSONResponse(
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "logprobs": None,
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": _usage(body, len(pieces(text))),
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return _LazyStartStream(self._stream(body, model, completion_id, include_usage), media_type="text/event-stream")

    async def _stream(self, body: dict, model: str, completion_id: str, include_usage: bool) -> AsyncIterator[Any]:
        self.streams_opened += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        finished = False

        def chunk(delta: dict | None, finish: str | None = None, usage: dict | None = None) -> str:
            obj: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": None,
                "choices": []
                if delta is None
                else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if include_usage:
                obj["usage"] = usage
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

        try:
            if model.startswith("slow-"):
                await asyncio.sleep(float(model.removeprefix("slow-")))
            yield chunk({"role": "assistant", "content": ""})
            if model == "reasoning":
                for part in pieces(REASONING):
                    yield chunk({"reasoning_content": part})
            if model.startswith("drip-"):
                n, ms = (int(x) for x in model.removeprefix("drip-").split("-"))
                contents = [f"t{i} " for i in range(n)]
            else:
                contents = pieces(_last_user(body))
            drop = _suffix_int(model, "disconnect-after-")
            eof = _suffix_int(model, "eof-after-")
            for i, part in enumerate(contents):
                if i and model.startswith("drip-"):
                    await asyncio.sleep(ms / 1000)
                if drop is not None and i == drop:
                    finished = True  # the server's own doing, not the client leaving
                    yield _DROP
                    return
                if eof is not None and i == eof:
                    finished = True
                    return
                if model == "midstream-error" and i == 2:
                    finished = True
                    yield f"data: {json.dumps(error_body(MIDSTREAM_ERROR, 'server_error', None))}\n\n"
                    return
                yield chunk({"content": part})
            yield chunk({}, "stop")
            if include_usage:
                yield chunk(None, usage=_usage(body, len(contents)))
            yield "data: [DONE]\n\n"
            finished = True
            self.streams_completed += 1
        finally:
            self.in_flight -= 1
            # Reached unfinished only through CancelledError (Starlette cancels the response when
            # uvicorn reports http.disconnect) or GeneratorExit (closed while parked at a yield).
            if not finished:
                self.client_disconnects.append(model)


class _LazyStartStream(StreamingResponse):
    """A streaming response whose headers go out with its first chunk (so ``slow-`` delays the first
    byte), and which drops the connection when the generator yields ``_DROP``."""

    async def stream_response(self, send) -> None:
        chunks = aiter(self.body_iterator)
        try:
            item = await anext(chunks, None)
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            while item is not None:
                if item is _DROP:
                    return  # no final body message: uvicorn closes the connection mid-body
                await send({"type": "http.response.body", "body": item.encode(), "more_body": True})
                item = await anext(chunks, None)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await chunks.aclose()  # a generator parked at a yield learns it was abandoned


def _last_user(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def _usage(body: dict, completion_tokens: int) -> dict[str, int]:
    prompt = sum(len(m.get("content") or "") for m in body.get("messages") or [] if isinstance(m.get("content"), str))
    return {"prompt_tokens": prompt, "completion_tokens": completion_tokens, "total_tokens": prompt + completion_tokens}


def _suffix_int(model: str, prefix: str) -> int | None:
    return int(model.removeprefix(prefix)) if model.startswith(prefix) else None


@pytest.fixture
def fake_openai():
    """A running FakeOpenAI; ``.url`` is its OpenAI base URL (``http://127.0.0.1:PORT/v1``)."""
    from tests.conftest import ThreadServer  # late: tests.conftest loads this module as a plugin

    fake = FakeOpenAI()
    with ThreadServer(fake.app) as server:
        fake.url = f"{server.url}/v1"
        yield fake
