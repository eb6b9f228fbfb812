"""Rate-limit counters shared by every process on one PostgreSQL (table ``counters``), so a limit of
60 a minute admits 60 across all replicas together, not 60 each:

- by default a sliding window counter (as the ``limits`` package's strategy of that name): hits
  are counted per fixed window, and a hit is admitted while this window's hits plus the previous
  window's, weighted by how much of it the sliding window still covers, stay under the limit — so
  a burst at the end of one window and another at the start of the next cannot admit twice the
  limit. One atomic ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` per request (per-key
  run limits); a refused hit is not counted;
- ``exact=True``: a moving window, one row per hit, counted under a transaction-scoped advisory
  lock on the key (Replicate's account-wide budget, where a burst across a window's edge would
  be answered 429).

Expired rows are deleted once a minute."""

from __future__ import annotations

import time

from psycopg_pool import AsyncConnectionPool

from .notify import conninfo

# The previous window's hits, weighted: how much of that window the sliding window still covers.
_BEFORE = (
    "coalesce((SELECT hits FROM counters WHERE key = %(key)s::varchar AND slot = %(slot)s::bigint - 1), 0)"
    " * %(weight)s::float8"
)
HIT = (
    "INSERT INTO counters (key, slot, hits, expires) "
    f"SELECT %(key)s::varchar, %(slot)s::bigint, 1, %(expires)s::int WHERE {_BEFORE} + 1 <= %(limit)s::int "
    "ON CONFLICT (key, slot) DO UPDATE SET hits = counters.hits + 1 "
    f"WHERE {_BEFORE} + counters.hits + 1 <= %(limit)s::int RETURNING hits"
)
MOVING = "SELECT coalesce(sum(hits), 0), min(slot) FROM counters WHERE key = %s AND slot > %s"
COUNTS = "SELECT slot, hits FROM counters WHERE key = %s AND slot IN (%s, %s)"


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
        key, now = key[:200], time.time()
        slot = int(now // seconds)
        elapsed = now / seconds - slot  # of this window, 0..1
        ends = (slot + 1) * seconds
        facts = {"key": key, "slot": slot, "weight": 1.0 - elapsed, "limit": limit, "expires": ends + seconds}
        async with self.pool.connection() as conn:
            row = await (await conn.execute(HIT, facts)).fetchone()
            if now - self._swept > 60:
                self._swept = now
                await conn.execute("DELETE FROM counters WHERE expires < %s", (int(now),))
            if row is not None:
                return None
            counts: dict[int, int] = dict(await (await conn.execute(COUNTS, (key, slot - 1, slot))).fetchall())
        return _retry_after(counts.get(slot - 1, 0), counts.get(slot, 0), limit, seconds, elapsed)

    async def peek(self, key: str, limit: int, seconds: int) -> int | None:
        """The moving window of ``exact`` hits, read without counting one."""
        async with self.pool.connection() as conn:
            now = time.time()
            row = await (await conn.execute(MOVING, (key[:200], int((now - seconds) * 1e6)))).fetchone()
        used, oldest = (row[0], row[1]) if row is not None else (0, None)
        return max(1, int((oldest or 0) / 1e6 + seconds - now + 0.999)) if used >= limit else None

    async def _moving(self, key: str, limit: int, seconds: int) -> int | None:
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
            now = time.time()  # read under the lock: a hit stored while we waited is never "in the future"
            row = await (await conn.execute(MOVING, (key, int((now - seconds) * 1e6)))).fetchone()
            used, oldest = (row[0], row[1]) if row is not None else (0, None)
            if used >= limit:
                return max(1, int((oldest or 0) / 1e6 + seconds - now + 0.999))
            await conn.execute(  # slot: the hit's time in microseconds
                "INSERT INTO counters (key, slot, hits, expires) VALUES (%s, %s, 1, %s) "
                "ON CONFLICT (key, slot) DO UPDATE SET hits = counters.hits + 1",
                (key, int(now * 1e6), int(now + seconds) + 1),
            )
        return None


def _retry_after(before: int, now_hits: int, limit: int, seconds: int, elapsed: float) -> int:
    """Whole seconds until a hit fits: until the previous window's weight has shrunk enough, or,
    when this window alone is full, into the next window far enough for this one's weight."""
    if now_hits + 1 > limit:
        wait = (1.0 - elapsed) + max(0.0, 1.0 - (limit - 1) / now_hits)
    else:
        wait = max(0.0, 1.0 - (limit - now_hits - 1) / before - elapsed) if before else 0.0
    return max(1, int(wait * seconds + 0.999))
