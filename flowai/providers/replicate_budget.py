"""Replicate's account-wide request budgets: callers *wait* for budget instead of hitting 429.

Replicate allows 600 prediction creates per minute per account (3,000 per minute on other
endpoints). ``Budget.shared`` hands every client of the same account and base URL in this
process the same budget, so all concurrent runs draw from one pool.

A request holds a slot while it is in flight and enters the moving window (the ``limits``
package) when its answer arrives. Replicate counts a request when it receives it, which is
before its answer reaches us, so what Replicate counts in any window never exceeds the limit,
whatever the network or a busy server does to arrival times. Waiters queue in arrival order
(one asyncio lock): only the head of the queue sleeps, until the oldest request leaves the
window or one in flight comes back. A 429 answered anyway (another process on the same
account, a lower limit for a low balance) blocks the whole budget for the time Replicate gave.

Several processes on one account (a scaled deployment) also count every request in one shared
moving window (``Budget.counter``, set by the platform: flowai.scale.counters in PostgreSQL), so
all replicas and workers together stay within the account's limit.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar, Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

KEY = "requests"


class SharedCounter(Protocol):
    """flowai.access.limiter.Limiter, as far as a budget uses it."""

    async def hit(self, key: str, limit: int, seconds: int, *, exact: bool = False) -> int | None: ...


class Budget:
    _shared: ClassVar[dict[tuple, Budget]] = {}
    counter: ClassVar[SharedCounter | None] = None  # every process of the deployment counts here too

    def __init__(self, limit: int, window: int):
        if limit < 1 or window < 1:
            raise ValueError("a budget needs limit >= 1 and a window of >= 1 whole seconds")
        self.limit, self.window = limit, window
        self.item = RateLimitItemPerSecond(limit, window)
        self.blocked_until = 0.0  # wall clock; set by a 429
        self.waited = 0  # callers that had to wait (for tests and logs)
        self.in_flight = 0  # requests sent and not yet answered
        self.account = ""  # its key in the shared counter
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def shared(cls, kind: str, base_url: str, api_key: str | None, limit: int, window: int) -> Budget:
        """The process-wide budget of one account (by base URL and key) for ``kind`` of request."""
        account = hashlib.sha256(f"{base_url}\0{api_key or ''}".encode()).hexdigest()[:24]
        key = (kind, account, limit, window)
        budget = cls._shared.get(key)
        if budget is None:
            budget = cls._shared[key] = cls(limit, window)
            budget.account = f"replicate:{kind}:{account}"
        return budget

    def _bind(self) -> None:
        # asyncio primitives belong to one loop; a new loop (another test, a restarted server) starts afresh.
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._limiter = MovingWindowRateLimiter(MemoryStorage())
            self._queue = asyncio.Lock()
            self._returned = asyncio.Event()
            self.in_flight = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one request's place: wait for budget, send inside the block; it counts from its answer."""
        await self._acquire()
        try:
            yield
        finally:
            await self._release()

    async def _acquire(self) -> None:
        self._bind()
        waited = self._queue.locked()  # someone ahead is already waiting for budget
        async with self._queue:
            while True:
                blocked = self.blocked_until - time.time()
                if blocked > 0:
                    waited = True
                    await asyncio.sleep(blocked)
                    continue
                if await self._limiter.test(self.item, KEY, cost=self.in_flight + 1):
                    shared = await self._shared_wait()
                    if shared:
                        waited = True
                        await asyncio.sleep(min(shared, 1.0))
                        continue
                    self.in_flight += 1
                    break
                waited = True
                stats = await self._limiter.get_window_stats(self.item, KEY)
                in_window = self.limit - stats.remaining
                timeout = max(stats.reset_time - time.time(), 0.001) if in_window else None
                self._returned.clear()
                try:  # the oldest request leaves the window, or one in flight comes back
                    await asyncio.wait_for(self._returned.wait(), timeout)
                except TimeoutError:
                    pass
        if waited:
            self.waited += 1

    async def _shared_wait(self) -> float:
        """Seconds to wait for the deployment's shared window (0: this request may go)."""
        counter = Budget.counter
        if counter is None or not self.account:
            return 0.0
        return float(await counter.hit(self.account, self.limit, self.window, exact=True) or 0)

    async def _release(self) -> None:
        try:
            await asyncio.shield(self._limiter.hit(self.item, KEY))
        finally:
            self.in_flight -= 1
            self._returned.set()

    def block(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (Replicate said the budget is spent)."""
        self.blocked_until = max(self.blocked_until, time.time() + seconds)
