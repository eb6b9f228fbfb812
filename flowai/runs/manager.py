"""Runs in flight: start them, queue them, pause them, fan their events out, record them.

A :class:`RunHandle` keeps every event of its run in order (their sequence numbers are the SSE
``id:`` lines) so a dropped client can reconnect and miss nothing. Two kinds of run:

- *client runs* (a JSON or SSE request) start at once and are cancelled when their last
  follower leaves and nobody reconnects within the grace period;
- *background runs* (``POST /api/v1/runs``, ``"async": true``, batches) wait in a queue that
  is fair across accounts, record each finished node as it happens (so a restarted server can
  resume them from the last finished node), and can be paused, resumed and cancelled.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson

from flowai.errors import FlowAIError, InputError, NodeError, ProviderError
from flowai.runs.engine import Engine, RunState
from flowai.runs.events import (
    TERMINAL,
    BudgetWarning,
    Event,
    FallbackTaken,
    LoopProgress,
    NodeFailed,
    NodeFinished,
    NodeRetry,
    NodeSkipped,
    NodeStarted,
    RunFailed,
    RunStarted,
    RunSucceeded,
    StreamDelta,
)
from flowai.stats import Histogram
from flowai.workflows.graph import CompiledGraph
from storage.ids import new_id

RUNNER = f"{socket.gethostname()}:{os.getpid()}"
START_DELAY = 0.5  # seconds before a still-running client run is written as 'running'
RETENTION_BYTES = 32 * 1024 * 1024  # finished runs kept in memory for replay, by their events' JSON size
FINAL = ("completed", "failed", "cancelled")


class Recorder(Protocol):
    """Where runs are stored (storage.recorder.RunRecorder implements it)."""

    def started(self, run: dict) -> None: ...

    def finished(self, run: dict, nodes: list[dict], *, inserted: bool) -> asyncio.Future | None:
        """``inserted``: whether ``started`` was called; if not, ``run`` is the complete row.
        Returns a future that settles, once the run is written, with the ids of runs that could
        not be (None: no way to wait)."""

    def status(self, run_id: str, values: dict) -> None: ...

    def node(self, record: dict) -> None: ...

    async def flush(self) -> None:
        """Until everything handed over so far is written."""


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(eq=False)
class RunHandle:
    id: str
    workflow_id: str
    version: int
    owner_id: int
    key_id: int | None
    source: str
    run_input: dict[str, Any]
    graph: CompiledGraph | None
    background: bool = False
    callback_url: str | None = None
    events: list[Event] = field(default_factory=list)
    status: str = "running"
    output: Any = None
    error: FlowAIError | None = None
    state: RunState = field(default_factory=RunState)
    started: float = field(default_factory=time.perf_counter)
    task: asyncio.Task | None = None
    on_done: list[Callable[[RunHandle], Coroutine[Any, Any, None]]] = field(default_factory=list)
    row: dict | None = None  # the run's row until the recorder has been asked to insert it
    size: int = 0  # bytes of its recorded events, once finished: what keeping it in memory costs
    start_timer: asyncio.TimerHandle | None = None
    recorded: asyncio.Future | None = None  # the recorder's batch holding its final row, once finished
    unflushed: bool = False  # a finished node's row handed to the recorder, maybe not yet written
    watch: Callable[[int, Event], None] | None = None  # another process follows it (flowai.scale.fanout)
    _queues: set[asyncio.Queue] = field(default_factory=set)
    _followers: int = 0
    _cancel_timer: asyncio.TimerHandle | None = None
    _gate: asyncio.Event = field(default_factory=asyncio.Event)
    _ended: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._gate.set()

    @property
    def done(self) -> bool:
        return self.status in FINAL

    def emit(self, ev: Event) -> None:
        self.events.append(ev)
        item = (len(self.events), ev)
        for q in self._queues:
            q.put_nowait(item)
        if self.watch is not None:
            self.watch(*item)

    # followers and the disconnect grace period -------------------------------------------
    def attach(self) -> None:
        self._followers += 1
        if self._cancel_timer is not None:
            self._cancel_timer.cancel()
            self._cancel_timer = None

    def detach(self, grace: float) -> None:
        self._followers -= 1
        if self._followers > 0 or self.done or self.background:
            return
        if grace <= 0:
            self.cancel()
        else:
            self._cancel_timer = asyncio.get_running_loop().call_later(grace, self._grace_over)

    def _grace_over(self) -> None:
        self._cancel_timer = None
        if self._followers == 0 and not self.done:
            self.cancel()

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
            if self.done:  # ended meanwhile (its last events are queued) or long ago
                while not queue.empty():
                    yield queue.get_nowait()
                return
            while True:
                item = await queue.get()
                yield item
                if isinstance(item[1], TERMINAL):
                    return
        finally:
            self._queues.discard(queue)

    async def wait(self) -> None:
        """Until the run has ended (a queued run waits for its turn first)."""
        if not self.done:
            await self._ended.wait()

    async def durable(self) -> bool:
        """After :meth:`wait`: until the run's final row is committed; False if it could not be."""
        if self.recorded is None:
            return True
        failed = await asyncio.shield(self.recorded)
        return self.id not in failed

    # lifecycle ---------------------------------------------------------------------------
    async def gate(self) -> None:
        await self._gate.wait()

    def cancel(self) -> bool:
        if self.done or self.task is None:
            return False
        self.task.cancel()
        return True


class RunManager:
    """Runs in flight, and the latest finished ones kept for replay: at most ``retention`` runs
    whose events take at most ``retention_bytes`` as JSON (older ones are replayed from the database)."""

    def __init__(
        self,
        engine: Engine,
        recorder: Recorder,
        *,
        grace: float = 10.0,
        retention: int = 1000,
        retention_bytes: int = RETENTION_BYTES,
        max_concurrent: int = 4,
    ):
        self.engine = engine
        self.recorder = recorder
        self.grace = grace
        self.retention = retention
        self.retention_bytes = retention_bytes
        self.max_concurrent = max_concurrent
        self.active: dict[str, RunHandle] = {}
        self.recent: OrderedDict[str, RunHandle] = OrderedDict()
        self._recent_bytes = 0
        self._queues: dict[int, deque[RunHandle]] = {}  # pending background runs per account
        self._owners: deque[int] = deque()  # round-robin order of accounts with queued runs
        self._busy = 0  # background runs holding a slot
        self._hooks: set[asyncio.Task] = set()  # on_done hooks in flight (callbacks)
        self.closing = False
        self.finished: dict[str, int] = {}  # runs ended per status since start (for /metrics)
        self.durations = Histogram()  # their total times, seconds

    @property
    def queue_depth(self) -> int:
        """Background runs waiting for a slot."""
        return sum(1 for q in self._queues.values() for h in q if h.status == "pending")

    @property
    def running(self) -> int:
        return sum(1 for h in self.active.values() if h.status == "running")

    def get(self, run_id: str) -> RunHandle | None:
        return self.active.get(run_id) or self.recent.get(run_id)

    # client runs -------------------------------------------------------------------------
    def start(
        self,
        graph: CompiledGraph,
        run_input: dict[str, Any],
        *,
        workflow_id: str,
        version: int,
        owner_id: int,
        key_id: int | None = None,
        source: str = "api",
        detached_cancel: bool = True,
        run_id: str | None = None,
        extra: dict | None = None,
        state: RunState | None = None,
    ) -> RunHandle:
        """Start a run now. ``detached_cancel``: cancel it when its client goes away. ``extra``:
        more columns of its row (``callback_url``, ``name``). ``state``: outputs of nodes that are
        not executed (the editor's pinned, reused or sample values)."""
        handle = RunHandle(
            run_id or new_id(),
            workflow_id,
            version,
            owner_id,
            key_id,
            source,
            run_input,
            graph,
            background=not detached_cancel,
            callback_url=(extra or {}).get("callback_url"),
            state=state or RunState(),
        )
        self.active[handle.id] = handle
        row = {**self._row(handle, "running"), **extra} if extra else self._row(handle, "running")
        if handle.background:  # its node rows are written as they finish: the run row goes first
            self.recorder.started(row)
        else:
            # A client run still going after START_DELAY is recorded as running; a quicker one is
            # written once, complete, when it ends (one INSERT instead of an INSERT and an UPDATE).
            handle.row = row
            handle.start_timer = asyncio.get_running_loop().call_later(START_DELAY, self._record_start, handle)
        handle.task = asyncio.create_task(self._execute(handle), name=f"run-{handle.id}")
        return handle

    def _record_start(self, handle: RunHandle) -> None:
        handle.start_timer = None
        if not handle.done and handle.row is not None:
            self.recorder.started(handle.row)
            handle.row = None

    # background runs ---------------------------------------------------------------------
    def resubmit(self, graph: CompiledGraph, run: Any, done_nodes: list, *, status: str = "pending") -> RunHandle:
        """Queue a stored run again (``run``: its ``runs`` row) from its finished nodes (``run_nodes``
        rows): their outputs are reused, never recomputed; the row is not recorded anew."""
        state = RunState()
        for n in done_nodes:
            if n.node_id in graph.nodes:
                state.outputs[n.node_id] = n.outputs or {}
                if n.usage:
                    state.usage[n.node_id] = n.usage
        return self.submit(
            graph,
            run.input,
            workflow_id=run.workflow_id,
            version=run.version,
            owner_id=run.owner_id,
            key_id=run.key_id,
            source=run.source,
            run_id=run.id,
            state=state,
            status=status,
            record=False,
        )

    def submit(
        self,
        graph: CompiledGraph,
        run_input: dict[str, Any],
        *,
        workflow_id: str,
        version: int,
        owner_id: int,
        key_id: int | None = None,
        source: str = "background",
        run_id: str | None = None,
        state: RunState | None = None,
        extra: dict | None = None,
        status: str = "pending",
        record: bool = True,
    ) -> RunHandle:
        """Queue a background run; it starts when a slot is free (fair across accounts)."""
        handle = RunHandle(
            run_id or new_id(),
            workflow_id,
            version,
            owner_id,
            key_id,
            source,
            run_input,
            graph,
            background=True,
            callback_url=(extra or {}).get("callback_url"),
            status=status,
            state=state or RunState(),
        )
        if status == "paused":
            handle._gate.clear()
        self.active[handle.id] = handle
        if record:
            self.recorder.started({**self._row(handle, status), **(extra or {})})
        self._queues.setdefault(owner_id, deque()).append(handle)
        if owner_id not in self._owners:
            self._owners.append(owner_id)
        self._pump()
        return handle

    def _pump(self) -> None:
        while self._busy < self.max_concurrent and not self.closing:
            handle = self._next_queued()
            if handle is None:
                return
            self._busy += 1
            if handle.status == "pending":
                handle.status = "running"
                self.recorder.status(handle.id, {"status": "running", "runner": RUNNER})
            handle.started = time.perf_counter()
            handle.task = asyncio.create_task(self._execute(handle), name=f"run-{handle.id}")
            handle.task.add_done_callback(self._slot_freed)

    def _next_queued(self) -> RunHandle | None:
        for _ in range(len(self._owners)):
            owner = self._owners[0]
            self._owners.rotate(-1)
            queue = self._queues.get(owner) or deque()
            while queue and queue[0].done:  # cancelled while queued
                queue.popleft()
            for handle in list(queue):
                if handle.status == "pending":
                    queue.remove(handle)
                    if not queue:
                        del self._queues[owner]
                        self._owners.remove(owner)
                    return handle
            if not queue:
                self._queues.pop(owner, None)
                if owner in self._owners:
                    self._owners.remove(owner)
        return None

    def _slot_freed(self, _task: asyncio.Task) -> None:
        self._busy -= 1
        self._pump()

    def pause(self, handle: RunHandle) -> None:
        """No new node starts; nodes already running finish."""
        if handle.status not in ("pending", "running"):
            raise _bad_transition(handle, "pause")
        handle.status = "paused"
        handle._gate.clear()
        self.recorder.status(handle.id, {"status": "paused"})

    def resume(self, handle: RunHandle) -> None:
        if handle.status != "paused":
            raise _bad_transition(handle, "resume")
        handle.status = "running" if handle.task is not None else "pending"
        handle._gate.set()
        self.recorder.status(handle.id, {"status": handle.status})
        self._pump()

    def cancel(self, handle: RunHandle) -> None:
        if handle.done:
            raise _bad_transition(handle, "cancel")
        if handle.task is None:  # still queued: never started
            handle.status = "cancelled"
            handle.emit(RunFailed(None, 50001, "The run was cancelled.", status="cancelled"))
            self._finish(handle)
        else:
            handle._gate.set()  # a paused run must wake up to be cancelled
            handle.cancel()

    # execution and recording -------------------------------------------------------------
    async def _execute(self, handle: RunHandle) -> None:
        emit = self._durable_emit(handle) if handle.background else handle.emit
        assert handle.graph is not None  # only runs rebuilt from the database lack one, and they are finished
        try:
            handle.output = await self.engine.run(
                handle.graph,
                handle.run_input,
                emit,
                run_id=handle.id,
                state=handle.state,
                gate=self._durable_gate(handle) if handle.background else handle.gate,
                workflow_id=handle.workflow_id,
                owner_id=handle.owner_id,
            )
            handle.status = "completed"
        except FlowAIError as exc:
            handle.error = exc
            handle.status = "failed"
        except asyncio.CancelledError:
            if self.closing and handle.background:
                handle.status = "interrupted"  # stays 'running' in the database: the next start resumes it
            else:
                handle.status = "cancelled"
                handle.emit(RunFailed(None, 50001, "The run was cancelled.", status="cancelled"))
        finally:
            if handle.status == "interrupted":
                self.active.pop(handle.id, None)
                handle._ended.set()
            else:
                if not handle.done:  # an unexpected exception escaped the engine
                    handle.status = "failed"
                self._finish(handle)
        if handle.status == "interrupted":
            return
        for hook in handle.on_done:
            task = asyncio.create_task(hook(handle))
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)

    def _durable_gate(self, handle: RunHandle) -> Callable[[], Coroutine[Any, Any, None]]:
        """Before a background run's next node starts, the nodes it finished are written: a run taken
        over after a crash (another worker, a restart) never repeats a finished node's provider call."""

        async def gate() -> None:
            await handle.gate()
            if handle.unflushed:  # a node of it finished since the last node started
                handle.unflushed = False
                await self.recorder.flush()

        return gate

    def _durable_emit(self, handle: RunHandle) -> Callable[[Event], None]:
        def emit(ev: Event) -> None:
            handle.emit(ev)
            if isinstance(ev, NODE_EVENTS) and ev.item is None:  # a loop's items live in its outputs and events
                self.recorder.node(node_row(handle.id, ev))
                handle.unflushed = handle.unflushed or isinstance(ev, NodeFinished)

        return emit

    def _finish(self, h: RunHandle) -> None:
        if h.start_timer is not None:
            h.start_timer.cancel()
            h.start_timer = None
        error = None
        if h.status in ("failed", "cancelled"):
            last = h.events[-1] if h.events else None
            if isinstance(last, RunFailed):
                error = {"code": last.code, "message": last.message, "node": last.node, "detail": last.detail}
        total = next((e.total_time for e in h.events if isinstance(e, RunSucceeded)), time.perf_counter() - h.started)
        self.finished[h.status] = self.finished.get(h.status, 0) + 1
        self.durations.observe(total)
        events, size = _encoded_events(h.events)
        h.recorded = self.recorder.finished(
            {
                **(h.row or {}),
                "id": h.id,
                "status": h.status,
                "output": h.output,
                "error": error,
                "usage": h.state.usage or None,
                "events": events,
                "finished_at": _now(),
                "total_time": total,
            },
            node_records(h.id, h.events, h.state, h.graph),
            inserted=h.row is None,
        )
        h.row = None
        h._ended.set()
        self.active.pop(h.id, None)
        self._keep(h, size)

    def _keep(self, h: RunHandle, size: int | None) -> None:
        """Keep a finished run for replay, evicting the oldest kept ones over either bound."""
        h.size = self.retention_bytes + 1 if size is None else size  # not storable as JSON: not worth keeping
        self.recent[h.id] = h
        self._recent_bytes += h.size
        while self.recent and (len(self.recent) > self.retention or self._recent_bytes > self.retention_bytes):
            _, old = self.recent.popitem(last=False)
            self._recent_bytes -= old.size

    def _row(self, h: RunHandle, status: str) -> dict:
        return {
            "id": h.id,
            "workflow_id": h.workflow_id,
            "version": h.version,
            "owner_id": h.owner_id,
            "key_id": h.key_id,
            "source": h.source,
            "status": status,
            "input": h.run_input,
            "runner": RUNNER,
            "created_at": _now(),
            # an unsaved draft exists nowhere else: keep what ran, for the trace's labels and inputs
            "graph": h.graph.doc.model_dump(mode="json") if h.version == 0 and h.graph is not None else None,
        }

    async def shutdown(self) -> None:
        """Stop: client runs are cancelled; background runs (running or queued) stay recorded as
        such, so the next start resumes them from their last finished node."""
        self.closing = True
        tasks = [h.task for h in self.active.values() if h.task is not None]
        for task in tasks:
            task.cancel()
        for handle in list(self.active.values()):
            if handle.start_timer is not None:
                handle.start_timer.cancel()
            if handle._cancel_timer is not None:
                handle._cancel_timer.cancel()
        hooks = list(self._hooks)
        for task in hooks:
            task.cancel()
        if tasks or hooks:
            await asyncio.gather(*tasks, *hooks, return_exceptions=True)


def _bad_transition(handle: RunHandle, action: str) -> InputError:
    return InputError(f"Cannot {action} a run that is {handle.status}.", detail={"status": handle.status})


def event_record(ev: Event) -> dict[str, Any]:
    """An event as stored; ``item`` only on the events of nodes inside a loop."""
    record = {"kind": ev.kind}
    for name in ev.__slots__:
        record[name] = getattr(ev, name)
    if record.get("item", 0) is None:
        del record["item"]
    return record


def _encoded_events(events: list[Event]) -> tuple[Any, int | None]:
    """The run's events as the recorder stores them, JSON-encoded once (an ``orjson.Fragment``
    the recorder embeds as is), and their size; a run whose events JSON cannot hold gets the
    plain records (the recorder then reports it as not written) and no size."""
    records = [event_record(e) for e in events]
    try:
        encoded = orjson.dumps(records, option=orjson.OPT_NON_STR_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return records, None
    return orjson.Fragment(encoded), len(encoded)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        RunStarted,
        NodeStarted,
        NodeFinished,
        NodeFailed,
        NodeSkipped,
        StreamDelta,
        LoopProgress,
        RunSucceeded,
        RunFailed,
    )
}
EVENT_TYPES.update({cls.kind: cls for cls in (NodeRetry, FallbackTaken, BudgetWarning)})
NODE_EVENTS = (NodeStarted, NodeFinished, NodeFailed, NodeSkipped)


def stored_handle(run) -> RunHandle:
    """A finished run rebuilt from its database row, to replay its events or answer for it."""
    events = [EVENT_TYPES[e["kind"]](**{k: v for k, v in e.items() if k != "kind"}) for e in run.events or ()]
    handle = RunHandle(
        run.id,
        run.workflow_id,
        run.version,
        run.owner_id,
        run.key_id,
        run.source,
        run.input,
        None,
        background=True,
        callback_url=run.callback_url,
        events=events,
        status=run.status,
        output=run.output,
    )
    if run.error:
        kind = ProviderError if run.error.get("code") == 50002 else NodeError
        handle.error = kind(run.error.get("message") or "The run failed.", detail=run.error.get("detail"))
    return handle


def node_row(run_id: str, ev: NodeStarted | NodeFinished | NodeFailed | NodeSkipped) -> dict:
    """The run_nodes row one node event leaves behind."""
    row: dict[str, Any] = {
        "run_id": run_id,
        "node_id": ev.node,
        "type": ev.type,
        "status": "running",
        "started_at": None,
        "time_spend": None,
        "outputs": None,
        "usage": None,
        "error": None,
    }
    if isinstance(ev, NodeFinished):
        row.update(status="completed", time_spend=ev.time_spend, outputs=ev.outputs, usage=ev.usage)
    elif isinstance(ev, NodeFailed):
        row.update(status="failed", time_spend=ev.time_spend, error=ev.message)
    elif isinstance(ev, NodeSkipped):
        row.update(status="skipped")
    return row


def node_records(
    run_id: str, events: list[Event], state: RunState | None = None, graph: CompiledGraph | None = None
) -> list[dict]:
    """Per-node rows from a run's events. Nodes whose outputs came from an earlier run (resume,
    regenerate) are 'reused' rows, which never overwrite a row already stored."""
    nodes: dict[str, dict] = {}
    for ev in events:
        if isinstance(ev, NODE_EVENTS) and ev.item is None:
            nodes[ev.node] = node_row(run_id, ev)
        elif isinstance(ev, FallbackTaken) and ev.node in nodes:
            nodes[ev.node]["status"] = "fallback"  # failed, and the run went on along its error edges
    reused = state.outputs if state else {}
    usage = state.usage if state else {}
    for row in nodes.values():
        if row["status"] == "running":
            row["status"] = "cancelled"
        if row["usage"] is None and row["status"] in ("failed", "cancelled"):
            row["usage"] = usage.get(row["node_id"])  # the provider and model a failed call reached
    for node_id, outputs in reused.items():
        if node_id not in nodes:
            nodes[node_id] = reused_row(run_id, graph, node_id, outputs, usage.get(node_id))
    return list(nodes.values())


def reused_row(
    run_id: str, graph: CompiledGraph | None, node_id: str, outputs: dict, usage: dict | None = None
) -> dict:
    """The row of a node whose outputs came from an earlier run (resume, regenerate)."""
    return {
        "run_id": run_id,
        "node_id": node_id,
        "type": graph.nodes[node_id].spec.type if graph and node_id in graph.nodes else "",
        "status": "reused",
        "started_at": None,
        "time_spend": 0.0,
        "outputs": outputs,
        "usage": usage,
        "error": None,
    }
