"""The gateway: picks the providers able to serve a call and falls back between them.

A node with ``provider: "auto"`` walks the task type's priority list; a named provider pins
the call to it. Fallback happens on retryable failures (429, 5xx, timeouts, connection
errors) and, for streams, only before the first delta: after that an error ends the node.
"""

from __future__ import annotations

from contextlib import AsyncExitStack, asynccontextmanager
from typing import AsyncIterator, Mapping

import httpx

from flowai.errors import ProviderError

from .base import ChatChunk, ChatProvider, ChatRequest, ChatUsage
from .openai_compat import OpenAICompatible

TEXT_PRIORITY = ["openai"]

DEFAULT_BASE_URLS = {"openai": "https://api.openai.com/v1"}


def build_chat_providers(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, ChatProvider]:
    """Chat providers that have credentials (or an explicit base URL, for self-hosted servers)."""
    providers: dict[str, ChatProvider] = {}
    for name in TEXT_PRIORITY:
        prefix = name.upper()
        key = env.get(f"{prefix}_API_KEY")
        base = env.get(f"{prefix}_BASE_URL")
        if key or base:
            providers[name] = OpenAICompatible(name, base_url=base or DEFAULT_BASE_URLS[name], api_key=key,
                                               client=client,
                                               models={"text": env.get(f"{prefix}_MODEL") or "gpt-4o-mini"})
    return providers


class Gateway:
    def __init__(self, chat_providers: dict[str, ChatProvider]):
        self.chat_providers = chat_providers

    def _candidates(self, provider: str) -> list[ChatProvider]:
        if provider in ("", "auto"):
            found = [self.chat_providers[n] for n in TEXT_PRIORITY if n in self.chat_providers]
            if not found:
                raise ProviderError("No text provider is configured; set OPENAI_API_KEY (and OPENAI_BASE_URL "
                                    "for an OpenAI-compatible server).", retryable=False)
            return found
        if provider not in self.chat_providers:
            raise ProviderError(f"Provider {provider!r} is not configured.", provider=provider, retryable=False)
        return [self.chat_providers[provider]]

    @asynccontextmanager
    async def chat(self, request: ChatRequest, provider: str = "auto") -> AsyncIterator["_GatewayStream"]:
        attempts: list[dict] = []
        last: ProviderError | None = None
        for candidate in self._candidates(provider):
            async with AsyncExitStack() as stack:
                try:
                    stream = await stack.enter_async_context(candidate.stream_chat(request))
                    chunks = stream.__aiter__()
                    first = await anext(chunks, None)
                except ProviderError as exc:
                    attempts.append({"provider": candidate.name, "reason": exc.message, "status": exc.http_status})
                    last = exc
                    if exc.retryable:
                        continue
                    raise _all_failed(attempts, exc) from None
                stream.usage.fallbacks = attempts
                yield _GatewayStream(first, chunks, stream.usage)
                return
        raise _all_failed(attempts, last)


class _GatewayStream:
    def __init__(self, first: ChatChunk | None, rest: AsyncIterator[ChatChunk], usage: ChatUsage):
        self._first, self._rest, self._usage = first, rest, usage

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        if self._first is not None:
            yield self._first
        async for chunk in self._rest:
            yield chunk

    def usage(self) -> dict:
        return self._usage.as_dict()


def _all_failed(attempts: list[dict], last: ProviderError | None) -> ProviderError:
    if len(attempts) == 1 and last is not None:
        return ProviderError(last.message, provider=last.provider, http_status=last.http_status,
                             retryable=False, detail={"attempts": attempts})
    reasons = "; ".join(a["reason"] for a in attempts)
    return ProviderError(f"Every provider able to serve this node failed: {reasons}", detail={"attempts": attempts},
                         retryable=False)
