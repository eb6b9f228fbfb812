"""The composition root: one object wiring settings, database, nodes, provider router and runs.

``Platform(settings)`` is what the HTTP app, the CLI and the UI share. Nothing is a module
global: tests build as many platforms as they like.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import TYPE_CHECKING

from flowai.access.keys import Keys
from flowai.access.throttle import Throttle
from flowai.access.users import Users
from flowai.errors import FlowAIError
from flowai.media.files import Files
from flowai.media.store import MediaFiles
from flowai.net.httpclient import make_client
from flowai.providers.admin import ProviderAdmin
from flowai.providers.alerts import Alerts
from flowai.providers.budget_watch import BudgetWatch
from flowai.providers.config import ProviderConfig
from flowai.providers.credentials import Credentials
from flowai.providers.directory import Directory, LiveReplicate
from flowai.providers.keyring import Keyring
from flowai.providers.ledger import Ledger
from flowai.providers.monitor import CallStats
from flowai.providers.replicate_budget import Budget
from flowai.providers.router import Router
from flowai.providers.scheduler import Scheduler
from flowai.runs.callbacks import Callbacks
from flowai.runs.engine import Engine
from flowai.runs.events import BudgetWarning
from flowai.runs.history import RunHistory
from flowai.runs.idempotency import Idempotency
from flowai.runs.manager import RUNNER, RunManager
from flowai.runs.service import RunService
from flowai.runs.takeover import execute_queued
from flowai.services import Services
from flowai.settings import Settings
from flowai.studio import Studio
from flowai.workflows.store import Workflows
from nodes import Registry, default_registry
from storage import queries
from storage.cache import DbNodeCache
from storage.db import make_engine, session
from storage.models import utcnow as _utcnow
from storage.provider_store import DbProviderStore
from storage.recorder import RunRecorder
from storage.studio_store import DbProjectStore

if TYPE_CHECKING:
    from flowai.scale.counters import PgLimiter
    from flowai.scale.fanout import Fanout
    from flowai.scale.notify import Notifier
    from flowai.scale.queue_pg import PgQueue

log = logging.getLogger("flowai")
RESUMABLE = ("background", "async", "batch", "regenerate")  # run sources that survive a restart


class Platform:
    def __init__(self, settings: Settings, *, registry: Registry | None = None):
        self.settings = settings
        self.db = make_engine(settings.database_url, migrate=settings.auto_migrate)  # SchemaError: not migrated
        self.registry = registry or default_registry()
        self.http = make_client()  # flowai/net/httpclient.py: limits, timeouts, the keep-alive pool
        provider_store = DbProviderStore(self.db)
        keyring = Keyring.for_home(settings.home, settings.encryption_keys)
        self.credentials = Credentials(provider_store, keyring, settings.env)
        self.credentials.migrate(settings.secret_key)  # rows from before the keyring: once
        self.provider_config = ProviderConfig.load(settings.providers_path, provider_store)
        self.ledger = Ledger(provider_store, self.provider_config)
        self.directory = Directory(
            self.credentials,
            self.http,
            config=self.provider_config,
            environment=settings.environment,
            allow_private=settings.allow_private_urls,
            max_media_bytes=settings.max_media_bytes,
        )
        self.call_stats = CallStats(provider_store)
        self.router = Router(self.directory, self.provider_config, ledger=self.ledger, stats=self.call_stats)
        self.files = Files(self.db, settings.media_dir, settings.secret_key, max_bytes=settings.max_upload_bytes)
        self.media = MediaFiles(
            self.files,
            self.http,
            allow_private=settings.allow_private_urls,
            max_bytes=settings.max_media_bytes,  # generated media: their own limit, not the upload one
            public_url=settings.public_url,
        )
        self.alerts = Alerts(self.provider_config, self.ledger, self.call_stats, self.credentials, self.media.web)
        self.budget_watch = BudgetWatch(self.provider_config, self.ledger, self.media.web)
        self.router.budget_watch = self.budget_watch
        self.scheduler = Scheduler(self.alerts)
        self.provider_admin = ProviderAdmin(
            self.router,
            self.credentials,
            self.provider_config,
            self.ledger,
            alerts=self.alerts,
            scheduler=self.scheduler,
            allow_private=settings.allow_private_urls,
        )
        self.replicate = LiveReplicate(self.directory)
        self.services = Services(self.router, media=self.media, web=self.media.web, replicate=self.replicate)
        self.engine = Engine(self.services, node_timeout=settings.node_timeout, cache=DbNodeCache(self.db))
        self.recorder = RunRecorder(self.db)
        self.runs = RunManager(
            self.engine,
            self.recorder,
            grace=settings.disconnect_grace,
            retention=settings.run_retention,
            retention_bytes=settings.run_retention_bytes,
            max_concurrent=settings.max_concurrent_runs,
        )
        self.workflows = Workflows(self.db, self.registry)
        # a scaled deployment (README, "Running at scale"): shared queue, rate limits and run events
        self.limiter: PgLimiter | None = None
        self.notifier: Notifier | None = None
        self.fanout: Fanout | None = None
        self.queue: PgQueue | None = None
        if settings.distributed:
            self._scale_out(settings.database_url)
        self.keys = Keys(
            self.db, settings.secret_key, default_rate_limit=settings.default_rate_limit, limiter=self.limiter
        )
        self.users = Users(self.db)
        self.throttle = Throttle(
            per_address=settings.auth_failures_per_minute,
            per_account=settings.login_failures_per_account,
            counter=self.limiter,  # shared by every replica of a scaled deployment
        )
        self.idempotency = Idempotency(self.db)
        self.callbacks = Callbacks(self.http, self.keys, allow_private=settings.allow_private_urls)
        self.history = RunHistory(self.db)
        self._handed_back: list[str] = []  # runs of dead processes recover() found, for the shared queue
        self.run_service = RunService(
            self.runs,
            self.workflows,
            self.history,
            self.idempotency,
            self.callbacks,
            queue=self.queue,
            remote=self.fanout,
        )
        self.studio = Studio(self.run_service, self.workflows, DbProjectStore(self.db))
        self.budget_watch.listeners.append(self._budget_warned)

    def _scale_out(self, database_url: str) -> None:
        """The shared parts of a scaled deployment. PostgreSQL's driver and the job queue are imported
        here, so the embedded default starts without loading them (a tenth of a second a process)."""
        from flowai.scale.cooldowns import SharedCooldowns
        from flowai.scale.counters import PgLimiter
        from flowai.scale.fanout import Fanout
        from flowai.scale.notify import Notifier
        from flowai.scale.queue_pg import PgQueue

        self.limiter = PgLimiter(database_url)
        self.notifier = Notifier(database_url)
        self.fanout = Fanout(self.notifier, self.runs)
        SharedCooldowns(self.notifier, self.router)
        self.queue = PgQueue(database_url, self.db, self.recorder, self.execute_queued)

    def _budget_warned(self, warning: dict) -> None:
        """A budget warning goes into the trace of the run whose call crossed the threshold."""
        handle = self.runs.active.get(warning.get("run_id") or "")
        if handle is not None and not handle.done:
            handle.emit(
                BudgetWarning(warning["workflow_id"], warning["budget"], warning["spent"], warning["threshold"])
            )

    async def startup(self) -> None:
        self.recorder.start()
        if self.limiter is not None:
            await self.limiter.open()
            Budget.counter = self.limiter  # Replicate's account-wide limit, across every process
        if self.notifier is not None:
            await self.notifier.start()
        if self.queue is not None:
            await self.queue.open()
        self.recover()
        if self.queue is not None:
            for run_id in self._handed_back:
                await self.queue.requeue(run_id)
            self._handed_back.clear()
        self.scheduler.start()

    async def execute_queued(self, run_id: str) -> str:
        """A queued run handed to this process (``flowai worker``), executed to its end here."""
        return await execute_queued(
            run_id, db=self.db, manager=self.runs, workflows=self.workflows, callbacks=self.callbacks
        )

    async def work(self) -> None:
        """``flowai worker``: execute queued runs until SIGTERM, then drain."""
        if self.queue is None:
            raise FlowAIError("`flowai worker` needs FLOWAI_DATABASE_URL=postgresql+psycopg://… (Running at scale).")
        await self.queue.work(
            self.runs, concurrency=self.settings.max_concurrent_runs, lease=self.settings.worker_lease
        )

    async def shutdown(self) -> None:
        await self.scheduler.stop()
        await self.runs.shutdown()
        await self.budget_watch.aclose()
        self.call_stats.flush()  # the last minute's provider call outcomes
        if self.replicate.configured:
            await self.replicate.aclose()  # prediction cancels still in flight
        await self.recorder.close()
        if Budget.counter is self.limiter:
            Budget.counter = None
        for part in (self.queue, self.notifier, self.limiter):
            if part is not None:
                await part.close()
        await self.http.aclose()

    def recover(self) -> tuple[int, int]:
        """Take over the unfinished runs of dead processes on this host (a crash, a SIGKILL).

        Background runs resume from their last finished node; a client's run (its client is
        gone with the old process) is marked failed with the reason. Returns (resumed, failed).
        """
        host = socket.gethostname()
        with session(self.db) as s:
            dead = [
                r
                for r in queries.running_runners(s)
                if r != RUNNER and r.rsplit(":", 1)[0] == host and not process_alive(int(r.rsplit(":", 1)[1]))
            ]
            claimed = queries.claim_runs(s, runners=dead, runner=RUNNER) if dead else []
            done_nodes = {
                run.id: [n for n in queries.run_nodes(s, run_id=run.id) if n.status == "completed"] for run in claimed
            }
            s.commit()
        resumed = failed = 0
        for run in claimed:
            reason = "The server stopped while this run was in progress."
            if run.source in RESUMABLE and self.queue is not None:  # to the shared queue: a worker resumes it
                self._handed_back.append(run.id)
                resumed += 1
                continue
            if run.source in RESUMABLE:
                try:
                    self._resume(run, done_nodes[run.id])
                    resumed += 1
                    continue
                except FlowAIError as exc:
                    reason = f"The run could not be resumed after a restart: {exc.message}"
            self.recorder.status(
                run.id,
                {
                    "status": "failed",
                    "finished_at": _utcnow(),
                    "error": {"code": 50001, "message": reason, "node": None},
                },
            )
            failed += 1
        if claimed:
            log.warning("after a restart: %d runs resumed, %d marked failed", resumed, failed)
        return resumed, failed

    def _resume(self, run, done_nodes) -> None:
        graph = self.workflows.ran(run)
        handle = self.runs.resubmit(graph, run, done_nodes, status="paused" if run.status == "paused" else "pending")
        self.recorder.status(run.id, {"status": handle.status})
        if run.callback_url:
            self.callbacks.attach(handle, run.callback_url)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
