"""The provider gateway's persistent state behind one object: credentials, settings, usage
counters, quota reservations and workflow budgets. Each method is one transaction over
``provider_queries``; answers are plain values (no rows leave this module).

``flowai.providers.store.ProviderStore`` is the protocol it implements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from . import provider_queries as pq
from .db import session


class DbProviderStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # credentials (values as stored: encrypted by the caller) ---------------------------------
    def credentials(self) -> list[dict[str, Any]]:
        with session(self.engine) as s:
            return [
                {"name": r.name, "api_key": r.api_key, "base_url": r.base_url, "options": r.options}
                for r in pq.credentials(s)
            ]

    def put_credential(self, *, name: str, api_key: str | None, base_url: str | None, options: str | None) -> None:
        with session(self.engine) as s:
            pq.put_credential(s, name=name, api_key=api_key, base_url=base_url, options=options)
            s.commit()

    def delete_credential(self, *, name: str) -> None:
        with session(self.engine) as s:
            pq.delete_credential(s, name=name)
            s.commit()

    # settings -------------------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        with session(self.engine) as s:
            return pq.settings(s)

    def put_setting(self, *, key: str, value: Any) -> None:
        with session(self.engine) as s:
            pq.put_setting(s, key=key, value=value)
            s.commit()

    # quotas and usage -----------------------------------------------------------------------
    def reserve(self, *, provider: str, period: str, unit: str, amount: float, limit: float) -> bool:
        with session(self.engine) as s:
            ok = pq.reserve(s, provider=provider, period=period, unit=unit, amount=amount, limit=limit)
            s.commit()
        return ok

    def release(self, *, provider: str, period: str, unit: str, amount: float) -> None:
        with session(self.engine) as s:
            pq.release(s, provider=provider, period=period, unit=unit, amount=amount)
            s.commit()

    def add_usage(
        self,
        *,
        provider: str,
        periods: dict[str, dict[str, float]],
        spend: tuple[str, str, float] | None = None,
        release: tuple[str, str, float] | None = None,
    ) -> None:
        """Add each period's counters for the provider, with ``spend`` (workflow id, day, cost) the
        workflow's spend, and give back a spend hold ``release``: all in one transaction."""
        with session(self.engine) as s:
            for period, values in periods.items():
                pq.add_usage(s, provider=provider, period=period, values=values)
            if release is not None:
                pq.release_spend(s, workflow_id=release[0], day=release[1], amount=release[2])
            if spend is not None:
                pq.add_workflow_spend(s, workflow_id=spend[0], day=spend[1], cost=spend[2])
            s.commit()

    def usage(self, *, periods: list[str]) -> dict[str, dict[str, float]]:
        """Per provider, its counters in ``periods`` (callers pass one period)."""
        with session(self.engine) as s:
            rows = pq.usage(s, periods=periods)
        return {r.provider: {unit: getattr(r, unit) for unit in pq.UNITS} for r in rows}

    def daily_usage(self, *, first_day: str) -> list[dict[str, Any]]:
        with session(self.engine) as s:
            rows = pq.daily_usage(s, first_day=first_day)
        return [{"day": r.period, "provider": r.provider, **{c: getattr(r, c) for c in pq.COUNTERS}} for r in rows]

    # budgets --------------------------------------------------------------------------------
    def budget(self, *, workflow_id: str) -> float | None:
        with session(self.engine) as s:
            return pq.budget(s, workflow_id=workflow_id)

    def put_budget(self, *, workflow_id: str, daily_usd: float | None) -> None:
        with session(self.engine) as s:
            pq.put_budget(s, workflow_id=workflow_id, daily_usd=daily_usd)
            s.commit()

    def budgets_spent(self, *, day: str) -> list[dict[str, Any]]:
        with session(self.engine) as s:
            rows = pq.budgets_spent(s, day=day)
        return [{"workflow_id": wf, "daily_usd": budget, "spent": spent} for wf, budget, spent in rows]

    def workflow_spend(self, *, workflow_id: str, day: str) -> float:
        with session(self.engine) as s:
            return pq.workflow_spend(s, workflow_id=workflow_id, day=day)

    def hold_spend(self, *, workflow_id: str, day: str, amount: float, limit: float) -> bool:
        with session(self.engine) as s:
            ok = pq.hold_spend(s, workflow_id=workflow_id, day=day, amount=amount, limit=limit)
            s.commit()
        return ok

    def release_spend(self, *, workflow_id: str, day: str, amount: float) -> None:
        with session(self.engine) as s:
            pq.release_spend(s, workflow_id=workflow_id, day=day, amount=amount)
            s.commit()

    # call statistics (flowai.providers.monitor) ------------------------------------------------
    def put_call_slots(self, *, rows: list[dict[str, Any]]) -> None:
        with session(self.engine) as s:
            pq.put_call_slots(s, rows=rows)
            s.commit()

    def call_slots(self, *, since: int, exclude_runner: str) -> list[dict[str, Any]]:
        with session(self.engine) as s:
            return [r.model_dump() for r in pq.call_slots(s, since=since, exclude_runner=exclude_runner)]

    def delete_call_slots(self, *, before: int) -> None:
        with session(self.engine) as s:
            pq.delete_call_slots(s, before=before)
            s.commit()
