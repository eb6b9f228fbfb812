"""The in-process scheduler: checks alerts every minute and sends the weekly free-quota report.

A plain asyncio task started by the platform (no cron). Each ``tick`` writes the call
statistics gathered since the last one to the database (``CallStats.flush``), runs the alert check
and, when the report is due, builds it (``Alerts.report``), keeps it in the database (the
Providers page shows the last one) and posts it to the alert webhook. The report is due at
``[alerts] report_day`` / ``report_hour`` in the quotas' time zone, once a week; the first
one is the first such moment after the scheduler started. ``now`` is injectable, so a test
calls ``tick`` after moving the clock instead of waiting a week. With several processes on
one database, the stored report's week keeps a second process from sending it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from .alerts import Alerts
from .config import WEEKDAYS
from .ledger import utc_now

log = logging.getLogger("flowai.providers")
REPORT_KEY = "weekly_report"


class Scheduler:
    def __init__(self, alerts: Alerts, *, interval: float = 60.0, now: Callable[[], datetime] = utc_now):
        self.alerts = alerts
        self.config = alerts.config
        self.interval = interval
        self.now = now
        self.started_at = now()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self.started_at = self.now()
            self._task = asyncio.create_task(self._loop(), name="flowai-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.tick()

    async def tick(self) -> None:
        """One round: the alert check, then the weekly report if it is due. Never raises."""
        try:
            await asyncio.to_thread(self.alerts.stats.flush)
            await self.alerts.check()
            if self.report_due():
                await self.send_report()
        except Exception:  # the loop must survive a bad round (a database hiccup)
            log.exception("scheduler round failed")

    # -- the weekly report --

    def last_report(self) -> dict | None:
        return self.config.state(REPORT_KEY)

    def next_report(self, after: datetime) -> datetime:
        """The first report moment strictly after ``after`` (an aware datetime)."""
        settings = self.config.alerts
        local = after.astimezone(self.config.zone())
        day = local.replace(hour=settings.report_hour, minute=0, second=0, microsecond=0)
        day += timedelta(days=(WEEKDAYS.index(settings.report_day) - local.weekday()) % 7)
        if day <= local:
            day += timedelta(days=7)
        return day

    def report_due(self) -> bool:
        last = self.last_report()
        since = datetime.fromisoformat(last["generated_at"]) if last else self.started_at
        return self.now() >= self.next_report(since)

    async def send_report(self) -> dict:
        report = await asyncio.to_thread(self.alerts.report, self.now())
        last = self.last_report()
        if last and last.get("week") == report["week"]:
            return last  # another process sent this week's report
        await asyncio.to_thread(self.config.put_state, REPORT_KEY, report)
        await self.alerts.send({"type": "weekly_report", "report": report})
        return report
