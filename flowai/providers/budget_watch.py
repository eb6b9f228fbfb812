"""Budget warnings: a workflow's spend today crossed the warning share of its daily budget.

The router calls :meth:`BudgetWatch.observe` after each priced call of a workflow with a budget.
The first call that finds the day's spend at or over ``threshold × budget`` warns — once per
crossing: the crossing is remembered (day, budget, threshold) in the provider settings, so other
processes and restarts do not warn again that day, while a new day, a changed budget or a changed
threshold can warn anew. A warning goes to every listener (the run manager records it in the
run's trace) and, when set, is POSTed to the budget webhook as
``{"type": "budget_warning", "warning": {...}}`` through the SSRF-checked client
(``flowai.net.web``), retried, in the background; a webhook that stays down is logged, never raised.
:meth:`BudgetWatch.warnings` is what the Providers page's banner shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import orjson

from flowai.errors import FlowAIError
from flowai.net.web import WebClient

from .config import ProviderConfig
from .ledger import Ledger

log = logging.getLogger("flowai.providers")
WEBHOOK_ATTEMPTS = 3
Listener = Callable[[dict[str, Any]], None]


class BudgetWatch:
    def __init__(self, config: ProviderConfig, ledger: Ledger, web: WebClient | None, *, retry_wait: float = 1.0):
        self.config = config
        self.ledger = ledger
        self.web = web
        self.retry_wait = retry_wait
        self.listeners: list[Listener] = []
        self.sent: list[dict[str, Any]] = []  # webhook bodies delivered (the latest few)
        self._tasks: set[asyncio.Task] = set()

    async def observe(self, workflow_id: str, *, run_id: str | None = None, node_id: str | None = None) -> dict | None:
        """Warn when this workflow's spend today has just crossed its warning share; the warning or None."""
        if self.ledger.cached_budget(workflow_id) == (True, None):
            return None  # no budget, nothing to warn of (and no hop to a thread to learn it)
        warning = await asyncio.to_thread(self._crossed, workflow_id)
        if warning is None:
            return None
        warning = {**warning, "run_id": run_id, "node_id": node_id}
        log.warning("%s", warning["message"])
        for listener in list(self.listeners):
            try:
                listener(warning)
            except Exception:  # a listener's bug must not fail the node that spent the money
                log.exception("budget warning listener failed")
        _, url = self.config.budget_warning()
        if url and self.web is not None:
            task = asyncio.create_task(self._post(url, {"type": "budget_warning", "warning": warning}))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return warning

    def _crossed(self, workflow_id: str) -> dict[str, Any] | None:
        budget = self.ledger.budget(workflow_id)
        if not budget:
            return None
        threshold, _ = self.config.budget_warning()
        spent = self.ledger.spent_today(workflow_id)
        if spent < threshold * budget:
            return None
        day = self.ledger.period("day")
        mark = f"{day}|{budget:g}|{threshold:g}"
        key = f"budget_warned:{workflow_id}"
        if self.config.state(key) == mark:
            return None
        self.config.put_state(key, mark)
        return _warning(workflow_id, day, budget, spent, threshold)

    def warnings(self) -> list[dict[str, Any]]:
        """Every workflow whose spend today is at or over the warning share of its budget (for banners)."""
        threshold, _ = self.config.budget_warning()
        day = self.ledger.period("day")
        rows = self.ledger.store.budgets_spent(day=day)
        return [
            _warning(r["workflow_id"], day, r["daily_usd"], r["spent"], threshold)
            for r in rows
            if r["daily_usd"] and r["spent"] >= threshold * r["daily_usd"]
        ]

    def warning_for(self, workflow_id: str) -> dict[str, Any] | None:
        """This workflow's warning, when its spend today is at or over the warning share of its budget."""
        budget = self.ledger.budget(workflow_id)
        if not budget:
            return None
        threshold, _ = self.config.budget_warning()
        spent = self.ledger.spent_today(workflow_id)
        return (
            _warning(workflow_id, self.ledger.period("day"), budget, spent, threshold)
            if spent >= threshold * budget
            else None
        )

    async def _post(self, url: str, body: dict[str, Any]) -> bool:
        web = self.web
        assert web is not None
        content = orjson.dumps(body)
        for attempt in range(WEBHOOK_ATTEMPTS):
            try:
                resp = await web.request(
                    "POST",
                    url,
                    headers={"content-type": "application/json", "user-agent": "FlowAI-budget"},
                    content=content,
                    timeout=10.0,
                    follow_redirects=False,
                    what="budget webhook",
                )
                if 200 <= resp.status < 300:
                    self.sent = [*self.sent[-19:], body]
                    return True
                log.warning("budget webhook answered HTTP %s", resp.status)
            except FlowAIError as exc:
                log.warning("budget webhook: %s", exc.message)
            if attempt < WEBHOOK_ATTEMPTS - 1:
                await asyncio.sleep(min(30.0, self.retry_wait * 2**attempt))
        return False

    async def aclose(self) -> None:
        """Wait for the webhook posts still under way (at shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _warning(workflow_id: str, day: str, budget: float, spent: float, threshold: float) -> dict[str, Any]:
    share = spent / budget
    return {
        "workflow_id": workflow_id,
        "day": day,
        "budget": budget,
        "spent": round(spent, 6),
        "share": round(share, 4),
        "threshold": threshold,
        "message": f"Workflow {workflow_id} has spent ${spent:.4f} today, {share:.0%} of its daily budget of "
        f"${budget:g} (warning at {threshold:.0%}); provider calls stop at 100%.",
    }
