"""Usage, quotas and budgets in the database: what the router counts, per provider and period.

Periods are days and months of the configured time zone (``ProviderConfig.timezone``): a
day quota resets at that zone's midnight, a month quota on the 1st. ``now`` is injectable so
tests can cross midnight. Everything is in the database, so nothing is lost on a restart and
every process on the same database shares the counters. Methods are synchronous (the router
runs them in a worker thread).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flowai.errors import BudgetExceededError

from .base import Usage
from .config import UNITS, ProviderConfig, Quota
from .store import ProviderStore

BUDGET_CACHE_TTL = 5.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Reservation:
    provider: str
    period: str
    unit: str
    amount: float


def units_of(usage: Usage) -> dict[str, float]:
    return {
        "calls": 1,
        "tokens": (usage.prompt_tokens or 0) + (usage.completion_tokens or 0),
        "characters": usage.characters or 0,
        "seconds": usage.seconds or 0,
        "images": usage.images or 0,
        "cost": usage.cost or 0.0,
    }


@dataclass(frozen=True, slots=True)
class SpendHold:
    """A call's estimated cost, counted against its workflow's daily budget until the call ends."""

    workflow_id: str
    day: str
    amount: float


class Ledger:
    def __init__(self, store: ProviderStore, config: ProviderConfig, *, now: Callable[[], datetime] = utc_now):
        self.store = store
        self.config = config
        self.now = now
        self._budgets: dict[str, tuple[float, float | None]] = {}

    # -- periods of the configured zone --

    def local_now(self) -> datetime:
        return self.now().astimezone(self.config.zone())

    def period(self, kind: str) -> str:
        local = self.local_now()
        return local.strftime("%Y-%m-%d") if kind == "day" else local.strftime("%Y-%m")

    def seconds_to_midnight(self) -> int:
        local = self.local_now()
        tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(1, int((tomorrow - local).total_seconds()))

    # -- quotas --

    def reserve(self, provider: str, quota: Quota, amount: float) -> Reservation | None:
        """Count ``amount`` against the quota before a call; None when it would go over."""
        res = Reservation(provider, self.period(quota.period), quota.unit, amount)
        ok = self.store.reserve(provider=provider, period=res.period, unit=res.unit, amount=amount, limit=quota.limit)
        return res if ok else None

    def release(self, res: Reservation) -> None:
        self.store.release(provider=res.provider, period=res.period, unit=res.unit, amount=res.amount)

    def used(self, provider: str, kind: str = "day") -> dict[str, float]:
        """What the provider used in the current day or month, per unit."""
        return self.used_by_provider(kind).get(provider) or dict.fromkeys(UNITS, 0.0)

    def used_by_provider(self, kind: str = "day") -> dict[str, dict[str, float]]:
        return self.store.usage(periods=[self.period(kind)])

    # -- usage --

    def record(
        self,
        usage: Usage,
        *,
        workflow_id: str | None,
        reservation: Reservation | None,
        spend: SpendHold | None = None,
    ) -> None:
        """Count a served call: its units in the provider's day and month, its cost for the workflow
        (the estimate held for it replaced by the real figure)."""
        units = units_of(usage)
        day, month = self.period("day"), self.period("month")
        periods = {}
        for period in (day, month):
            values = dict(units)
            if reservation is not None and reservation.period == period:
                values[reservation.unit] -= reservation.amount  # already counted when reserved
            periods[period] = values
        release = None
        if spend is not None and (spend.day != day or spend.workflow_id != workflow_id):
            release, spend = (spend.workflow_id, spend.day, spend.amount), None  # held for another day
        held = spend.amount if spend is not None else 0.0
        cost = (workflow_id, day, units["cost"] - held) if workflow_id else None
        self.store.add_usage(provider=usage.provider, periods=periods, spend=cost, release=release)

    def record_failure(self, provider: str) -> None:
        periods = {self.period(kind): {"failures": 1.0} for kind in ("day", "month")}
        self.store.add_usage(provider=provider, periods=periods)

    def usage_by_day(self, days: int = 30) -> list[dict]:
        first = (self.local_now() - timedelta(days=max(days, 1) - 1)).strftime("%Y-%m-%d")
        return self.store.daily_usage(first_day=first)

    # -- budgets --

    def cached_budget(self, workflow_id: str) -> tuple[bool, float | None]:
        """(known, budget) from memory, so most calls need no database read to check it."""
        hit = self._budgets.get(workflow_id)
        if hit is not None and time.monotonic() - hit[0] < BUDGET_CACHE_TTL:
            return True, hit[1]
        return False, None

    def budget(self, workflow_id: str) -> float | None:
        known, value = self.cached_budget(workflow_id)
        if known:
            return value
        value = self.store.budget(workflow_id=workflow_id)
        if len(self._budgets) > 10_000:
            self._budgets.clear()
        self._budgets[workflow_id] = (time.monotonic(), value)
        return value

    def set_budget(self, workflow_id: str, usd: float | None) -> None:
        self.store.put_budget(workflow_id=workflow_id, daily_usd=usd)
        self._budgets.pop(workflow_id, None)

    def hold_spend(self, workflow_id: str, amount: float) -> SpendHold | None:
        """Hold a call's estimated cost against the workflow's daily budget: None without a budget;
        BudgetExceededError when nothing of it is left (checked and counted in one statement)."""
        budget = self.budget(workflow_id)
        if budget is None:
            return None
        hold = SpendHold(workflow_id, self.period("day"), max(0.0, amount))
        if not self.store.hold_spend(workflow_id=workflow_id, day=hold.day, amount=hold.amount, limit=budget):
            raise self.budget_error(budget, self.spent_today(workflow_id))
        return hold

    def release_spend(self, hold: SpendHold) -> None:
        self.store.release_spend(workflow_id=hold.workflow_id, day=hold.day, amount=hold.amount)

    def budget_error(self, budget: float, spent: float) -> BudgetExceededError:
        wait = self.seconds_to_midnight()
        return BudgetExceededError(
            f"The workflow's daily budget of ${budget:g} is spent (${spent:.4f} today); provider calls resume "
            f"after midnight ({self.config.timezone()}), in {wait} s, or raise the budget.",
            retry_after=wait,
            detail={"budget": budget, "spent": round(spent, 6), "retry_after": wait},
        )

    def spent_today(self, workflow_id: str) -> float:
        return self.store.workflow_spend(workflow_id=workflow_id, day=self.period("day"))
