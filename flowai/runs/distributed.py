"""The seams where a scaled deployment plugs into the run service (flowai.scale implements them).

- :class:`RunQueue`: where background runs wait. :class:`LocalQueue` is the embedded default, the
  run manager's own queue (fair across accounts, in this process); ``flowai.scale.queue_pg`` puts
  them on PostgreSQL for ``flowai worker`` processes.
- :class:`RemoteRuns`: runs executing in another process, followed and controlled from this one.
"""

from __future__ import annotations

from typing import Any, Protocol

from flowai.runs.manager import RunHandle, RunManager
from flowai.workflows.graph import CompiledGraph


class RunQueue(Protocol):
    @property
    def local(self) -> bool:
        """Whether queued runs execute in this process's run manager."""

    def submit(self, graph: CompiledGraph, run_input: dict[str, Any], **facts: Any) -> RunHandle:
        """Queue a background run (facts: ``workflow_id``, ``version``, ``owner_id``, ``key_id``,
        ``source``, ``run_id``, ``extra``: more columns of its row; ``state``: outputs of nodes
        that are not executed, e.g. a regeneration's reused nodes, which its executor must find)."""

    async def queued(self, handle: RunHandle) -> None:
        """Until the run is durably queued (answer the client after this)."""

    async def transition(self, run_id: str, action: str) -> str | None:
        """Pause, resume or cancel a run still waiting in the queue, executed by no process: its
        new status, or None when the run is not waiting there."""


class RemoteRuns(Protocol):
    def followed(self, run_id: str) -> RunHandle | None:
        """A run of another process already followed here."""

    async def follow(self, run_id: str) -> RunHandle | None:
        """The run executed by another process, followed live; None when no process has it."""

    async def control(self, run_id: str, action: str) -> dict | None:
        """``{"status"}`` or ``{"error", "detail"}`` from the process executing it; None if none does."""


class LocalQueue:
    """The embedded default: the run manager's in-process queue."""

    local = True

    def __init__(self, manager: RunManager):
        self.manager = manager

    def submit(self, graph: CompiledGraph, run_input: dict[str, Any], **facts: Any) -> RunHandle:
        return self.manager.submit(graph, run_input, **facts)

    async def queued(self, handle: RunHandle) -> None:
        # The run's row was handed to the recorder by submit(); an async 202 means it is recorded,
        # as a 200 does, so the answer waits for the batch holding it (group commit).
        await self.manager.recorder.flush()

    async def transition(self, run_id: str, action: str) -> str | None:
        return None
