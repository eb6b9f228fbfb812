"""Gemini native API (providers.md B4): ``streamGenerateContent?alt=sse``, multimodal parts.

Every SSE ``data:`` is a whole ``GenerateContentResponse``; there is no ``[DONE]``, the end of
the body ends the stream (a ``finishReason`` must have been seen). Images in OpenAI-shaped
messages become ``inline_data`` (from ``data:`` URIs) or ``file_data`` (other URLs); parts
marked ``thought`` are reasoning. Google's errors are ``{"error": {"code", "message",
"status", "details"}}``; a ``RetryInfo`` detail gives the retry delay.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from flowai.errors import ProviderError

from .base import ChatChunk, ChatRequest, Usage
from .family import ChatEvents, Family, data_uri, json_of, only_set

BLOCKED = {"SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION", "IMAGE_SAFETY"}


class Gemini(Family):
    DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
    DEFAULT_MODELS = {"text": "gemini-2.0-flash", "multimodal": "gemini-2.0-flash"}

    def auth_headers(self) -> dict[str, str]:
        return {"x-goog-api-key": self.api_key} if self.api_key else {}

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        if isinstance(body, list) and body:  # some proxies wrap the error in a list
            body = body[0]
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            return body["error"].get("message"), body["error"].get("status")
        return super().error_of(body)

    def http_error(self, resp: httpx.Response) -> ProviderError:
        err = super().http_error(resp)
        if err.retry_after is None:
            err.retry_after = _retry_delay(json_of(resp))
        return err

    async def check(self) -> str:
        body = await self.request_json("GET", "/models", params={"pageSize": 1000})
        return f"{len(body.get('models') or [])} models available"

    async def list_models(self) -> list[str]:
        body = await self.request_json("GET", "/models", params={"pageSize": 1000})
        return [
            str(m["name"]).removeprefix("models/")
            for m in (body.get("models") or [])
            if isinstance(m, dict) and m.get("name")
        ]

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[_Stream]:
        model = self.model_for("text", request.model).removeprefix("models/")
        system, contents = _translate(request.messages)
        body: dict[str, Any] = {"contents": contents}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        config = only_set(
            temperature=request.temperature,
            maxOutputTokens=request.max_tokens,
            responseMimeType="application/json" if request.json_output else None,
        )
        if config:
            body["generationConfig"] = config
        async with self.post_sse(f"/models/{model}:streamGenerateContent", body, params={"alt": "sse"}) as resp:
            yield _Stream(self, resp, Usage(self.name, model))


class _Stream(ChatEvents):
    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        name = self.family.name
        finished = sent = False
        async for _, data in self.family.json_events(self.resp):
            if "error" in data:
                err = data["error"] if isinstance(data["error"], dict) else {"message": str(data["error"])}
                code = err.get("code")
                status = code if isinstance(code, int) else None
                raise self.family.midstream_error(err.get("message"), status=status, retryable=not sent)
            blocked = (data.get("promptFeedback") or {}).get("blockReason")
            if blocked:
                raise ProviderError(f"{name} blocked the prompt: {blocked}.", provider=name, retryable=False)
            meta = data.get("usageMetadata")
            if meta:
                self.usage.prompt_tokens = meta.get("promptTokenCount")
                self.usage.completion_tokens = (meta.get("candidatesTokenCount") or 0) + (
                    meta.get("thoughtsTokenCount") or 0
                )
            if data.get("modelVersion"):
                self.usage.model = data["modelVersion"]
            for candidate in (data.get("candidates") or [])[:1]:
                for part in (candidate.get("content") or {}).get("parts") or ():
                    text = part.get("text")
                    if text:
                        sent = True
                        yield ChatChunk(None, text) if part.get("thought") else ChatChunk(text, None)
                reason = candidate.get("finishReason")
                if reason in BLOCKED:
                    raise ProviderError(f"{name} stopped the answer: {reason}.", provider=name, retryable=False)
                if reason:
                    finished = True
        if not finished:
            raise self.family.unfinished(sent=sent)


def _translate(messages: list[dict]) -> tuple[str, list[dict]]:
    """OpenAI-shaped messages -> (system instruction, Gemini contents)."""
    system: list[str] = []
    contents: list[dict] = []
    for m in messages:
        role, content = m.get("role"), m.get("content")
        parts = (
            [{"text": content}]
            if isinstance(content, str)
            else [_part(p) for p in content or [] if isinstance(p, dict)]
        )
        if role == "system":
            system.extend(p["text"] for p in parts if "text" in p)
            continue
        contents.append({"role": "model" if role == "assistant" else "user", "parts": parts})
    return "\n\n".join(system), contents


def _part(part: dict) -> dict:
    if part.get("type") == "image_url":
        url = (part.get("image_url") or {}).get("url", "")
        inline = data_uri(url)
        if inline:
            return {"inline_data": {"mime_type": inline[0], "data": inline[1]}}
        return {"file_data": {"mime_type": mimetypes.guess_type(url)[0] or "image/jpeg", "file_uri": url}}
    return {"text": part.get("text", "")}


def _retry_delay(body: Any) -> float | None:
    if isinstance(body, list) and body:
        body = body[0]
    details = ((body or {}).get("error") or {}).get("details") if isinstance(body, dict) else None
    for d in details or ():
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("RetryInfo"):
            try:
                return float(str(d.get("retryDelay", "")).rstrip("s"))
            except ValueError:
                return None
    return None
