"""What nodes reach through ``ctx.services``: the provider router, media storage, Replicate.

The engine hands every node the same ``Services``; nodes call the task methods, which the
router serves with priority fallback, quotas and usage accounting.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flowai.providers.base import Media


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


@dataclass
class Services:
    router: Any  # flowai.providers.router.Router (or anything with the same task methods)
    media: MediaStore | None = None
    replicate: Any = None  # flowai.providers.replicate client, for the replicate node
    web: Any = None  # flowai.net.web.WebClient: SSRF-checked outbound HTTP, for the http node

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
