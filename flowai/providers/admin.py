"""Provider administration: what the providers page and the management API read and change.

``ProviderAdmin`` is exposed as ``platform.provider_admin``. Keys are never returned in clear
(``masked_key`` only). Changes are instance-wide; callers check that the user is an admin.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flowai.errors import InputError, NotFoundError, ProviderError
from flowai.net.netcheck import private_address

from .base import TASKS, ChatProvider, ChatRequest, Checkable
from .catalog import CATALOG
from .config import ConfigError, ProviderConfig, Quota
from .credentials import Credentials, masked
from .directory import Directory
from .ledger import Ledger
from .model_lists import ModelLists
from .router import Router

if TYPE_CHECKING:
    from .alerts import Alerts
    from .scheduler import Scheduler

log = logging.getLogger("flowai.providers")
NO_SUCH_ROUTE = frozenset({404, 405, 501})  # a probe route the server lacks (not a verdict on the endpoint)


class ProviderAdmin:
    def __init__(
        self,
        router: Router,
        credentials: Credentials,
        config: ProviderConfig,
        ledger: Ledger,
        *,
        alerts: Alerts | None = None,
        scheduler: Scheduler | None = None,
        allow_private: bool = False,
    ):
        self.router = router
        self.credentials = credentials
        self.config = config
        self.ledger = ledger
        self.alerts = alerts
        self.scheduler = scheduler
        self.allow_private = allow_private  # FLOWAI_ALLOW_PRIVATE_URLS: base URLs may be private addresses
        self.model_lists = ModelLists(router.providers)  # what each provider serves, for the model picker

    def providers(self) -> list[dict[str, Any]]:
        out = []
        usage = {kind: self.ledger.used_by_provider(kind) for kind in ("day", "month")}
        zero = dict.fromkeys(("calls", "tokens", "characters", "seconds", "images", "cost"), 0.0)
        refused = getattr(self.router.providers, "refused", lambda name: False)
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
                    "env_var": cred.env_name,
                    "test_only": self.config.test_only(spec.name),
                    "refused": refused(spec.name),
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

    def readiness(self) -> tuple[set[str], dict[str, list[str]]]:
        """The providers with credentials (a test-only key in production does not count), and per
        task the configured ones ``auto`` routing would try, in priority order."""
        refused = getattr(self.router.providers, "refused", lambda name: False)
        configured = {n for n in CATALOG if self.credentials.get(n).configured and not refused(n)}
        return configured, {task: [n for n in self.config.priorities(task) if n in configured] for task in TASKS}

    async def model_choices(self, task: str) -> list[dict[str, Any]]:
        """The providers serving ``task`` in priority order, each with the models it serves (its own
        list, cached, where it has one; else the catalog's defaults) and whether it is configured."""
        configured, _ = self.readiness()
        return await self.model_lists.choices(task, self.config.priorities(task), configured=configured)

    # -- credentials --

    def set_credential(
        self,
        name: str,
        *,
        api_key: str | None,
        base_url: str | None = None,
        options: dict | None = None,
        allow_private_base_url: bool = False,
    ) -> None:
        """Store what an admin entered. A base URL on a private or internal address (a way to point
        a key, and the server, at the inside network) needs FLOWAI_ALLOW_PRIVATE_URLS or this
        provider's explicit ``allow_private_base_url``; the environment's key is never sent to a
        base URL entered here on another origin (``Credentials.get``)."""
        self._known(name)
        if base_url and not base_url.strip().lower().startswith(("http://", "https://")):
            raise InputError("base_url must be an http(s) URL.", detail={"base_url": "invalid"})
        if base_url and not (self.allow_private or allow_private_base_url):
            address = private_address(base_url.strip())
            if address is not None:
                raise InputError(
                    f"The base_url points to a private or internal address ({address}); allow it for this "
                    "provider (allow_private_base_url) or for the instance (FLOWAI_ALLOW_PRIVATE_URLS=1).",
                    detail={"base_url": "private"},
                )
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

    def environment(self) -> str:
        """FLOWAI_ENV of this instance (development, production or test)."""
        return getattr(self.router.providers, "environment", "development")

    def set_test_only(self, name: str, value: bool) -> None:
        self._known(name)
        self.config.set_test_only(name, value)

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
                try:
                    return True, str(await client.check())
                except ProviderError as exc:
                    # Many OpenAI-compatible servers serve chat but no model list: that route's absence
                    # says nothing about the endpoint, so ask for one token instead.
                    if exc.http_status not in NO_SUCH_ROUTE or not isinstance(client, ChatProvider):
                        raise
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

    # -- monitoring --

    def health(self) -> dict[str, dict[str, dict]]:
        """Per window (hour, day, week) and provider: calls, success rate, p50/p95 latency, error classes."""
        stats = self.router.stats
        return stats.windows() if stats is not None else {"hour": {}, "day": {}, "week": {}}

    def active_alerts(self) -> list[dict]:
        return self.alerts.active() if self.alerts is not None else []

    def weekly_report(self) -> dict[str, Any]:
        """The last weekly report sent (None before the first) and the figures as of now."""
        last = self.scheduler.last_report() if self.scheduler is not None else None
        nxt = self.scheduler.next_report(self.ledger.now()).isoformat() if self.scheduler is not None else None
        current = self.alerts.report() if self.alerts is not None else None
        return {"last": last, "current": current, "next_report_at": nxt}

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
