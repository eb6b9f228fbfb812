"""The models each provider serves, for the editor's model picker.

A configured provider whose client can list its models (``list_models()``: the OpenAI-compatible,
Anthropic, Cohere and Gemini families) is asked once per ``ttl`` seconds; otherwise — not
configured, no list route, or the call failed — the catalog's default models stand in. Never
raises: a picker that cannot load shows the defaults.

    >>> lists = ModelLists(directory, ttl=300)
    >>> await lists.choices("text", ["openai", "groq"], configured={"openai"})
    [{"name": "openai", "title": "OpenAI", "configured": True, "source": "provider", "models": [...]}, ...]
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from .catalog import CATALOG

log = logging.getLogger("flowai.providers")
TTL = 300.0  # seconds a provider's model list is reused
LIST_TIMEOUT = 8.0  # seconds one provider may take to list its models


def defaults(name: str, task: str) -> list[str]:
    """The catalog's default model of a provider for ``task``; never its other tasks' (a speech or
    image model offered in an LLM node's menu only fails the run that picks it)."""
    spec = CATALOG.get(name)
    return [spec.models[task]] if spec is not None and spec.models.get(task) else []


class ModelLists:
    def __init__(self, providers: Any, *, ttl: float = TTL, clock: Callable[[], float] = time.monotonic):
        self.providers = providers  # the router's provider source: ``get(name)`` -> client or None
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    async def listed(self, name: str) -> list[str] | None:
        """The provider's own list (cached), or None when it has none to give."""
        client = self.providers.get(name)
        lister = getattr(client, "list_models", None)
        if lister is None:
            return None
        key = (name, id(client))  # a client rebuilt with new credentials lists anew
        hit = self._cache.get(key)
        now = self.clock()
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            models = sorted(set(await asyncio.wait_for(lister(), LIST_TIMEOUT)))
        except Exception as exc:  # no list route, a refused key, a timeout: the defaults stand in
            log.info("listing %s's models failed: %s", name, getattr(exc, "message", None) or type(exc).__name__)
            return None
        self._cache = {k: v for k, v in self._cache.items() if k[0] != name}
        self._cache[key] = (now, models)
        return models

    async def choices(self, task: str, names: Iterable[str], *, configured: set[str]) -> list[dict[str, Any]]:
        """Per provider (in the order given): whether it is configured, and the models to offer
        (``source``: "provider" from its list, "catalog" the defaults)."""
        names = [n for n in names if n in CATALOG]
        lists = await asyncio.gather(*(self.listed(n) if n in configured else _none() for n in names))
        out = []
        for name, listed in zip(names, lists, strict=True):
            out.append(
                {
                    "name": name,
                    "title": CATALOG[name].title,
                    "configured": name in configured,
                    "source": "provider" if listed else "catalog",
                    "models": listed or defaults(name, task),
                }
            )
        return out


async def _none() -> None:
    return None
