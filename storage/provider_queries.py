"""Queries of the provider router: credentials, settings, usage counters, quotas, budgets.

Counters only ever move by one statement (an upsert adding to the columns, or a conditional
UPDATE), so concurrent processes on SQLite or PostgreSQL never lose an increment, and a quota
reservation (``UPDATE … SET used = used + n WHERE used + n <= limit``) never overspends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from .models import (
    ProviderCallSlot,
    ProviderCredential,
    ProviderSetting,
    ProviderUsage,
    WorkflowBudget,
    WorkflowSpend,
    utcnow,
)

UNITS = ("calls", "tokens", "characters", "seconds", "images", "cost")
COUNTERS = UNITS + ("failures",)


def _insert(s: Session, table):
    return (postgresql.insert if s.get_bind().dialect.name == "postgresql" else sqlite.insert)(table)


def _add(s: Session, table, keys: dict[str, Any], values: dict[str, float]) -> None:
    """Add ``values`` to the row ``keys`` of ``table``, creating it at zero first if needed."""
    values = {k: v for k, v in values.items() if v}
    stmt = _insert(s, table).values(**keys, **values)
    if values:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={k: getattr(table, k) + stmt.excluded[k] for k in values}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(keys))
    s.exec(stmt)


# call outcomes (flowai/providers/monitor.py) -------------------------------------------------


def put_call_slots(s: Session, *, rows: Iterable[dict[str, Any]]) -> None:
    """Write a process's slots (each row whole: its runner owns it, so a replace loses nothing)."""
    for row in rows:
        s.merge(ProviderCallSlot(**row))


def call_slots(s: Session, *, since: int, exclude_runner: str) -> list[ProviderCallSlot]:
    """Every process's slots from ``since`` on, but ``exclude_runner``'s (it has fresher ones in memory)."""
    query = select(ProviderCallSlot).where(ProviderCallSlot.slot >= since, ProviderCallSlot.runner != exclude_runner)
    return list(s.exec(query).all())


def delete_call_slots(s: Session, *, before: int) -> None:
    s.exec(delete(ProviderCallSlot).where(col(ProviderCallSlot.slot) < before))


# credentials ---------------------------------------------------------------------------------


def credentials(s: Session) -> list[ProviderCredential]:
    return list(s.exec(select(ProviderCredential)).all())


def put_credential(s: Session, *, name: str, api_key: str | None, base_url: str | None, options: str | None) -> None:
    s.merge(ProviderCredential(name=name, api_key=api_key, base_url=base_url, options=options, updated_at=utcnow()))


def delete_credential(s: Session, *, name: str) -> None:
    s.exec(delete(ProviderCredential).where(col(ProviderCredential.name) == name))


# settings ------------------------------------------------------------------------------------


def settings(s: Session) -> dict[str, Any]:
    return {row.key: row.value for row in s.exec(select(ProviderSetting)).all()}


def put_setting(s: Session, *, key: str, value: Any) -> None:
    s.merge(ProviderSetting(key=key, value=value, updated_at=utcnow()))


# usage and quotas ----------------------------------------------------------------------------


def reserve(s: Session, *, provider: str, period: str, unit: str, amount: float, limit: float) -> bool:
    """Count ``amount`` of ``unit`` against the quota if it stays within ``limit``; True if it did."""
    column = getattr(ProviderUsage, _unit(unit))
    _add(s, ProviderUsage, {"provider": provider, "period": period}, {})
    moved = s.exec(
        update(ProviderUsage)
        .where(col(ProviderUsage.provider) == provider, col(ProviderUsage.period) == period, column + amount <= limit)
        .values({column.key: column + amount})
    )
    return moved.rowcount == 1


def release(s: Session, *, provider: str, period: str, unit: str, amount: float) -> None:
    column = getattr(ProviderUsage, _unit(unit))
    s.exec(
        update(ProviderUsage)
        .where(col(ProviderUsage.provider) == provider, col(ProviderUsage.period) == period)
        .values({column.key: column - amount})
    )


def add_usage(s: Session, *, provider: str, period: str, values: dict[str, float]) -> None:
    _add(s, ProviderUsage, {"provider": provider, "period": period}, {k: v for k, v in values.items() if k in COUNTERS})


def usage(s: Session, *, periods: Iterable[str], provider: str | None = None) -> list[ProviderUsage]:
    q = select(ProviderUsage).where(col(ProviderUsage.period).in_(list(periods)))
    if provider is not None:
        q = q.where(ProviderUsage.provider == provider)
    return list(s.exec(q).all())


def daily_usage(s: Session, *, first_day: str) -> list[ProviderUsage]:
    """Per-day rows (periods of 10 characters) from ``first_day`` on, oldest first."""
    q = (
        select(ProviderUsage)
        .where(func.length(ProviderUsage.period) == 10, ProviderUsage.period >= first_day)
        .order_by(ProviderUsage.period, ProviderUsage.provider)
    )
    return list(s.exec(q).all())


def _unit(unit: str) -> str:
    if unit not in UNITS:
        raise ValueError(f"unknown quota unit {unit!r}")
    return unit


# workflow budgets ----------------------------------------------------------------------------


def add_workflow_spend(s: Session, *, workflow_id: str, day: str, cost: float, calls: int = 1) -> None:
    _add(s, WorkflowSpend, {"workflow_id": workflow_id, "day": day}, {"calls": calls, "cost": cost})


def hold_spend(s: Session, *, workflow_id: str, day: str, amount: float, limit: float) -> bool:
    """Count an estimated ``amount`` against a daily budget while some of it is left; True if it did.
    One conditional UPDATE, so concurrent calls are admitted one by one against the running total."""
    _add(s, WorkflowSpend, {"workflow_id": workflow_id, "day": day}, {})
    moved = s.exec(
        update(WorkflowSpend)
        .where(
            col(WorkflowSpend.workflow_id) == workflow_id,
            col(WorkflowSpend.day) == day,
            col(WorkflowSpend.cost) < limit,
        )
        .values(cost=col(WorkflowSpend.cost) + amount)
    )
    return moved.rowcount == 1


def release_spend(s: Session, *, workflow_id: str, day: str, amount: float) -> None:
    s.exec(
        update(WorkflowSpend)
        .where(col(WorkflowSpend.workflow_id) == workflow_id, col(WorkflowSpend.day) == day)
        .values(cost=col(WorkflowSpend.cost) - amount)
    )


def workflow_spend(s: Session, *, workflow_id: str, day: str) -> float:
    row = s.get(WorkflowSpend, (workflow_id, day))
    return row.cost if row is not None else 0.0


def budget(s: Session, *, workflow_id: str) -> float | None:
    row = s.get(WorkflowBudget, workflow_id)
    return row.daily_usd if row is not None else None


def budgets_spent(s: Session, *, day: str) -> list[tuple[str, float, float]]:
    """(workflow id, daily budget, spend on ``day``) of every workflow with a budget."""
    spend = (
        select(WorkflowBudget.workflow_id, WorkflowBudget.daily_usd, WorkflowSpend.cost)
        .join(
            WorkflowSpend,
            (col(WorkflowSpend.workflow_id) == col(WorkflowBudget.workflow_id)) & (col(WorkflowSpend.day) == day),
            isouter=True,
        )
        .order_by(col(WorkflowBudget.workflow_id))
    )
    return [(wf, budget, cost or 0.0) for wf, budget, cost in s.exec(spend).all()]


def put_budget(s: Session, *, workflow_id: str, daily_usd: float | None) -> None:
    if daily_usd is None:
        s.exec(delete(WorkflowBudget).where(col(WorkflowBudget.workflow_id) == workflow_id))
    else:
        s.merge(WorkflowBudget(workflow_id=workflow_id, daily_usd=daily_usd, updated_at=utcnow()))
