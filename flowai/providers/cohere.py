"""Cohere v2 chat (providers.md B4): ``POST /v2/chat`` streamed as typed events.

``content-delta`` carries text (or ``thinking`` on reasoning models), ``tool-plan-delta`` the
model's plan (passed on as reasoning), ``message-end`` the finish reason and token usage.
Error bodies are ``{"message": ...}``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from flowai.errors import ProviderError

from .base import ChatChunk, ChatRequest, Usage
from .family import ChatEvents, Family, sampling

FILTERED = {"ERROR_TOXIC", "ERROR_LIMIT"}


class Cohere(Family):
    DEFAULT_BASE_URL = "https://api.cohere.com"
    DEFAULT_MODELS = {"text": "command-r-plus-08-2024", "multimodal": "command-a-vision-07-2025"}

    async def check(self) -> str:
        body = await self.request_json("GET", "/v1/models", params={"page_size": 1000})
        return f"{len(body.get('models') or [])} models available"

    async def list_models(self) -> list[str]:
        body = await self.request_json("GET", "/v1/models", params={"page_size": 1000})
        return [str(m["name"]) for m in (body.get("models") or []) if isinstance(m, dict) and m.get("name")]

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[_Stream]:
        model = self.model_for("text", request.model)
        body = {"model": model, "messages": request.messages, "stream": True, **sampling(request)}
        async with self.post_sse("/v2/chat", body) as resp:
            yield _Stream(self, resp, Usage(self.name, model))


class _Stream(ChatEvents):
    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        finished = sent = False
        async for event, data in self.family.json_events(self.resp, ignore=("[DONE]",)):
            kind = data.get("type") or event
            if kind == "error" or "error" in data:
                err = data.get("error") or data.get("message") or "error"
                raise self.family.midstream_error(
                    err.get("message") if isinstance(err, dict) else str(err), retryable=not sent
                )
            message = (data.get("delta") or {}).get("message") or {}
            if kind == "content-delta":
                content = message.get("content") or {}
                if content.get("text"):
                    sent = True
                    yield ChatChunk(content["text"], None)
                elif content.get("thinking"):
                    sent = True
                    yield ChatChunk(None, content["thinking"])
            elif kind == "tool-plan-delta" and message.get("tool_plan"):
                sent = True
                yield ChatChunk(None, message["tool_plan"])
            elif kind == "message-end":
                delta = data.get("delta") or {}
                usage = delta.get("usage") or {}
                tokens = usage.get("tokens") or usage.get("billed_units") or {}
                self.usage.prompt_tokens = _int(tokens.get("input_tokens"))
                self.usage.completion_tokens = _int(tokens.get("output_tokens"))
                if delta.get("finish_reason") in FILTERED:
                    name = self.family.name
                    raise ProviderError(f"{name} stopped: {delta['finish_reason']}.", provider=name, retryable=False)
                finished = True
                break
        if not finished:
            raise self.family.unfinished(sent=sent)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) else None  # billed units come as floats
