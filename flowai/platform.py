"""The composition root: one object wiring settings, database, nodes, gateway and runs.

``Platform(settings)`` is what the HTTP app, the CLI and the UI share. Nothing is a module
global: tests build as many platforms as they like.
"""

from __future__ import annotations

import logging
import os
import socket

import httpx

from flowai.engine import Engine
from flowai.keys import Keys
from flowai.providers.gateway import Gateway, build_chat_providers
from flowai.runs import RUNNER, RunManager
from flowai.settings import Settings
from flowai.users import Users
from flowai.workflows import Workflows
from nodes import Registry, default_registry
from storage import queries
from storage.db import make_engine, session
from storage.recorder import RunRecorder

log = logging.getLogger("flowai")


class Platform:
    def __init__(self, settings: Settings, *, registry: Registry | None = None):
        self.settings = settings
        self.db = make_engine(settings.database_url)
        self.registry = registry or default_registry()
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0),
                                      limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100))
        self.gateway = Gateway(build_chat_providers(settings.env, self.http))
        self.engine = Engine(self.gateway, node_timeout=settings.node_timeout)
        self.recorder = RunRecorder(self.db)
        self.runs = RunManager(self.engine, self.recorder, grace=settings.disconnect_grace,
                               retention=settings.run_retention)
        self.workflows = Workflows(self.db, self.registry)
        self.keys = Keys(self.db, settings.secret_key, default_rate_limit=settings.default_rate_limit)
        self.users = Users(self.db)

    async def startup(self) -> None:
        self.recorder.start()
        self.mark_interrupted()

    async def shutdown(self) -> None:
        await self.runs.shutdown()
        await self.recorder.close()
        await self.http.aclose()

    def mark_interrupted(self) -> int:
        """Runs left 'running' by a dead process on this host are marked failed with a reason."""
        host = socket.gethostname()
        with session(self.db) as s:
            dead = [r for r in queries.running_runners(s)
                    if r != RUNNER and r.rsplit(":", 1)[0] == host and not _alive(int(r.rsplit(":", 1)[1]))]
            count = queries.mark_interrupted(s, runners=dead, reason="The server stopped while this run was "
                                                                      "in progress.")
            s.commit()
        if count:
            log.warning("marked %d interrupted runs as failed", count)
        return count


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
