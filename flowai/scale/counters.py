"""Rate-limit counters shared by every process on one PostgreSQL: a fixed window per limit, counted
with one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` (table ``counters``), so a limit of
60 a minute admits 60 across all replicas together, not 60 each. Expired windows are deleted
once a minute."""

from __future__ import annotations

import time

from psycopg_pool import AsyncConnectionPool

from .notify import conninfo

HIT = (
    "INSERT INTO counters (key, slot, hits, expires) VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (key, slot) DO UPDATE SET hits = counters.hits + 1 RETURNING hits"
)


class PgLimiter:
    def __init__(self, database_url: str):
        self.pool = AsyncConnectionPool(conninfo(database_url), min_size=1, max_size=8, open=False)
        self._swept = 0.0

    async def open(self) -> None:
        await self.pool.open()

    async def close(self) -> None:
        await self.pool.close()

    async def hit(self, key: str, limit: int, seconds: int) -> int | None:
        now = time.time()
        slot = int(now // seconds)
        ends = (slot + 1) * seconds
        async with self.pool.connection() as conn:
            row = await (await conn.execute(HIT, (key[:200], slot, ends + seconds))).fetchone()
            if now - self._swept > 60:
                self._swept = now
                await conn.execute("DELETE FROM counters WHERE expires < %s", (int(now),))
        if row is not None and row[0] <= limit:
            return None
        return max(1, int(ends - now + 0.999))
