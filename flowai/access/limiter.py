"""Rate limits behind one small protocol, so that every process of a scaled deployment can count
against the same limit: :class:`LocalLimiter` (this process, a moving window of the ``limits``
package) is the embedded default; ``flowai.scale.counters.PgLimiter`` counts in PostgreSQL."""

from __future__ import annotations

import time
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, seconds: int, *, exact: bool = False) -> int | None:
        """Count one hit of ``key`` (at most ``limit`` per ``seconds``): None when admitted, else
        the whole seconds until there is room again (the hit is refused). ``exact``: a moving
        window even where a fixed one is cheaper."""

    async def peek(self, key: str, limit: int, seconds: int) -> int | None:
        """Without counting: None while a hit of ``key`` would be admitted in a moving window of
        ``limit`` per ``seconds``, else the whole seconds until it would."""


class LocalLimiter:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._items: dict[tuple[int, int], RateLimitItemPerSecond] = {}
        # key -> when its latest hit leaves its window: a key with none inside its window is
        # admitted without asking the storage (the lockout check of every API request, where
        # almost no address ever failed)
        self._until: dict[str, float] = {}

    async def hit(self, key: str, limit: int, seconds: int, *, exact: bool = False) -> int | None:
        now = time.monotonic()
        self._until[key] = max(self._until.get(key, 0.0), now + seconds + 1)
        if len(self._until) > 100_000:
            self._until = {k: t for k, t in self._until.items() if t > now}
        item = self._item(limit, seconds)
        if await self._limiter.hit(item, key):
            return None
        return await self._retry(item, key)

    async def peek(self, key: str, limit: int, seconds: int) -> int | None:
        if limit >= 1 and self._until.get(key, 0.0) < time.monotonic():
            return None  # no hit inside the window
        item = self._item(limit, seconds)
        if await self._limiter.test(item, key):
            return None
        return await self._retry(item, key)

    def _item(self, limit: int, seconds: int) -> RateLimitItemPerSecond:
        item = self._items.get((limit, seconds))
        if item is None:
            item = self._items[(limit, seconds)] = RateLimitItemPerSecond(limit, seconds)
        return item

    async def _retry(self, item: RateLimitItemPerSecond, key: str) -> int:
        reset = (await self._limiter.get_window_stats(item, key)).reset_time
        return max(1, int(reset - time.time() + 0.999))
