"""Runs in flight: start them, fan their events out to followers, record them, cancel them.

A :class:`RunHandle` keeps every event of its run in order (their sequence numbers are the SSE
``id:`` lines) so a dropped client can reconnect and miss nothing. A run started for a client
(a JSON or SSE request) is cancelled when its last follower leaves and nobody reconnects
within the grace period; a background run keeps going.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Protocol

from flowai.engine import Engine, RunState
from flowai.errors import FlowAIError
from flowai.events import TERMINAL, Event, NodeFailed, NodeFinished, NodeStarted, RunFailed, RunSucceeded
from flowai.graph import CompiledGraph

RUNNER = f"{socket.gethostname()}:{os.getpid()}"
START_DELAY = 0.5  # seconds before a still-running run is written as 'running'


class Recorder(Protocol):
    """Where runs are stored (storage.recorder.RunRecorder implements it)."""

    def started(self, run: dict) -> None: ...

    def finished(self, run: dict, nodes: list[dict], *, inserted: bool) -> None:
        """``inserted``: whether ``started`` was called; if not, ``run`` is the complete row."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(eq=False)
class RunHandle:
    id: str
    workflow_id: str
    version: int
    owner_id: int
    key_id: int | None
    source: str
    run_input: dict[str, Any]
    detached_cancel: bool  # cancel when the last follower leaves (client-driven runs)
    events: list[Event] = field(default_factory=list)
    status: str = "running"
    output: Any = None
    error: FlowAIError | None = None
    state: RunState = field(default_factory=RunState)
    started: float = field(default_factory=time.perf_counter)
    task: asyncio.Task | None = None
    _queues: set[asyncio.Queue] = field(default_factory=set)
    _followers: int = 0
    _cancel_timer: asyncio.TimerHandle | None = None
    row: dict | None = None  # the run's row until the recorder has been asked to insert it
    start_timer: asyncio.TimerHandle | None = None

    @property
    def done(self) -> bool:
        return self.status != "running"

    def emit(self, ev: Event) -> None:
        self.events.append(ev)
        item = (len(self.events), ev)
        for q in self._queues:
            q.put_nowait(item)

    def attach(self) -> None:
        self._followers += 1
        if self._cancel_timer is not None:
            self._cancel_timer.cancel()
            self._cancel_timer = None

    def detach(self, grace: float) -> None:
        self._followers -= 1
        if self._followers > 0 or self.done or not self.detached_cancel:
            return
        if grace <= 0:
            self.cancel()
        else:
            self._cancel_timer = asyncio.get_running_loop().call_later(grace, self._grace_over)

    def _grace_over(self) -> None:
        self._cancel_timer = None
        if self._followers == 0 and not self.done:
            self.cancel()

    def cancel(self) -> bool:
        if self.done or self.task is None:
            return False
        self.task.cancel()
        return True

    async def follow(self, after: int = 0) -> AsyncIterator[tuple[int, Event]]:
        """Events with sequence number > ``after``, live until the run ends."""
        queue: asyncio.Queue = asyncio.Queue()
        backlog = list(enumerate(self.events[after:], start=after + 1))
        self._queues.add(queue)
        try:
            for item in backlog:
                yield item
                if isinstance(item[1], TERMINAL):
                    return
            if backlog and isinstance(backlog[-1][1], TERMINAL):
                return
            while True:
                item = await queue.get()
                yield item
                if isinstance(item[1], TERMINAL):
                    return
        finally:
            self._queues.discard(queue)

    async def wait(self) -> None:
        if self.task is not None:
            await asyncio.shield(self.task)


class RunManager:
    def __init__(self, engine: Engine, recorder: Recorder, *, grace: float = 10.0, retention: int = 1000):
        self.engine = engine
        self.recorder = recorder
        self.grace = grace
        self.retention = retention
        self.active: dict[str, RunHandle] = {}
        self.recent: OrderedDict[str, RunHandle] = OrderedDict()

    def get(self, run_id: str) -> RunHandle | None:
        return self.active.get(run_id) or self.recent.get(run_id)

    def start(self, graph: CompiledGraph, run_input: dict[str, Any], *, workflow_id: str, version: int,
              owner_id: int, key_id: int | None = None, source: str = "api",
              detached_cancel: bool = True) -> RunHandle:
        handle = RunHandle(uuid.uuid4().hex, workflow_id, version, owner_id, key_id, source, run_input,
                           detached_cancel)
        self.active[handle.id] = handle
        handle.row = {"id": handle.id, "workflow_id": workflow_id, "version": version, "owner_id": owner_id,
                      "key_id": key_id, "source": source, "status": "running", "input": run_input,
                      "runner": RUNNER, "created_at": _now()}
        # A run still going after START_DELAY is recorded as running; a quicker one is written
        # once, complete, when it ends (one INSERT instead of an INSERT and an UPDATE).
        handle.start_timer = asyncio.get_running_loop().call_later(START_DELAY, self._record_start, handle)
        handle.task = asyncio.create_task(self._execute(handle, graph), name=f"run-{handle.id}")
        return handle

    def _record_start(self, handle: RunHandle) -> None:
        handle.start_timer = None
        if not handle.done:
            self.recorder.started(handle.row)
            handle.row = None

    async def _execute(self, handle: RunHandle, graph: CompiledGraph) -> None:
        try:
            handle.output = await self.engine.run(graph, handle.run_input, handle.emit, run_id=handle.id,
                                                  state=handle.state)
            handle.status = "completed"
        except FlowAIError as exc:
            handle.error = exc
            handle.status = "failed"
        except asyncio.CancelledError:
            handle.status = "cancelled"
            handle.emit(RunFailed(None, 50001, "The run was cancelled.", status="cancelled"))
        finally:
            if handle.status == "running":  # an unexpected exception escaped the engine
                handle.status = "failed"
            self._record(handle)
            self.active.pop(handle.id, None)
            self.recent[handle.id] = handle
            while len(self.recent) > self.retention:
                self.recent.popitem(last=False)

    def _record(self, h: RunHandle) -> None:
        if h.start_timer is not None:
            h.start_timer.cancel()
            h.start_timer = None
        error = None
        if h.status in ("failed", "cancelled"):
            last = h.events[-1] if h.events else None
            if isinstance(last, RunFailed):
                error = {"code": last.code, "message": last.message, "node": last.node, "detail": last.detail}
        total = next((e.total_time for e in h.events if isinstance(e, RunSucceeded)), time.perf_counter() - h.started)
        self.recorder.finished(
            {**(h.row or {}), "id": h.id, "status": h.status, "output": h.output, "error": error, "usage": h.state.usage or None,
             "events": [event_record(e) for e in h.events], "finished_at": _now(), "total_time": total},
            node_records(h.id, h.events, h.started), inserted=h.row is None)

    async def shutdown(self) -> None:
        for handle in list(self.active.values()):
            handle.cancel()
        tasks = [h.task for h in self.active.values() if h.task]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def event_record(ev: Event) -> dict[str, Any]:
    return {"kind": ev.kind, **{name: getattr(ev, name) for name in ev.__slots__}}


def node_records(run_id: str, events: list[Event], started: float) -> list[dict]:
    nodes: dict[str, dict] = {}
    for ev in events:
        if isinstance(ev, NodeStarted):
            nodes[ev.node] = {"run_id": run_id, "node_id": ev.node, "type": ev.type, "status": "running",
                              "started_at": None, "time_spend": None, "outputs": None, "usage": None, "error": None}
        elif isinstance(ev, NodeFinished):
            nodes[ev.node].update(status="completed", time_spend=ev.time_spend, outputs=ev.outputs, usage=ev.usage)
        elif isinstance(ev, NodeFailed):
            nodes[ev.node].update(status="failed", time_spend=ev.time_spend, error=ev.message)
    for rec in nodes.values():
        if rec["status"] == "running":
            rec["status"] = "cancelled"
    return list(nodes.values())
