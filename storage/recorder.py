"""The run recorder: a write-behind queue that stores runs in batched transactions.

The run manager calls :meth:`started` and :meth:`finished` (cheap, non-blocking); one writer
task drains everything queued and writes it in one transaction on a worker thread, so under
load many runs share a commit and the event loop never waits on the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Engine

from . import queries
from .db import session

log = logging.getLogger("flowai.recorder")


class RunRecorder:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._queue: list[tuple[str, dict, list[dict]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._key_use: dict[int, Any] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="flowai-run-recorder")

    def started(self, run: dict) -> None:
        self._push(("start", run, []))

    def finished(self, run: dict, nodes: list[dict], *, inserted: bool = True) -> None:
        self._push(("finish" if inserted else "insert", run, nodes))

    def key_used(self, key_id: int, when: Any) -> None:
        self._key_use[key_id] = when
        self._wake.set()
        self._idle.clear()

    def _push(self, item) -> None:
        self._queue.append(item)
        self._idle.clear()
        self._wake.set()

    async def flush(self) -> None:
        """Wait until everything queued so far is written."""
        if self._task is None:
            await asyncio.to_thread(self._write, *self._take())
            return
        await self._idle.wait()

    async def close(self) -> None:
        if self._task is not None:
            await self.flush()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _take(self):
        batch, self._queue = self._queue, []
        keys, self._key_use = self._key_use, {}
        return batch, keys

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, keys = self._take()
            if batch or keys:
                try:
                    await asyncio.to_thread(self._write, batch, keys)
                except Exception:  # keep recording later runs; this batch is logged, not silently lost
                    log.exception("could not record %d run updates", len(batch))
            if not self._queue and not self._key_use:
                self._idle.set()

    def _write(self, batch: list, keys: dict) -> None:
        starts = [run for kind, run, _ in batch if kind in ("start", "insert")]
        finishes = [(run, nodes) for kind, run, nodes in batch if kind in ("finish", "insert")]
        start_ids = {r["id"] for r in starts}
        # A run that started and finished within one batch is inserted once, complete.
        merged = {r["id"]: r for r in starts}
        late: list[dict] = []
        nodes: list[dict] = []
        for run, ns in finishes:
            if run["id"] in start_ids:
                if merged[run["id"]] is not run:
                    merged[run["id"]] = {**merged[run["id"]], **run}
            else:
                late.append(run)
            nodes.extend(ns)
        with session(self.engine) as s:
            if merged:
                queries.insert_runs(s, runs=merged.values())
            if late or nodes:
                queries.finish_runs(s, runs=late, nodes=nodes)
            if keys:
                queries.touch_keys(s, used=keys)
            s.commit()
