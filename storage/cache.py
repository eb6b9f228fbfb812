"""Node-output cache in the database, shared by every process on it."""

from __future__ import annotations

import asyncio
from datetime import UTC, timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import col

from .db import session
from .models import NodeCacheEntry, utcnow


class DbNodeCache:
    def __init__(self, engine: Engine):
        self.engine = engine

    async def get(self, key: str) -> tuple[dict, dict | None] | None:
        return await asyncio.to_thread(self._get, key)

    async def put(self, key: str, outputs: dict, usage: dict | None, ttl: float) -> None:
        await asyncio.to_thread(self._put, key, outputs, usage, ttl)

    def _get(self, key: str):
        with session(self.engine) as s:
            entry = s.get(NodeCacheEntry, key)
            if entry is None or _aware(entry.expires_at) <= utcnow():
                return None
            return entry.outputs, entry.usage

    def _put(self, key: str, outputs: dict, usage: dict | None, ttl: float) -> None:
        with session(self.engine) as s:
            s.exec(delete(NodeCacheEntry).where(col(NodeCacheEntry.key) == key))
            s.add(NodeCacheEntry(key=key, outputs=outputs, usage=usage, expires_at=utcnow() + timedelta(seconds=ttl)))
            s.commit()


def _aware(when):
    return when if when.tzinfo else when.replace(tzinfo=UTC)
