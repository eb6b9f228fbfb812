"""Provider clients by name, built from the catalog and the current credentials.

A client is built on first use and rebuilt when its credentials change (a key entered in the
UI takes effect on the next call). A provider whose protocol family is not available
(``families.FAMILIES`` has no entry for it) is skipped with one log line.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from flowai.errors import ProviderError

from .base import Media
from .catalog import CATALOG
from .config import ProviderConfig
from .credentials import Credential, Credentials
from .families import FAMILIES
from .replicate import Replicate
from .replicate_run import ReplicateResult

log = logging.getLogger("flowai.providers")


class ProviderSource(Protocol):
    """What the router asks for a provider's client."""

    def known(self, name: str) -> bool: ...

    def get(self, name: str) -> Any | None:
        """A ready client, or None when the provider is not configured (or cannot be built)."""

    def hint(self, name: str) -> str:
        """What to set to configure it (environment variable names)."""


class Directory:
    def __init__(
        self,
        credentials: Credentials,
        client: httpx.AsyncClient,
        families: Mapping[str, type] | None = None,
        *,
        config: ProviderConfig | None = None,
        environment: str = "development",
        allow_private: bool = False,
        max_media_bytes: int | None = None,
    ):
        self.credentials = credentials
        self.client = client
        self.families = FAMILIES if families is None else families
        self.config = config  # models chosen in providers.toml, keys marked "test only"
        self.environment = environment  # FLOWAI_ENV: production refuses test-only keys
        self.allow_private = allow_private  # may files a provider returns by URL sit on private addresses
        self.max_media_bytes = max_media_bytes
        self._built: dict[str, tuple[Credential, Any]] = {}
        self._warned: set[str] = set()

    def known(self, name: str) -> bool:
        return name in CATALOG

    def hint(self, name: str) -> str:
        return CATALOG[name].hint()

    def refused(self, name: str) -> bool:
        """A key marked "test only" is not used when FLOWAI_ENV=production."""
        return self.environment == "production" and self.config is not None and self.config.test_only(name)

    def has_key(self, name: str) -> bool:
        return self.credentials.get(name).configured

    def missing(self, name: str, task: str) -> str | None:
        """What keeps ``name`` from serving ``task`` when it has a key (None: nothing, or no key)."""
        cred = self.credentials.get(name)
        if not cred.configured:
            return None
        if self.refused(name):
            return f"{name}'s key is marked test only and FLOWAI_ENV is production"
        client = self.get(name)
        if client is None:
            return f"{name}: its protocol family {CATALOG[name].family!r} is not available in this installation"
        unserved = getattr(client, "unserved", None)
        reason = unserved(task) if unserved is not None else None
        return f"{name} {reason}" if reason else None

    def get(self, name: str) -> Any | None:
        cred = self.credentials.get(name)
        if not cred.configured or self.refused(name):
            return None
        hit = self._built.get(name)
        if hit is not None and hit[0] == cred:
            return hit[1]
        client = self.build(cred)
        if client is not None:
            self._built[name] = (cred, client)
        return client

    def build(self, cred: Credential) -> Any | None:
        spec = CATALOG[cred.name]
        family = self.families.get(spec.family)
        if family is None:
            if spec.family not in self._warned:
                self._warned.add(spec.family)
                log.warning("provider %s skipped: its protocol family %r is not available", cred.name, spec.family)
            return None
        return family(
            cred.name,
            base_url=cred.base_url,
            api_key=cred.api_key,
            client=self.client,
            models=spec.models_from(self.credentials.env, self.config.models(cred.name) if self.config else None),
            options=dict(cred.options),
            allow_private=self.allow_private,
            max_media_bytes=self.max_media_bytes,
        )


class StaticProviders:
    """Ready-made clients by name (tests, benchmarks, embedding FlowAI in another program)."""

    def __init__(self, clients: Mapping[str, Any]):
        self.clients = dict(clients)

    def known(self, name: str) -> bool:
        return name in self.clients or name in CATALOG

    def get(self, name: str) -> Any | None:
        return self.clients.get(name)

    def hint(self, name: str) -> str:
        return CATALOG[name].hint() if name in CATALOG else f"a client for {name!r}"


class LiveReplicate:
    """Replicate's client as the current credentials make it, for callers outside the router (the
    replicate node, the editor's schema form): a key entered in the UI takes effect at once, and
    the router and these callers share one client (so Replicate's rate limit is shared too)."""

    def __init__(self, directory: Directory, name: str = "replicate"):
        self._directory = directory
        self._name = name

    @property
    def configured(self) -> bool:
        return self._directory.get(self._name) is not None

    def client(self) -> Replicate:
        client = self._directory.get(self._name)
        if client is None:
            raise ProviderError(
                f"{self._name} is not configured: set {self._directory.hint(self._name)}.",
                provider=self._name,
                retryable=False,
            )
        assert isinstance(client, Replicate), f"{self._name} is not a Replicate client"
        return client

    async def run(
        self,
        model: str,
        params: dict[str, Any],
        *,
        image: str | None = None,
        store=None,
        task: str = "replicate",
        max_retries: int | None = None,
    ) -> ReplicateResult:
        return await self.client().run(model, params, image=image, store=store, task=task, max_retries=max_retries)

    async def file_input(self, media: Media) -> str:
        return await self.client().file_input(media)

    async def hand_off(self, value: str, local=None) -> str:
        return await self.client().hand_off(value, local)

    async def stream_output(self, url: str, write) -> str:
        return await self.client().stream_output(url, write)

    async def input_schema(self, model: str) -> dict:
        return await self.client().input_schema(model)

    async def aclose(self) -> None:
        await self.client().aclose()
