"""OpenAI-compatible chat completions (OpenAI, and any server speaking its wire format)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import httpx
import orjson
from httpx_sse import EventSource

from flowai.errors import ProviderError

from .base import ChatChunk, ChatRequest, ChatUsage

NOT_RETRYABLE_CODES = {"insufficient_quota"}


class OpenAICompatible:
    def __init__(self, name: str, *, base_url: str, api_key: str | None, client: httpx.AsyncClient,
                 models: dict[str, str] | None = None, options: dict[str, str] | None = None):
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self.api_key = api_key
        self.client = client
        self.models = models or {}
        self.default_model = self.models.get("text") or "gpt-4o-mini"
        self.options = options or {}

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator["_Stream"]:
        model = request.model or self.default_model
        body: dict = {"model": model, "messages": request.messages, "stream": True,
                      "stream_options": {"include_usage": True}}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.json_output:
            body["response_format"] = {"type": "json_object"}
        headers = {"Accept": "text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            async with self.client.stream("POST", self.url, content=orjson.dumps(body),
                                          headers={**headers, "Content-Type": "application/json"}) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _http_error(self.name, resp)
                yield _Stream(self.name, resp, ChatUsage(self.name, model))
        except httpx.TransportError as exc:
            raise _transport_error(self.name, exc) from None


class _Stream:
    def __init__(self, provider: str, resp: httpx.Response, usage: ChatUsage):
        self.provider = provider
        self.resp = resp
        self.usage = usage

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        # Read errors surface here, while the caller iterates (the gateway reads the first chunk
        # inside its fallback logic), so they are turned into ProviderErrors here too.
        finished = False
        try:
            async for sse in EventSource(self.resp).aiter_sse():
                data = sse.data
                if data == "[DONE]":
                    finished = True
                    break
                if not data:
                    continue
                try:
                    obj = orjson.loads(data)
                except orjson.JSONDecodeError:
                    raise ProviderError(f"{self.provider} sent a malformed stream chunk.", provider=self.provider,
                                        retryable=False) from None
                if sse.event == "error" or "error" in obj:
                    err = obj.get("error", obj)
                    msg = err.get("message") if isinstance(err, dict) else str(err)
                    raise ProviderError(f"{self.provider} failed mid-stream: {msg}", provider=self.provider,
                                        retryable=False)
                if obj.get("usage"):
                    u = obj["usage"]
                    self.usage.prompt_tokens = u.get("prompt_tokens")
                    self.usage.completion_tokens = u.get("completion_tokens")
                if obj.get("model"):
                    self.usage.model = obj["model"]
                for choice in obj.get("choices") or ():
                    delta = choice.get("delta") or {}
                    content = delta.get("content")
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if content or reasoning:
                        yield ChatChunk(content or None, reasoning or None)
                    if choice.get("finish_reason"):
                        finished = True
        except httpx.TransportError as exc:
            raise _transport_error(self.provider, exc) from None
        if not finished:
            raise ProviderError(f"{self.provider} closed the stream before it finished.", provider=self.provider,
                                retryable=False)


def _transport_error(name: str, exc: httpx.TransportError) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"{name} timed out ({type(exc).__name__}).", provider=name)
    return ProviderError(f"{name} connection failed: {type(exc).__name__}.", provider=name)


def _http_error(name: str, resp: httpx.Response) -> ProviderError:
    message, code = resp.reason_phrase, None
    try:
        err = resp.json().get("error")
        if isinstance(err, dict):
            message, code = err.get("message") or message, err.get("code") or err.get("type")
        elif isinstance(err, str):
            message = err
    except (ValueError, AttributeError):
        pass
    retry_after = _retry_after(resp.headers.get("retry-after"))
    status = resp.status_code
    retryable = (status == 429 or status >= 500 or status == 408) and code not in NOT_RETRYABLE_CODES
    return ProviderError(f"{name} answered HTTP {status}: {message}", provider=name, http_status=status,
                         retry_after=retry_after, retryable=retryable)


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
