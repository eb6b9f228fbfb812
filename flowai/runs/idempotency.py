"""Idempotency keys: a retried request with the same ``Idempotency-Key`` gets the first run."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import session
from storage.models import IdempotencyRecord, utcnow

TTL = timedelta(hours=24)


class Idempotency:
    def __init__(self, db: Engine):
        self.db = db

    async def claim(self, key_id: int, idempotency_key: str, run_id: str) -> str | None:
        """Record ``run_id`` for this key; or return the run an earlier request already started."""
        return await asyncio.to_thread(self._claim, key_id, idempotency_key, run_id)

    def _claim(self, key_id: int, idem: str, run_id: str) -> str | None:
        with session(self.db) as s:
            s.exec(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.key_id) == key_id,
                    col(IdempotencyRecord.idempotency_key) == idem,
                    col(IdempotencyRecord.created_at) < utcnow() - TTL,
                )
            )
            s.add(IdempotencyRecord(key_id=key_id, idempotency_key=idem, run_id=run_id))
            try:
                s.commit()
                return None
            except IntegrityError:
                s.rollback()
        with session(self.db) as s:
            return s.exec(
                select(IdempotencyRecord.run_id).where(
                    IdempotencyRecord.key_id == key_id, IdempotencyRecord.idempotency_key == idem
                )
            ).first()
