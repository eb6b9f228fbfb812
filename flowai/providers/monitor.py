"""Per-call outcomes of the providers: success rate, latency percentiles and error classes.

The router calls ``CallStats.observe`` once per attempt at a provider (a retry is another
attempt): a lock, a few dictionary updates and a histogram bisect, nothing else on the hot
path. Outcomes are kept in memory in five-minute slots for a week (older slots are dropped
when a new slot opens) and totals since start for ``/metrics``. ``flush`` (the scheduler calls
it every minute, and the platform at shutdown) writes the slots that changed to the database
in one transaction, each process its own rows; a window read (the Providers page,
``GET /api/v1/providers/usage``, a scrape, the alert check) merges this process's memory with
the other processes' rows, and with the rows of earlier runs, so a restart loses at most the
last minute. Rates and percentiles are computed only then. The ``/metrics`` totals are this
process's since its start, as Prometheus expects of a scraped process.

Error classes: ``rate_limited`` (429), ``quota`` (402: credit or plan exhausted), ``auth``
(401, 403), ``server`` (5xx), ``timeout``, ``connection``, ``bad_request`` (another 4xx: the
request's fault) and ``error`` (anything else, e.g. a malformed answer).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flowai.errors import ProviderError
from flowai.stats import BOUNDS, Histogram

from .store import ProviderStore

OK = "ok"
ERROR_CLASSES = ("rate_limited", "quota", "auth", "server", "timeout", "connection", "bad_request", "error")
WINDOWS = {"hour": 3600, "day": 86400, "week": 7 * 86400}
SLOT_SECONDS = 300


def error_class(exc: BaseException) -> str:
    """The class of a failed attempt (see the module docstring)."""
    status = getattr(exc, "http_status", None)
    if status == 429:
        return "rate_limited"
    if status == 402:
        return "quota"
    if status in (401, 403):
        return "auth"
    if status is not None and status >= 500:
        return "server"
    if status is not None and 400 <= status < 500:
        return "bad_request"
    text = (exc.message if isinstance(exc, ProviderError) else str(exc)).lower()
    if "timed out" in text or "did not answer" in text or "timeout" in text:
        return "timeout"
    if "connect" in text:
        return "connection"
    return "error"


@dataclass(slots=True)
class Tally:
    outcomes: dict[str, int] = field(default_factory=dict)
    latency: Histogram = field(default_factory=Histogram)

    def add(self, outcome: str, seconds: float) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.latency.observe(seconds)

    def merge(self, other: Tally) -> None:
        for k, n in other.outcomes.items():
            self.outcomes[k] = self.outcomes.get(k, 0) + n
        self.latency.add(other.latency)

    def summary(self) -> dict:
        calls = sum(self.outcomes.values())
        ok = self.outcomes.get(OK, 0)
        return {
            "calls": calls,
            "ok": ok,
            "failures": calls - ok,
            "success_rate": round(ok / calls, 4) if calls else None,
            "failure_rate": round((calls - ok) / calls, 4) if calls else None,
            "p50": self.latency.percentile(0.5),
            "p95": self.latency.percentile(0.95),
            "errors": {k: n for k, n in sorted(self.outcomes.items()) if k != OK},
        }


class CallStats:
    def __init__(
        self,
        store: ProviderStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        slot_seconds: int = SLOT_SECONDS,
        runner: str | None = None,
    ):
        self.store = store
        self.clock = clock
        self.slot_seconds = slot_seconds
        self.runner = runner or f"{socket.gethostname()}:{os.getpid()}"
        self._lock = threading.Lock()
        self._slots: dict[int, dict[str, Tally]] = {}  # slot number -> provider -> tally
        self._totals: dict[tuple[str, str], Tally] = {}  # (provider, task) -> tally since start
        self._dirty: set[tuple[int, str]] = set()  # (slot, provider) changed since the last flush

    def observe(self, provider: str, task: str, outcome: str, seconds: float) -> None:
        slot = int(self.clock() // self.slot_seconds)
        with self._lock:
            tallies = self._slots.get(slot)
            if tallies is None:
                tallies = self._slots[slot] = {}
                oldest = slot - WINDOWS["week"] // self.slot_seconds
                for old in [s for s in self._slots if s <= oldest]:
                    del self._slots[old]
            tally = tallies.get(provider)
            if tally is None:
                tally = tallies[provider] = Tally()
            tally.add(outcome, seconds)
            self._dirty.add((slot, provider))
            total = self._totals.get((provider, task))
            if total is None:
                total = self._totals[(provider, task)] = Tally()
            total.add(outcome, seconds)

    def window(self, seconds: float) -> dict[str, dict]:
        """Per provider, the summary of the attempts in the last ``seconds`` (whole slots)."""
        first = int((self.clock() - seconds) // self.slot_seconds) + 1
        merged: dict[str, Tally] = {}
        if self.store is not None:
            for row in self.store.call_slots(since=first, exclude_runner=self.runner):
                if len(row["latency"]) == len(BOUNDS) + 1:  # written with the same buckets
                    merged.setdefault(row["provider"], Tally()).merge(_tally_of(row))
        with self._lock:
            for slot, tallies in self._slots.items():
                if slot < first:
                    continue
                for provider, tally in tallies.items():
                    merged.setdefault(provider, Tally()).merge(tally)
        return {provider: tally.summary() for provider, tally in sorted(merged.items())}

    def flush(self) -> int:
        """Write the slots changed since the last flush (and forget rows older than a week); returns
        how many. Synchronous: call it from a worker thread."""
        if self.store is None:
            return 0
        with self._lock:
            rows = []
            for slot, provider in self._dirty:
                tally = self._slots.get(slot, {}).get(provider)
                if tally is not None:
                    rows.append(
                        {
                            "runner": self.runner,
                            "provider": provider,
                            "slot": slot,
                            "outcomes": dict(tally.outcomes),
                            "latency": list(tally.latency.counts),
                            "latency_sum": tally.latency.total,
                        }
                    )
            self._dirty.clear()
        oldest = int(self.clock() // self.slot_seconds) - WINDOWS["week"] // self.slot_seconds - 1
        self.store.put_call_slots(rows=rows)
        self.store.delete_call_slots(before=oldest)
        return len(rows)

    def windows(self) -> dict[str, dict[str, dict]]:
        return {name: self.window(seconds) for name, seconds in WINDOWS.items()}

    def totals(self) -> dict[tuple[str, str], Tally]:
        """Copies of the totals since start, per (provider, task), for ``/metrics``."""
        with self._lock:
            out = {}
            for key, tally in self._totals.items():
                copy = Tally()
                copy.merge(tally)
                out[key] = copy
            return out


def _tally_of(row: dict) -> Tally:
    latency = Histogram()
    latency.counts = [int(n) for n in row["latency"]]
    latency.count = sum(latency.counts)
    latency.total = float(row["latency_sum"])
    return Tally(dict(row["outcomes"]), latency)
