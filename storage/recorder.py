"""The run recorder: group commit of run rows on one dedicated connection.

The run manager hands over :meth:`started`, :meth:`status`, :meth:`node` and :meth:`finished`
(cheap, never blocking: values are encoded right there, see :mod:`storage.run_rows`). One writer
thread takes everything handed over since its last commit and writes it in one transaction —
a few ``executemany`` calls on its own DB-API connection — so under load many runs share a
commit, as databases do with group commit. :meth:`finished` returns the future of the batch
its run went into: it settles, on the event loop, with the ids of the runs that could not be
written once that batch is committed. The run API answers a run when its row is durable (a 200
means the run is recorded), and because answers wait for their batch, what is waiting to be
written stays bounded by the requests in flight.

A batch that fails is written again one update per transaction, so one bad row loses only itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import Any

from sqlalchemy.engine import Engine

from .run_rows import RowEncoder

log = logging.getLogger("flowai.recorder")
Failed = frozenset[str]
NOTHING_FAILED: Failed = frozenset()


class RunRecorder:
    def __init__(self, engine: Engine, *, checkpoint_every: float = 1.0):
        self.engine = engine
        self.checkpoint_every = checkpoint_every  # seconds between SQLite checkpoints under writes
        self.rows = RowEncoder(engine.dialect)
        self._cond = threading.Condition()
        self._pending: list[tuple] = []
        self._keys: dict[int, Any] = {}
        self._future: asyncio.Future | None = None  # settles when what is pending is committed
        self._inflight: asyncio.Future | None = None  # the batch being written
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self._idle = False  # the writer waits for work
        self._kicking = False  # a wake-up of the writer is scheduled on the event loop
        self._conn: Any = None
        self._checkpoints: _Checkpointer | None = None
        self.pushed = 0  # updates handed over so far
        self.written = 0  # updates written (or given up on) so far
        self.batches = 0  # transactions committed

    @property
    def backlog(self) -> int:
        """Updates handed over and not yet written."""
        return self.pushed - self.written

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        with self._cond:
            if self._pending or self._keys:
                self._future = self._loop.create_future()
        self._thread = threading.Thread(target=self._writer, name="flowai-run-recorder", daemon=True)
        self._thread.start()

    # hand-over (on the event loop) --------------------------------------------------------
    def started(self, run: dict) -> None:
        self._hand_over(lambda: ("start", run["id"], self.rows.encode("runs", run)), run)

    def status(self, run_id: str, values: dict) -> None:
        self._hand_over(lambda: ("update", run_id, self.rows.encode("runs", values)), {"id": run_id})

    def node(self, record: dict) -> None:
        self._hand_over(lambda: ("node", record["run_id"], self.rows.encode("run_nodes", record)), record)

    def finished(self, run: dict, nodes: list[dict], *, inserted: bool = True) -> asyncio.Future | None:
        """The run's final state (``inserted``: whether :meth:`started` was called; if not, ``run``
        is the complete row). Returns the future of its batch (None before :meth:`start`)."""

        def item() -> tuple:
            write, keep = self.rows.node_rows(nodes)
            if inserted:
                return (
                    "update",
                    run["id"],
                    self.rows.encode("runs", {k: v for k, v in run.items() if k != "id"}),
                    write,
                    keep,
                )
            return ("insert", run["id"], self.rows.new_run_row(run), write, keep)

        return self._hand_over(item, run)

    def key_used(self, key_id: int, when: Any) -> None:
        with self._cond:
            self._keys[key_id] = when
            self._pending_future()
            kick = self._wants_kick()
        if kick:
            self._loop.call_soon(self._kick)  # type: ignore[union-attr]

    def _hand_over(self, make, what: dict) -> asyncio.Future | None:
        try:
            item = make()
        except (TypeError, ValueError) as exc:  # orjson's JSONEncodeError is a TypeError
            log.error("cannot record run %s: %s", what.get("id") or what.get("run_id"), exc)
            if self._loop is None:
                return None
            lost = self._loop.create_future()
            lost.set_result(frozenset([what.get("id") or what.get("run_id")]))
            return lost
        with self._cond:
            self._pending.append(item)
            self.pushed += 1
            future = self._pending_future()
            kick = self._wants_kick()
        if kick:
            self._loop.call_soon(self._kick)  # type: ignore[union-attr]
        return future

    def _wants_kick(self) -> bool:
        """(Under the lock.) Whether to wake the writer: only when it is idle (a busy one comes
        back for what is pending by itself), and once per pass of the event loop, after every
        run that pass finished has been handed over — one wake-up, one batch."""
        if not self._idle or self._kicking or self._loop is None:
            return False
        self._kicking = True
        return True

    def _kick(self) -> None:
        with self._cond:
            self._kicking = False
            self._cond.notify()

    def _pending_future(self) -> asyncio.Future | None:
        if self._loop is not None and self._future is None:
            self._future = self._loop.create_future()
        return self._future

    async def flush(self) -> None:
        """Wait until everything handed over before this call is written (read-your-writes)."""
        if self._thread is None:
            while self._pending or self._keys:
                batch, keys = self._pending, self._keys
                self._pending, self._keys = [], {}
                await asyncio.to_thread(self._write_safely, batch, keys)
                self.written += len(batch)
            await asyncio.to_thread(self._disconnect)
            return
        with self._cond:
            waiting = [f for f in (self._inflight, self._future) if f is not None and not f.done()]
        for future in waiting:
            await asyncio.shield(future)

    async def close(self) -> None:
        if self._thread is not None:
            await self.flush()
            with self._cond:
                self._closing = True
                self._cond.notify()
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    # the writer thread --------------------------------------------------------------------
    def _writer(self) -> None:
        assert self._loop is not None
        try:
            while True:
                with self._cond:
                    while not (self._pending or self._keys or self._closing):
                        self._idle = True
                        self._cond.wait()
                        self._idle = False
                    if not (self._pending or self._keys):
                        return
                    batch, keys, future = self._pending, self._keys, self._future
                    self._pending, self._keys, self._future = [], {}, None
                    self._inflight = future
                failed = self._write_safely(batch, keys)
                with self._cond:
                    self.written += len(batch)
                if future is not None:
                    self._loop.call_soon_threadsafe(_settle, future, failed)
        finally:
            self._disconnect()

    def _connection(self):
        if self._conn is None:
            conn = self.engine.raw_connection()
            conn.detach()  # its own for good: settings made here never reach the pool's other users
            if self.rows.sqlite:  # checkpoints (the fsyncs) run beside it, not inside its commits
                conn.cursor().execute("PRAGMA wal_autocheckpoint=0")
                conn.cursor().execute(f"PRAGMA journal_size_limit={_Checkpointer.LOG_LIMIT}")
                self._checkpoints = _Checkpointer(self.engine, self.checkpoint_every)
            self._conn = conn
        return self._conn

    def _disconnect(self) -> None:
        if self._checkpoints is not None:
            self._checkpoints.close()
            self._checkpoints = None
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # a broken connection may refuse even this
                conn.rollback()
            try:
                conn.close()  # detached from the pool: this closes it for real
            except Exception:
                log.exception("closing the recorder's connection")

    def _write_safely(self, batch: list[tuple], keys: dict) -> Failed:
        """Write the batch in one transaction; if that fails, each update alone, so one bad row
        (say, a value the database refuses) loses only itself. Returns the runs not written."""
        try:
            self._write(batch, keys)
            return NOTHING_FAILED
        except Exception:
            log.warning("a batch of %d run updates failed; writing them one by one", len(batch), exc_info=True)
            self._disconnect()  # a fresh connection: the old one may be what failed
        failed = set()
        for item in batch:
            try:
                self._write([item], {})
            except Exception:
                log.exception("could not record %s of run %s", item[0], item[1])
                self._rollback()
                failed.add(item[1])
        if keys:
            try:
                self._write([], keys)
            except Exception:
                log.exception("could not record API key use")
                self._rollback()
        return frozenset(failed)

    def _rollback(self) -> None:
        try:
            self._connection().rollback()
        except Exception:
            self._disconnect()

    def _write(self, batch: list[tuple], keys: dict) -> None:
        rows = self.rows
        inserts: dict[str, dict] = {}  # runs started in this batch: their folded values
        new_rows: list[tuple] = []  # runs that arrive complete
        updates: dict[str, dict] = {}  # runs written earlier: their folded changes
        nodes: dict[tuple[str, str], tuple] = {}  # node rows as they happen (background runs)
        write: list[tuple] = []
        keep: list[tuple] = []
        for item in batch:
            kind, run_id = item[0], item[1]
            if kind == "insert":
                new_rows.append(item[2])
            elif kind == "start":
                inserts[run_id] = dict(item[2])
            elif kind == "update":
                (inserts[run_id] if run_id in inserts else updates.setdefault(run_id, {})).update(item[2])
            else:  # node
                nodes[(run_id, item[2]["node_id"])] = rows.node_row(item[2])
            if len(item) > 3:
                write += item[3]
                keep += item[4]
        new_rows += [rows.run_row(values) for values in inserts.values()]
        conn = self._connection()
        cur = conn.cursor()
        try:
            if new_rows:
                cur.executemany(rows.insert_run, new_rows)
            by_columns: dict[tuple[str, ...], list[tuple]] = {}
            for run_id, values in updates.items():
                by_columns.setdefault(tuple(values), []).append((*values.values(), run_id))
            for columns, params in by_columns.items():
                cur.executemany(rows.update_run(columns), params)
            write = list(nodes.values()) + write
            if write:
                cur.executemany(rows.upsert_node, write)
            if keep:
                cur.executemany(rows.keep_node, keep)
            if keys:
                cur.executemany(rows.touch_key, rows.touch_keys(keys))
            conn.commit()
        finally:
            cur.close()
        self.batches += 1
        if self._checkpoints is not None:
            self._checkpoints.wrote(conn)


class _Checkpointer:
    """Copies SQLite's write-ahead log into the database file, at most once a second after writes,
    in two steps so that no recorder commit waits for the bulk of it and the log stays small:

    1. on its own thread and connection, ``wal_checkpoint(PASSIVE)`` (never blocks the writer)
       copies what the log holds when it starts — while the writer goes on committing after it;
    2. then, right after the writer's next commit and on the writer's connection, a second passive
       checkpoint copies only what was committed in the meantime (a few milliseconds).

    The second step is what lets the log restart: SQLite writes from the start of the log again
    only when a transaction begins on a log copied to its very end, which under a steady stream of
    commits never happens by itself (a minute at 3,000 runs/s left a 3 GB log, and every commit
    slower than the one before). ``journal_size_limit`` trims the file after a burst."""

    LOG_LIMIT = 64 * 1024 * 1024  # bytes of log file kept after a restart

    def __init__(self, engine: Engine, every: float = 1.0):
        self.engine, self.every = engine, every
        self._dirty, self._stop = threading.Event(), threading.Event()
        self._caught_up = threading.Event()  # step 1 is done: the writer's next commit does step 2
        self._thread = threading.Thread(target=self._run, name="flowai-wal-checkpoint", daemon=True)
        self._thread.start()

    def wrote(self, conn: Any) -> None:
        """(On the writer's thread, after a commit.) Step 2 when step 1 has run."""
        if self._caught_up.is_set():
            self._caught_up.clear()
            try:
                conn.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except Exception:  # the batch is committed whatever happens here
                log.exception("WAL checkpoint failed")
        self._dirty.set()

    def close(self) -> None:
        self._stop.set()
        self._dirty.set()
        self._thread.join()

    def _run(self) -> None:
        conn = self.engine.raw_connection()
        conn.detach()
        try:
            while not self._stop.is_set():
                self._dirty.wait()
                if self._stop.wait(self.every):
                    break
                self._dirty.clear()
                try:
                    conn.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self._caught_up.set()
                except Exception:
                    log.exception("WAL checkpoint failed")
            conn.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception:
            log.exception("WAL checkpoint failed")
        finally:
            conn.close()


def _settle(future: asyncio.Future, failed: Failed) -> None:
    if not future.done():
        future.set_result(failed)
