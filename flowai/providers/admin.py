"""Provider administration: what the providers page and the management API read and change.

``ProviderAdmin`` is exposed as ``platform.provider_admin``. Keys are never returned in clear
(``masked_key`` only). Changes are instance-wide; callers check that the user is an admin.
"""

from __future__ import annotations

import logging
from typing import Any

from flowai.errors import InputError, NotFoundError, ProviderError

from .base import TASKS, ChatProvider, ChatRequest, Checkable
from .catalog import CATALOG
from .config import ConfigError, ProviderConfig, Quota
from .credentials import Credentials, masked
from .directory import Directory
from .ledger import Ledger
from .router import Router

log = logging.getLogger("flowai.providers")


class ProviderAdmin:
    def __init__(self, router: Router, credentials: Credentials, config: ProviderConfig, ledger: Ledger):
        self.router = router
        self.credentials = credentials
        self.config = config
        self.ledger = ledger

    def providers(self) -> list[dict[str, Any]]:
        out = []
        usage = {kind: self.ledger.used_by_provider(kind) for kind in ("day", "month")}
        zero = dict.fromkeys(("calls", "tokens", "characters", "seconds", "images", "cost"), 0.0)
        for spec in CATALOG.values():
            cred = self.credentials.get(spec.name)
            quota = self.config.quota(spec.name)
            used = usage[quota.period if quota else "day"].get(spec.name) or dict(zero)
            out.append(
                {
                    "name": spec.name,
                    "title": spec.title,
                    "tasks": list(spec.tasks),
                    "configured": cred.configured,
                    "source": cred.source,
                    "masked_key": masked(cred.api_key),
                    "base_url": cred.base_url if cred.configured or cred.base_url_overridden else spec.base_url,
                    "cooling_down_until": self.router.cooling_until(spec.name),
                    "quota": quota.as_dict() if quota else None,
                    "usage": used,
                    "remaining": max(0.0, quota.limit - used[quota.unit]) if quota else None,
                    "env": list(spec.key_env) + list(spec.option_env.values()),
                }
            )
        return out

    # -- credentials --

    def set_credential(
        self, name: str, *, api_key: str | None, base_url: str | None = None, options: dict | None = None
    ) -> None:
        self._known(name)
        if base_url and not base_url.strip().lower().startswith(("http://", "https://")):
            raise InputError("base_url must be an http(s) URL.", detail={"base_url": "invalid"})
        if options:
            allowed = set(CATALOG[name].option_env)
            wrong = set(options) - allowed
            if wrong:
                raise InputError(
                    f"Unknown option(s) {', '.join(sorted(wrong))} for {name}; "
                    f"options: {', '.join(sorted(allowed)) or 'none'}.",
                    detail={"options": "invalid"},
                )
        self.credentials.set(name, api_key=api_key, base_url=base_url, options=options)

    def clear_credential(self, name: str) -> None:
        self._known(name)
        self.credentials.clear(name)

    # -- routing settings --

    def priorities(self) -> dict[str, list[str]]:
        return {task: self.config.priorities(task) for task in TASKS}

    def set_priorities(self, task: str, names: list[str]) -> None:
        self._config(self.config.set_priorities, task, names)

    def set_quota(self, name: str, *, period: str | None, limit: float | None, unit: str = "calls") -> None:
        self._known(name)
        if period is None or limit is None:
            self.config.set_quota(name, None)
            return
        try:
            quota = Quota.parse({"period": period, "limit": limit, "unit": unit}, "quota")
        except ConfigError as exc:
            raise InputError(str(exc)) from None
        self.config.set_quota(name, quota)

    def timezone(self) -> str:
        return self.config.timezone()

    def set_timezone(self, tz: str) -> None:
        self._config(self.config.set_timezone, tz)

    # -- checks, budgets, charts --

    async def test_connection(self, name: str) -> tuple[bool, str]:
        """Ask the provider something cheap with the current credentials. Never raises."""
        try:
            self._known(name)
            cred = self.credentials.get(name)
            if not cred.configured:
                return False, f"Not configured: set {CATALOG[name].hint()} or enter a key."
            directory = self.router.providers
            client = directory.build(cred) if isinstance(directory, Directory) else directory.get(name)
            if client is None:
                return False, f"The {CATALOG[name].family} protocol is not available in this installation."
            if isinstance(client, Checkable):
                return True, str(await client.check())
            if isinstance(client, ChatProvider):
                request = ChatRequest(messages=[{"role": "user", "content": "ping"}], max_tokens=1)
                async with client.stream_chat(request) as stream:
                    async for _ in stream:
                        pass
                return True, f"{name} answered a 1-token chat."
            return False, "This provider has no connection test."
        except ProviderError as exc:
            return False, exc.message
        except Exception as exc:  # never raises: the page shows the reason
            log.warning("test connection of %s failed: %r", name, exc)
            return False, f"{type(exc).__name__}: {exc}"

    def budget(self, workflow_id: str) -> float | None:
        return self.ledger.budget(workflow_id)

    def set_budget(self, workflow_id: str, usd: float | None) -> None:
        if usd is not None and (isinstance(usd, bool) or not isinstance(usd, (int, float)) or usd < 0):
            raise InputError("A daily budget is a number of USD >= 0 (or null to remove it).")
        self.ledger.set_budget(workflow_id, None if usd is None else float(usd))

    def spent_today(self, workflow_id: str) -> float:
        return self.ledger.spent_today(workflow_id)

    def usage_by_day(self, days: int = 30) -> list[dict]:
        return self.ledger.usage_by_day(days)

    # -- helpers --

    @staticmethod
    def _known(name: str) -> None:
        if name not in CATALOG:
            raise NotFoundError(f"Unknown provider {name!r}; known providers: {', '.join(CATALOG)}.")

    @staticmethod
    def _config(setter, *args) -> None:
        try:
            setter(*args)
        except ConfigError as exc:
            raise InputError(str(exc)) from None
