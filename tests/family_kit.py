"""Helpers the provider family tests share: fixtures, draining a chat stream, catching errors.

A family test module starts with its two fixtures (import ``http`` too, for pytest to see it)::

    fake = serving(FakeAnthropic)                   # the fake, listening on 127.0.0.1
    claude = connected(Anthropic, "anthropic")      # the family client, pointed at it with its key
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from flowai.errors import ProviderError
from flowai.providers.base import ChatChunk, ChatRequest, Usage
from tests.fakes.base import Fake, serve

QUESTION = "Hello FlowAI, 你好世界, please echo me back."


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def serving(make_fake: Callable[[], Fake]):
    """A ``fake`` fixture: a new fake from ``make_fake()``, listening on 127.0.0.1 for one test."""

    @pytest.fixture
    def fake():
        with serve(make_fake()) as running:
            yield running

    return fake


def connected(family: type, name: str, *, path: str = "", **kwargs: Any):
    """A fixture of the ``family`` client named ``name``, at the fake's URL (plus ``path``) with its key."""

    @pytest.fixture
    def client(fake, http):
        return family(name, base_url=fake.url + path, api_key=fake.api_key, client=http, **kwargs)

    return client


def ask(model: str, text: str = QUESTION, **kw: Any) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], model=model, **kw)


@dataclass
class Answer:
    chunks: list[ChatChunk]
    usage: Usage

    @property
    def text(self) -> str:
        return "".join(c.content or "" for c in self.chunks)

    @property
    def reasoning(self) -> str:
        return "".join(c.reasoning or "" for c in self.chunks)


async def chat(provider: Any, request: ChatRequest) -> Answer:
    async with provider.stream_chat(request) as stream:
        chunks = [c async for c in stream]
    return Answer(chunks, stream.usage)


async def chat_until_error(provider: Any, request: ChatRequest) -> tuple[list[ChatChunk], ProviderError]:
    """Chunks received before the stream failed, and its error (the test fails if it did not fail)."""
    chunks: list[ChatChunk] = []
    with pytest.raises(ProviderError) as caught:
        async with provider.stream_chat(request) as stream:
            async for chunk in stream:
                chunks.append(chunk)
    return chunks, caught.value


async def failure(call: Callable[[], Awaitable[Any]]) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        await call()
    return caught.value


def assert_retryable(err: ProviderError, status: int | None, *, retry_after: float | None = None) -> None:
    assert (err.http_status, err.retryable) == (status, True), err.message
    if retry_after is not None:
        assert err.retry_after == retry_after


def assert_fatal(err: ProviderError, status: int | None) -> None:
    assert (err.http_status, err.retryable) == (status, False), err.message
