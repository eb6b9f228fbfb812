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

from .catalog import CATALOG
from .credentials import Credential, Credentials
from .families import FAMILIES

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
        allow_private: bool = False,
        max_media_bytes: int | None = None,
    ):
        self.credentials = credentials
        self.client = client
        self.families = FAMILIES if families is None else families
        self.allow_private = allow_private  # may files a provider returns by URL sit on private addresses
        self.max_media_bytes = max_media_bytes
        self._built: dict[str, tuple[Credential, Any]] = {}
        self._warned: set[str] = set()

    def known(self, name: str) -> bool:
        return name in CATALOG

    def hint(self, name: str) -> str:
        return CATALOG[name].hint()

    def get(self, name: str) -> Any | None:
        cred = self.credentials.get(name)
        if not cred.configured:
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
            models=spec.models_from(self.credentials.env),
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


class Live:
    """One provider's client as the current credentials make it, for callers outside the router
    (the replicate node, the editor's schema form): a key entered in the UI takes effect at once,
    and the router and these callers share one client (so Replicate's rate limit is shared too)."""

    def __init__(self, directory: Directory, name: str):
        self._directory = directory
        self._name = name

    @property
    def configured(self) -> bool:
        return self._directory.get(self._name) is not None

    def __getattr__(self, attr: str) -> Any:
        client = self._directory.get(self._name)
        if client is None:
            raise ProviderError(
                f"{self._name} is not configured: set {self._directory.hint(self._name)}.",
                provider=self._name,
                retryable=False,
            )
        return getattr(client, attr)
