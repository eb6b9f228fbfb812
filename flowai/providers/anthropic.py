"""Anthropic Messages API (providers.md B2): streamed chat with thinking deltas as reasoning.

OpenAI-shaped messages are translated: system messages become the top-level ``system``,
``image_url`` parts become ``image`` blocks (base64 from ``data:`` URIs, else a URL source).
``options["thinking_budget"]`` turns extended thinking on. Errors: 429 ``rate_limit_error``
and 529 ``overloaded_error`` are retryable; ``enforced_spend_limit_reached`` is not.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from .base import ChatChunk, ChatRequest, Usage
from .family import ChatEvents, Family, data_uri

VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
RETRYABLE_TYPES = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


class Anthropic(Family):
    DEFAULT_BASE_URL = "https://api.anthropic.com"  # as ANTHROPIC_BASE_URL in Anthropic's SDKs: no /v1
    DEFAULT_MODELS = {"text": "claude-3-5-haiku-latest", "multimodal": "claude-3-5-haiku-latest"}
    fatal = frozenset({"enforced_spend_limit_reached", "billing_error"})

    def auth_headers(self) -> dict[str, str]:
        headers = {"anthropic-version": VERSION}
        if self.api_key:
            headers["x-api-key"] = self.api_key
        return headers

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
            code = (err.get("details") or {}).get("error_code") if isinstance(err.get("details"), dict) else None
            return err.get("message"), code or err.get("type")
        return super().error_of(body)

    async def check(self) -> str:
        body = await self.request_json("GET", "/v1/models", params={"limit": 1000})
        return f"{len(body.get('data') or [])} models available"

    async def list_models(self) -> list[str]:
        body = await self.request_json("GET", "/v1/models", params={"limit": 1000})
        return [str(m["id"]) for m in (body.get("data") or []) if isinstance(m, dict) and m.get("id")]

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[_Stream]:
        model = self.model_for("text", request.model)
        system, messages = _translate(request.messages)
        max_tokens = request.max_tokens or int(self.options.get("max_tokens") or DEFAULT_MAX_TOKENS)
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": messages, "stream": True}
        if request.json_output:
            system = "\n\n".join(filter(None, [system, "Answer with one JSON object and nothing else."]))
        if system:
            body["system"] = system
        budget = int(self.options.get("thinking_budget") or 0)
        if budget:
            body["thinking"] = {"type": "enabled", "budget_tokens": budget}
            body["max_tokens"] = max(max_tokens, budget + 1024)
        elif request.temperature is not None:
            body["temperature"] = min(request.temperature, 1.0)
        async with self.post_sse("/v1/messages", body) as resp:
            yield _Stream(self, resp, Usage(self.name, model))


class _Stream(ChatEvents):
    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        finished = sent = False
        async for event, data in self.family.json_events(self.resp):
            kind = data.get("type") or event
            if kind == "error":
                err = data.get("error") or {}
                raise self.family.midstream_error(
                    err.get("message") or err.get("type"),
                    retryable=not sent and err.get("type") in RETRYABLE_TYPES,
                    status=529 if err.get("type") == "overloaded_error" else None,
                )
            if kind == "message_start":
                message = data.get("message") or {}
                self.usage.model = message.get("model") or self.usage.model
                self._count(message.get("usage") or {})
            elif kind == "content_block_delta":
                delta = data.get("delta") or {}
                if delta.get("type") == "text_delta" and delta.get("text"):
                    sent = True
                    yield ChatChunk(delta["text"], None)
                elif delta.get("type") == "thinking_delta" and delta.get("thinking"):
                    sent = True
                    yield ChatChunk(None, delta["thinking"])
            elif kind == "message_delta":
                self._count(data.get("usage") or {})
            elif kind == "message_stop":
                finished = True
                break
            # ping, content_block_start/stop, signature deltas and unknown events: nothing to do
        if not finished:
            raise self.family.unfinished(sent=sent)

    def _count(self, usage: dict) -> None:
        if usage.get("input_tokens") is not None:
            cached = (usage.get("cache_read_input_tokens") or 0) + (usage.get("cache_creation_input_tokens") or 0)
            self.usage.prompt_tokens = usage["input_tokens"] + cached
        if usage.get("output_tokens") is not None:
            self.usage.completion_tokens = usage["output_tokens"]


def _translate(messages: list[dict]) -> tuple[str, list[dict]]:
    """OpenAI-shaped messages -> (system text, Anthropic messages)."""
    system: list[str] = []
    out: list[dict] = []
    for m in messages:
        role, content = m.get("role"), m.get("content")
        if role == "system":
            system.append(
                content
                if isinstance(content, str)
                else " ".join(p.get("text", "") for p in content or [] if isinstance(p, dict))
            )
            continue
        if isinstance(content, list):
            content = [_part(p) for p in content if isinstance(p, dict)]
        out.append({"role": "assistant" if role == "assistant" else "user", "content": content or ""})
    return "\n\n".join(s for s in system if s), out


def _part(part: dict) -> dict:
    if part.get("type") == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        inline = data_uri(url)
        if inline:
            return {"type": "image", "source": {"type": "base64", "media_type": inline[0], "data": inline[1]}}
        return {"type": "image", "source": {"type": "url", "url": url}}
    if part.get("type") == "text":
        return {"type": "text", "text": part.get("text", "")}
    return part
