"""Rate-limit counters shared by every process on one PostgreSQL (table ``counters``), so a limit of
60 a minute admits 60 across all replicas together, not 60 each:

- by default a fixed window per limit, counted with one atomic ``INSERT … ON CONFLICT DO UPDATE …
  RETURNING`` (per-key run limits: one round trip per request);
- ``exact=True``: a moving window, one row per hit, counted under a transaction-scoped advisory
  lock on the key (Replicate's account-wide budget, where a burst across a window's edge would
  be answered 429).

Expired rows are deleted once a minute."""

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

    async def hit(self, key: str, limit: int, seconds: int, *, exact: bool = False) -> int | None:
        if exact:
            return await self._moving(key[:200], limit, seconds)
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

    async def _moving(self, key: str, limit: int, seconds: int) -> int | None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            now = time.time()  # read under the lock: a hit stored while we waited is never "in the future"
            row = await (
                await conn.execute(
                    "SELECT coalesce(sum(hits), 0), min(slot) FROM counters WHERE key = %s AND slot > %s",
                    (key, int((now - seconds) * 1e6)),
                )
            ).fetchone()
            used, oldest = (row[0], row[1]) if row is not None else (0, None)
            if used >= limit:
                return max(1, int((oldest or 0) / 1e6 + seconds - now + 0.999))
            await conn.execute(  # slot: the hit's time in microseconds
                "INSERT INTO counters (key, slot, hits, expires) VALUES (%s, %s, 1, %s) "
                "ON CONFLICT (key, slot) DO UPDATE SET hits = counters.hits + 1",
                (key, int(now * 1e6), int(now + seconds) + 1),
            )
        return None
