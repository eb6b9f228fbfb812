"""Alerts and the weekly free-quota report, from the call statistics and the ledger.

An alert is raised when a provider's failure rate over ``[alerts] window`` reaches
``failure_rate`` (with at least ``min_calls`` calls in the window), or when ``quota_warn`` of a
quota is used in its current period. ``active()`` is what the admins' banner and
``GET /api/v1/providers/usage`` show; ``check()`` (run by the scheduler, never on a request)
posts the alerts that are new since the last check to ``[alerts] webhook``. The webhook goes
through the SSRF check (``flowai.net.web``; private targets only if an admin allowed them) and
is retried with exponential backoff (4 attempts); a webhook that stays down is logged, never raised.

Webhook bodies (JSON): ``{"type": "alert", "alerts": [...]}`` and
``{"type": "weekly_report", "report": {...}}``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from flowai.errors import FlowAIError
from flowai.net.web import WebClient

from .catalog import CATALOG
from .config import ProviderConfig
from .credentials import Credentials
from .ledger import Ledger, utc_now
from .monitor import WINDOWS, CallStats

log = logging.getLogger("flowai.providers")
WEBHOOK_ATTEMPTS = 4


class Alerts:
    def __init__(
        self,
        config: ProviderConfig,
        ledger: Ledger,
        stats: CallStats,
        credentials: Credentials,
        web: WebClient | None,
        *,
        now: Callable[[], datetime] = utc_now,
        retry_wait: float = 1.0,
    ):
        self.config = config
        self.ledger = ledger
        self.stats = stats
        self.credentials = credentials
        self.web = web
        self.now = now
        self.retry_wait = retry_wait
        self._raised: set[str] = set()  # keys of the alerts already sent
        self.sent: list[dict] = []  # webhook bodies delivered (the latest few), for the UI

    # -- what is wrong now --

    def active(self) -> list[dict[str, Any]]:
        settings = self.config.alerts
        out = []
        for name, s in self.stats.window(WINDOWS[settings.window]).items():
            rate = s["failure_rate"]
            if rate is not None and s["calls"] >= settings.min_calls and rate >= settings.failure_rate:
                out.append(
                    {
                        "kind": "failure_rate",
                        "provider": name,
                        "window": settings.window,
                        "failure_rate": rate,
                        "threshold": settings.failure_rate,
                        "calls": s["calls"],
                        "errors": s["errors"],
                        "message": f"{_title(name)}: {rate:.0%} of {s['calls']} calls failed in the last "
                        f"{settings.window} (threshold {settings.failure_rate:.0%}).",
                    }
                )
        used = {kind: self.ledger.used_by_provider(kind) for kind in ("day", "month")}
        for name in CATALOG:
            quota = self.config.quota(name)
            if quota is None or quota.limit <= 0:
                continue
            spent = (used[quota.period].get(name) or {}).get(quota.unit, 0.0)
            share = spent / quota.limit
            if share >= settings.quota_warn:
                out.append(
                    {
                        "kind": "quota",
                        "provider": name,
                        "period": quota.period,
                        "unit": quota.unit,
                        "used": spent,
                        "limit": quota.limit,
                        "share": round(share, 4),
                        "threshold": settings.quota_warn,
                        "message": f"{_title(name)}: {share:.0%} of its {quota.limit:g} {quota.unit} per "
                        f"{quota.period} quota is used ({max(0.0, quota.limit - spent):g} left).",
                    }
                )
        return out

    async def check(self) -> list[dict[str, Any]]:
        """Post the alerts that are new since the last check; returns them. Resolved alerts may be raised again."""
        active = await asyncio.to_thread(self.active)
        keys = {f"{a['kind']}:{a['provider']}": a for a in active}
        new = [a for k, a in keys.items() if k not in self._raised]
        self._raised = set(keys)
        if new:
            log.warning("provider alerts: %s", " ".join(a["message"] for a in new))
            await self.send({"type": "alert", "alerts": new, "at": self.now().isoformat()})
        return new

    # -- the weekly report --

    def report(self, now: datetime | None = None) -> dict[str, Any]:
        """What each provider has left of its quota this period, and its week's calls."""
        now = now or self.now()
        week = self.stats.window(WINDOWS["week"])
        used = {kind: self.ledger.used_by_provider(kind) for kind in ("day", "month")}
        providers = []
        for spec in CATALOG.values():
            quota = self.config.quota(spec.name)
            configured = self.credentials.get(spec.name).configured
            if not configured and quota is None:
                continue
            period = quota.period if quota else "month"
            spent = used[period].get(spec.name) or {}
            item: dict[str, Any] = {
                "provider": spec.name,
                "title": spec.title,
                "configured": configured,
                "quota": quota.as_dict() if quota else None,
                "period": self.ledger.period(period),
                "used": spent.get(quota.unit, 0.0) if quota else spent.get("calls", 0.0),
                "remaining": max(0.0, quota.limit - spent.get(quota.unit, 0.0)) if quota else None,
                "week": week.get(spec.name) or {"calls": 0, "success_rate": None},
            }
            item["share_used"] = round(item["used"] / quota.limit, 4) if quota and quota.limit else None
            providers.append(item)
        local = now.astimezone(self.config.zone())
        iso = local.isocalendar()
        return {
            "generated_at": now.isoformat(),
            "week": f"{iso.year}-W{iso.week:02d}",
            "timezone": self.config.timezone(),
            "providers": providers,
        }

    # -- the webhook --

    async def send(self, body: dict[str, Any]) -> bool:
        """POST ``body`` to the webhook, retried; True when it answered 2xx. Never raises."""
        url, web = self.config.alerts.webhook, self.web
        if not url or web is None:
            return False
        content = orjson.dumps(body)

        async def post() -> bool:
            try:
                resp = await web.request(
                    "POST",
                    url,
                    headers={"content-type": "application/json", "user-agent": "FlowAI-alerts"},
                    content=content,
                    timeout=10.0,
                    follow_redirects=False,
                    what="alert webhook",
                )
            except FlowAIError as exc:
                log.warning("alert webhook: %s", exc.message)
                return False
            if not 200 <= resp.status < 300:
                log.warning("alert webhook answered HTTP %s", resp.status)
            return 200 <= resp.status < 300

        for attempt in range(WEBHOOK_ATTEMPTS):
            if await post():
                self.sent = [*self.sent[-19:], body]
                return True
            if attempt < WEBHOOK_ATTEMPTS - 1:
                await asyncio.sleep(min(30.0, self.retry_wait * 2**attempt))
        return False


def _title(name: str) -> str:
    return CATALOG[name].title if name in CATALOG else name
