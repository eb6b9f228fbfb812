"""The small interfaces a provider family implements, one per task type."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Protocol


@dataclass(frozen=True, slots=True)
class ChatRequest:
    messages: list[dict[str, Any]]
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    json_output: bool = False


@dataclass(frozen=True, slots=True)
class ChatChunk:
    content: str | None = None
    reasoning: str | None = None


@dataclass(slots=True)
class ChatUsage:
    provider: str
    model: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    fallbacks: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        total = None
        if self.prompt_tokens is not None or self.completion_tokens is not None:
            total = (self.prompt_tokens or 0) + (self.completion_tokens or 0)
        return {"provider": self.provider, "model": self.model, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "total_tokens": total,
                "fallbacks": self.fallbacks}


class ChatStream(Protocol):
    usage: ChatUsage

    def __aiter__(self) -> AsyncIterator[ChatChunk]: ...


class ChatProvider(Protocol):
    name: str

    def stream_chat(self, request: ChatRequest) -> AbstractAsyncContextManager[ChatStream]:
        """Open a streaming chat call; raise ProviderError for upstream failures."""
