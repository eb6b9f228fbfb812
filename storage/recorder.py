"""The run recorder: a write-behind queue that stores runs in batched transactions.

The run manager calls :meth:`started`, :meth:`status`, :meth:`node` and :meth:`finished`
(cheap, non-blocking); one writer task drains everything queued and writes it in one
transaction on a worker thread, so under load many runs share a commit and the event loop
never waits on the database. A run that starts and ends within one batch is one INSERT.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.engine import Engine

from . import queries
from .db import session

log = logging.getLogger("flowai.recorder")
MAX_BATCH = 500  # updates per transaction: bounds how long one write holds the worker thread


class RunRecorder:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._queue: list[tuple[str, dict, list[dict]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._pushed = 0  # operations queued so far
        self._written = 0  # operations written (or given up on) so far
        self._progress = asyncio.Event()  # set after each batch
        self._key_use: dict[int, Any] = {}

    def start(self) -> None:
        self._task = asyncio.create_task(self._writer(), name="flowai-run-recorder")

    def started(self, run: dict) -> None:
        self._push(("start", run, []))

    def status(self, run_id: str, values: dict) -> None:
        self._push(("status", {"id": run_id, **values}, []))

    def node(self, record: dict) -> None:
        self._push(("node", record, []))

    def finished(self, run: dict, nodes: list[dict], *, inserted: bool = True) -> None:
        self._push(("finish" if inserted else "insert", run, nodes))

    def key_used(self, key_id: int, when: Any) -> None:
        self._key_use[key_id] = when
        self._wake.set()

    def _push(self, item) -> None:
        self._queue.append(item)
        self._pushed += 1
        self._wake.set()

    async def flush(self) -> None:
        """Wait until everything queued before this call is written (read-your-writes)."""
        if self._task is None:
            while self._queue or self._key_use:
                batch, keys = self._take()
                await asyncio.to_thread(self._write_safely, batch, keys)
                self._written += len(batch)
            return
        target = self._pushed
        while self._written < target:
            await self._progress.wait()

    async def close(self) -> None:
        if self._task is not None:
            await self.flush()
            if self._key_use:
                await asyncio.to_thread(self._write, [], self._take()[1])
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _take(self):
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        keys, self._key_use = self._key_use, {}
        if self._queue:
            self._wake.set()  # more waiting: the writer comes straight back
        return batch, keys

    async def _writer(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, keys = self._take()
            if batch or keys:
                await asyncio.to_thread(self._write_safely, batch, keys)
            self._written += len(batch)
            self._progress.set()
            self._progress = asyncio.Event()

    def _write_safely(self, batch: list, keys: dict) -> None:
        """Write the batch in one transaction; if that fails, each update alone, so one bad row
        (say, a value the database refuses) loses only itself."""
        try:
            self._write(batch, keys)
            return
        except Exception:
            log.warning("a batch of %d run updates failed; writing them one by one", len(batch))
        for item in batch:
            try:
                self._write([item], {})
            except Exception:
                log.exception("could not record %s of run %s", item[0], item[1].get("id") or item[1].get("run_id"))
        if keys:
            try:
                self._write([], keys)
            except Exception:
                log.exception("could not record API key use")

    def _write(self, batch: list, keys: dict) -> None:
        inserts: dict[str, dict] = {}
        for kind, run, _ in batch:
            if kind in ("start", "insert"):
                inserts[run["id"]] = run
        ended_here = {run["id"] for kind, run, _ in batch if kind == "finish" and run["id"] in inserts}
        with session(self.engine) as s:
            for kind, run, _nodes in batch:  # fold each run's final state into its INSERT when we can
                if kind == "finish" and run["id"] in ended_here:
                    inserts[run["id"]] = {**inserts[run["id"]], **run}
            if inserts:
                queries.insert_runs(s, runs=inserts.values())
            node_rows: list[dict] = []
            for kind, run, nodes in batch:
                if kind == "status" and run["id"] not in ended_here:
                    queries.update_run(s, run_id=run["id"], values={k: v for k, v in run.items() if k != "id"})
                elif kind == "node":
                    queries.upsert_run_node(s, row=run)
                elif kind == "finish" and run["id"] not in ended_here:
                    queries.update_run(s, run_id=run["id"], values={k: v for k, v in run.items() if k != "id"})
                if kind in ("finish", "insert") and nodes:
                    node_rows.extend(nodes)
            if node_rows:
                touched = {r["run_id"] for kind, r, _ in batch if kind == "node"}  # rows already merged above
                fresh = {
                    r["id"]
                    for kind, r, _ in batch
                    if kind in ("insert", "finish") and (kind == "insert" or r["id"] in ended_here)
                } - touched
                queries.store_run_nodes(s, rows=node_rows, new_runs=fresh)
            if keys:
                queries.touch_keys(s, used=keys)
            s.commit()
