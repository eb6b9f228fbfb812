"""What nodes reach through ``ctx.services``: the provider router, media storage, Replicate, the web.

:class:`NodeServices` is the protocol nodes are typed against (``nodes/`` imports only the
protocols of this module); :class:`Services` is the engine's implementation. Nodes call the task
methods, which the router serves with priority fallback, quotas and usage accounting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flowai.mediatypes import LocalMedia
from flowai.net.web import WebResponse
from flowai.providers.base import (
    AudioResult,
    ChatRequest,
    ImageRequest,
    ImageResult,
    Media,
    Scope,
    SpeechRequest,
    Transcript,
    TranscriptionRequest,
)


class MediaStore(Protocol):
    async def save(self, media: Media, *, owner_id: int | None, name: str | None = None) -> str:
        """Store bytes produced by a node; return a URL the server serves (``/files/...``)."""

    async def load(self, url: str, *, owner_id: int | None) -> Media:
        """Fetch a media value given to a node: a ``/files/`` URL, a ``data:`` URI or a public
        http(s) URL (private targets are refused unless an admin allowed them)."""

    async def save_file(self, path: Path, *, owner_id: int | None, name: str | None = None) -> str:
        """Store a file a node wrote (in its workspace) by streaming it from disk; return its URL."""

    def workspace(self) -> AbstractContextManager[Path]:
        """A private temporary folder for a node's files, removed with its contents on exit."""

    async def to_file(self, url: str, folder: Path, *, owner_id: int | None) -> tuple[Path, str]:
        """A media reference (as for ``load``) as a local file in ``folder``, and its MIME type.
        FlowAI's own files (signature and owner checked) are linked or copied on disk, not read."""

    async def save_stream(
        self,
        fetch: Callable[[Callable[[bytes], Awaitable[None]]], Awaitable[object]],
        *,
        owner_id: int | None,
        name: str | None = None,
    ) -> str:
        """Store what ``fetch(write)`` writes chunk by chunk (a provider's output as it downloads),
        within the generated-media limit; return its URL."""

    def describe(self, url: str, *, owner_id: int | None) -> LocalMedia | None:
        """FlowAI's own file behind a signed ``/files/`` URL (owner checked) for a provider; else None."""

    async def content_hash(self, url: str, *, owner_id: int | None) -> str | None:
        """The SHA-256 of FlowAI's own file behind a signed ``/files/`` URL (signature and owner
        checked), None for any other URL: the node cache keys a media input by its content."""


class WebAccess(Protocol):
    """SSRF-checked outbound HTTP (flowai.net.web.WebClient), for the http node."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout: float = 30.0,
        follow_redirects: bool = True,
        what: str = "URL",
    ) -> WebResponse: ...


class ReplicateAccess(Protocol):
    """Replicate for the replicate node (flowai.providers.directory.LiveReplicate)."""

    @property
    def configured(self) -> bool: ...

    async def run(
        self,
        model: str,
        params: dict[str, Any],
        *,
        image: str | None = None,
        store: Any = None,
        task: str = ...,
        max_retries: int | None = None,
    ) -> Any: ...

    async def file_input(self, media: Media) -> str: ...

    async def hand_off(self, value: str, local: LocalMedia | None = None) -> str:
        """A media input as something Replicate can fetch (files API, data: URI or signed public URL)."""

    async def stream_output(self, url: str, write: Callable[[bytes], Awaitable[None]]) -> str:
        """Download an output file to ``write`` chunk by chunk; returns its declared type."""

    async def input_schema(self, model: str) -> dict: ...


class NodeServices(Protocol):
    """Everything a node may call."""

    media: MediaStore | None
    replicate: ReplicateAccess | None
    web: WebAccess | None

    def chat(
        self, request: ChatRequest, *, provider: str = ..., task: str = ..., scope: Scope | None = ...
    ) -> AbstractAsyncContextManager[Any]: ...

    async def image(self, request: ImageRequest, *, provider: str = ..., scope: Scope | None = ...) -> ImageResult: ...

    async def speech(
        self, request: SpeechRequest, *, provider: str = ..., scope: Scope | None = ...
    ) -> AudioResult: ...

    async def transcribe(
        self, request: TranscriptionRequest, *, provider: str = ..., scope: Scope | None = ...
    ) -> Transcript: ...

    async def metered(
        self, provider: str, call: Callable[[], Awaitable[Any]], *, task: str, scope: Scope | None = None
    ) -> Any: ...


@dataclass
class Services:
    """The engine's :class:`NodeServices`: the task methods go to the provider router."""

    router: Any  # flowai.providers.router.Router (or anything with the same task methods)
    media: MediaStore | None = None
    replicate: ReplicateAccess | None = None
    web: WebAccess | None = None

    def chat(self, request, **kw):
        return self.router.chat(request, **kw)

    async def image(self, request, **kw):
        return await self.router.image(request, **kw)

    async def speech(self, request, **kw):
        return await self.router.speech(request, **kw)

    async def transcribe(self, request, **kw):
        return await self.router.transcribe(request, **kw)

    async def metered(self, provider: str, call, *, task: str, scope=None):
        """A provider call a node makes itself, counted against quotas and the workflow's budget."""
        if self.router is None or not hasattr(self.router, "metered"):
            return await call()
        return await self.router.metered(provider, call, task=task, scope=scope)
