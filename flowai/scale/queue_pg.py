"""Background runs on procrastinate: a maintained job queue that lives in PostgreSQL itself.

Why procrastinate (README, "Running at scale"): FlowAI already needs PostgreSQL to scale, and
procrastinate needs nothing else — no Redis, no broker — while being asyncio-native like the
engine. Jobs are rows locked with ``FOR UPDATE SKIP LOCKED`` and announced with LISTEN/NOTIFY.

- An API replica records the run (status ``pending``) and defers one job, locked by the run's id
  (two jobs of one run never execute at once).
- ``flowai worker`` executes jobs (flowai.runs.takeover): a run resumes from its last finished node.
- Leases are procrastinate's worker heartbeats: a worker whose heartbeat is older than
  ``FLOWAI_WORKER_LEASE`` seconds is dead (SIGKILL, a lost machine); any other worker puts its
  jobs back in the queue, and the next one takes the runs over from their last finished node.
- SIGTERM drains a worker: it fetches no new job, its runs stop before their next node (finished
  nodes are written) and go back to the queue for another worker.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import procrastinate
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Engine

from flowai.runs.manager import Recorder, RunHandle, RunManager, reused_row
from flowai.workflows.graph import CompiledGraph
from storage.db import session
from storage.ids import new_id
from storage.models import utcnow

from .notify import conninfo

log = logging.getLogger("flowai.scale")
QUEUE = "runs"
SCHEMA_LOCK = 7_357_001  # advisory lock: one process applies procrastinate's schema
LEASE_CLASS = 7_357_002  # advisory locks (this, hashtext(run id)): the process executing a run
LEASE = "SELECT pg_try_advisory_lock(%s, hashtext(%s))"
TRANSITIONS = {  # a run waiting in the queue, executed by nobody: (from statuses, to status)
    "pause": (("pending",), "paused"),
    "resume": (("paused",), "pending"),
    "cancel": (("pending", "paused"), "cancelled"),
}


class PgQueue:
    local = False

    def __init__(self, database_url: str, db: Engine, recorder: Recorder, execute: Callable[[str], Awaitable[str]]):
        self.db = db
        self.recorder = recorder
        self.execute = execute
        self.url = conninfo(database_url)
        self.lease = 30.0  # seconds; set by work()
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=self.url))
        self.task = self.app.task(name="flowai.run", queue=QUEUE)(self._job)
        self._deferring: dict[str, asyncio.Task] = {}

    async def open(self) -> None:
        await self.app.open_async()
        async with self.app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
            await conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
            try:
                found = await (await conn.execute("SELECT to_regclass('procrastinate_jobs')")).fetchone()
                if found is None or found[0] is None:
                    await self.app.schema_manager.apply_schema_async()
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))

    async def close(self) -> None:
        if self._deferring:
            await asyncio.gather(*self._deferring.values(), return_exceptions=True)
        await self.app.close_async()

    # the API side -------------------------------------------------------------------------
    def submit(self, graph: CompiledGraph, run_input: dict[str, Any], **facts: Any) -> RunHandle:
        extra = facts.get("extra") or {}
        handle = RunHandle(
            facts.get("run_id") or new_id(),
            facts["workflow_id"],
            facts["version"],
            facts["owner_id"],
            facts.get("key_id"),
            facts.get("source", "background"),
            run_input,
            graph,
            background=True,
            callback_url=extra.get("callback_url"),
            status="pending",
        )
        row = {
            "id": handle.id,
            "workflow_id": handle.workflow_id,
            "version": handle.version,
            "owner_id": handle.owner_id,
            "key_id": handle.key_id,
            "source": handle.source,
            "status": "pending",
            "input": run_input,
            "runner": None,
            "created_at": utcnow(),
            **extra,
        }
        self.recorder.started(row)
        state = facts.get("state")
        for node_id, outputs in (state.outputs if state else {}).items():  # taken over as finished nodes
            self.recorder.node(reused_row(handle.id, graph, node_id, outputs))
        self._deferring[handle.id] = asyncio.create_task(self._defer(handle.id))
        return handle

    async def _defer(self, run_id: str) -> None:
        try:
            await self.recorder.flush()  # the row first: a worker may fetch the job at once
            await self.task.configure(lock=run_id).defer_async(run_id=run_id)
        finally:
            self._deferring.pop(run_id, None)

    async def queued(self, handle: RunHandle) -> None:
        task = self._deferring.get(handle.id)
        if task is not None:
            await asyncio.shield(task)

    async def transition(self, run_id: str, action: str) -> str | None:
        before, after = TRANSITIONS[action]
        values: dict[str, Any] = {"id": run_id, "after": after, "before": list(before)}
        extra = ", finished_at = :now" if after == "cancelled" else ""
        if extra:
            values["now"] = utcnow()
        with session(self.db) as s:
            row = s.execute(
                text(f"UPDATE runs SET status = :after{extra} WHERE id = :id AND status = ANY(:before) RETURNING id"),
                values,
            ).first()
            s.commit()
        if row is None:
            return None
        if action == "resume":
            await self._defer_now(run_id)
        return after

    # the worker side ----------------------------------------------------------------------
    async def _job(self, run_id: str) -> None:
        # The run's lease proper: a session advisory lock held while it executes here. PostgreSQL
        # frees it when this process's connection goes (a SIGKILL, a lost machine), so a run
        # whose worker only looked dead (a heartbeat late on a starved machine) is never
        # executed twice at once: the second taker waits a lease and tries again.
        async with await psycopg.AsyncConnection.connect(self.url, autocommit=True) as conn:
            got = await (await conn.execute(LEASE, (LEASE_CLASS, run_id))).fetchone()
            if not (got and got[0]):
                log.warning("run %s is still executing elsewhere; trying again in %g s", run_id, self.lease)
                await self._defer_now(run_id, delay=self.lease)
                return
            try:
                status = await self.execute(run_id)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (LEASE_CLASS, run_id))
        if status == "interrupted":  # this worker is stopping: another one takes it from here
            await self._defer_now(run_id)
            log.warning("run %s handed back to the queue (this worker is stopping)", run_id)

    async def requeue(self, run_id: str) -> None:
        """Queue a run found unfinished (its process died): a worker resumes it from its last
        finished node. A job it may still have elsewhere then finds it taken or ended."""
        await self._defer_now(run_id)

    async def _defer_now(self, run_id: str, delay: float = 0) -> None:
        if delay:
            await self.task.configure(lock=run_id, schedule_in={"seconds": int(delay + 0.999)}).defer_async(
                run_id=run_id
            )
        else:
            await self.task.configure(lock=run_id).defer_async(run_id=run_id)

    async def work(self, manager: RunManager, *, concurrency: int, lease: float) -> None:
        """Execute queued runs until SIGTERM or SIGINT, then drain (see the module docstring)."""
        self.lease = lease
        beat = max(0.5, lease / 3)
        worker = asyncio.create_task(
            self.app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                install_signal_handlers=False,
                update_heartbeat_interval=beat,
                stalled_worker_timeout=lease,
                fetch_job_polling_interval=5.0,
                delete_jobs="successful",
            )
        )
        leases = asyncio.create_task(self._expire_leases(lease, beat))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await asyncio.wait((worker, asyncio.create_task(stop.wait())), return_when=asyncio.FIRST_COMPLETED)
        finally:
            leases.cancel()
            worker.cancel()  # procrastinate: fetch nothing more, wait for the running jobs
            await manager.shutdown()  # ... which end here: their runs are interrupted and requeued
            await asyncio.gather(worker, leases, return_exceptions=True)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _expire_leases(self, lease: float, every: float) -> None:
        jobs = self.app.job_manager
        while True:
            await asyncio.sleep(every)
            try:
                for job in await jobs.get_stalled_jobs(seconds_since_heartbeat=lease):
                    log.warning("the worker of run %s stopped answering; the run goes back to the queue", job.lock)
                    try:
                        await jobs.retry_job(job)
                    except Exception:  # another worker put it back first
                        log.debug("job %s already requeued", job.id)
            except Exception:
                log.exception("checking leases failed")
