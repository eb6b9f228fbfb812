"""One way to start a run and to find one, whatever the entrance: the run API, the management
API (runs and batches), the background queue, the CLI and the editor's test runs are thin
adapters over :class:`RunService`.

It owns what every entrance used to write out for itself: resolving the version (the compiled
graph is cached by the workflow store), checking the input against the compiled graph,
idempotency keys, scoping to the principal (an account, and the API key it came with), and
the one answer for a run that is not the principal's: *not found* — its existence is not
revealed. The run API answers that 40401, the management API 40402 (``missing=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from flowai.errors import (
    FlowAIError,
    ForbiddenError,
    IdempotencyMismatchError,
    InputError,
    NotFoundError,
    ResourceNotFoundError,
)
from flowai.runs import tools
from flowai.runs.callbacks import Callbacks
from flowai.runs.distributed import LocalQueue, RemoteRuns, RunQueue
from flowai.runs.engine import RunState
from flowai.runs.history import RunHistory, RunTrace
from flowai.runs.idempotency import Idempotency
from flowai.runs.manager import RunHandle, RunManager, stored_handle
from flowai.runs.regenerate import regenerated, reused_state
from flowai.workflows.graph import CompiledGraph
from flowai.workflows.store import Workflows
from storage import queries
from storage.db import session
from storage.ids import new_id
from storage.models import Run, RunNode


class KeyScope(Protocol):
    """The API key a request came with (flowai.access.keys's key object)."""

    @property
    def id(self) -> int: ...

    def allows(self, workflow_id: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Principal:
    """Who starts or looks at runs: an account, and the API key it used (``None``: signed in)."""

    owner_id: int
    key: KeyScope | None = None

    @property
    def key_id(self) -> int | None:
        return self.key.id if self.key is not None else None

    def allows(self, workflow_id: str) -> bool:
        return self.key is None or self.key.allows(workflow_id)


class Mode(Enum):
    CLIENT = "client"  # starts now; cancelled when its last follower leaves (run API, editor)
    LOCAL = "local"  # starts now; runs to its end whoever follows (CLI)
    QUEUED = "queued"  # waits its turn in the background queue, recorded node by node, resumable


@dataclass(frozen=True, slots=True)
class Target:
    """A workflow version to run, compiled."""

    workflow_id: str
    version: int
    graph: CompiledGraph


class RunService:
    def __init__(
        self,
        manager: RunManager,
        workflows: Workflows,
        history: RunHistory,
        idempotency: Idempotency,
        callbacks: Callbacks,
        *,
        queue: RunQueue | None = None,
        remote: RemoteRuns | None = None,
    ):
        self.manager = manager
        self.queue: RunQueue = queue or LocalQueue(manager)
        self.remote = remote  # runs executing in other processes (a scaled deployment)
        self.workflows = workflows
        self.history = history
        self.idempotency = idempotency
        self.callbacks = callbacks
        self.db = history.db
        self.recorder = manager.recorder

    # which version ------------------------------------------------------------------------
    def published(self, principal: Principal, workflow_id: str) -> int:
        """The published version number of a workflow the principal may run through the run API
        (404 when it is missing, unpublished or another account's; 403 outside the key's scope)."""
        published = self.workflows.published(workflow_id)
        if published is None or published[0] != principal.owner_id or published[1] is None:
            raise NotFoundError(f"Workflow {workflow_id} was not found or is not published.")
        if not principal.allows(workflow_id):
            raise ForbiddenError("This API key is not allowed to run this workflow.")
        return published[1]

    def target(self, principal: Principal, workflow_id: str, version: int | None = None) -> Target:
        """The given version of one of the principal's workflows, else the published one, else the latest."""
        wf = self.workflows.get(owner_id=principal.owner_id, workflow_id=workflow_id)
        number = version or wf.published_version or wf.latest_version
        if not number or number > wf.latest_version or number < 1:
            raise InputError(f"Workflow {workflow_id} has no version {version}.", detail={"version": "invalid"})
        return self.compiled(wf.id, number)

    def compiled(self, workflow_id: str, version: int) -> Target:
        """A version already resolved (and known to be the caller's), compiled (cached)."""
        return Target(workflow_id, version, self.workflows.compiled(workflow_id, version))

    # starting -----------------------------------------------------------------------------
    async def start(
        self,
        principal: Principal,
        target: Target,
        raw_input: Any,
        *,
        mode: Mode,
        source: str,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
        extra: dict | None = None,
    ) -> RunHandle:
        """Check the input and start a run. With ``idempotency_key``, a retry of the same request
        gets the first run back; the same key with another request is refused (422)."""
        run_input = target.graph.check_input(raw_input)
        if callback_url:
            await self.callbacks.check(callback_url)
        run_id = None
        if idempotency_key is not None:
            if len(idempotency_key) > 200:
                raise InputError("The Idempotency-Key header is longer than 200 characters.")
            run_id = new_id()
            first = await self.idempotency.claim(principal.key_id or 0, idempotency_key, run_id)
            if first is not None:
                return await self._retried(principal, first, target, run_input, callback_url)
        handle = self.start_checked(
            principal,
            target,
            run_input,
            mode=mode,
            source=source,
            callback_url=callback_url,
            extra=extra,
            run_id=run_id,
        )
        if mode is Mode.QUEUED:
            await self.queue.queued(handle)  # durably queued before the client hears of it
        return handle

    def start_checked(
        self,
        principal: Principal,
        target: Target,
        run_input: dict[str, Any],
        *,
        mode: Mode,
        source: str,
        callback_url: str | None = None,
        extra: dict | None = None,
        run_id: str | None = None,
        state: RunState | None = None,
    ) -> RunHandle:
        """Start a run whose input ``target.graph.check_input`` has already returned. ``state``
        (a run started now, not queued): the outputs of nodes that are not executed."""
        row = {**(extra or {}), "callback_url": callback_url} if callback_url else extra
        common: dict[str, Any] = dict(
            workflow_id=target.workflow_id,
            version=target.version,
            owner_id=principal.owner_id,
            key_id=principal.key_id,
            source=source,
            run_id=run_id,
            extra=row,
        )
        if mode is Mode.QUEUED:
            handle = self.queue.submit(target.graph, run_input, **common)
        else:
            handle = self.manager.start(
                target.graph, run_input, detached_cancel=mode is Mode.CLIENT, state=state, **common
            )
        if callback_url and (mode is not Mode.QUEUED or self.queue.local):  # else the executing process does
            self.callbacks.attach(handle, callback_url)
        return handle

    def start_many(
        self, principal: Principal, target: Target, inputs: Sequence[Any], *, source: str, extra: dict | None = None
    ) -> list[RunHandle]:
        """Queue one run per input; every input is checked first, so one bad input starts none."""
        problems: dict[str, str] = {}
        checked = []
        for i, item in enumerate(inputs):
            try:
                checked.append(target.graph.check_input(item))
            except FlowAIError as exc:
                problems[str(i)] = exc.message
        if problems:
            first = next(iter(problems.items()))
            raise InputError(f"Input {first[0]} is invalid: {first[1]}", detail=problems)
        return [
            self.start_checked(principal, target, item, mode=Mode.QUEUED, source=source, extra=extra)
            for item in checked
        ]

    async def queued(self, handles: Sequence[RunHandle]) -> None:
        """Until runs started with ``Mode.QUEUED`` (:meth:`start_many`) are durably queued."""
        for handle in handles:
            await self.queue.queued(handle)

    async def regenerate(
        self,
        principal: Principal,
        run_id: str,
        node_id: str,
        config: dict | None,
        *,
        missing: type[NotFoundError],
        more: dict[str, dict] | None = None,
    ) -> tuple[Run, RunHandle]:
        """Re-run one node of an ended run (and the nodes of ``more``, each with its config), and
        what depends on them (see flowai.runs.regenerate)."""
        run = await self.record(principal, run_id, missing=missing)
        if run.status not in ("completed", "failed", "cancelled"):
            raise InputError(
                f"Run {run_id} is {run.status}; regenerate a node once the run has ended.",
                detail={"status": run.status},
            )
        graph, state = regenerated(
            self.workflows,
            owner_id=principal.owner_id,
            run=run,
            node_id=node_id,
            nodes=self.nodes(run_id),
            config=config,
            more=more,
        )
        handle = self.queue.submit(  # on a scaled deployment, a worker executes it
            graph,
            run.input,
            workflow_id=run.workflow_id,
            version=run.version,
            owner_id=principal.owner_id,
            source="regenerate",
            state=state,
            # the document that ran, with its overrides: a later regeneration starts from it
            extra={"parent_run_id": run.id, "name": run.name, "graph": graph.doc.model_dump(mode="json")},
        )
        await self.queue.queued(handle)
        return run, handle

    # the editor's run tools (flowai.runs.tools) ----------------------------------------------
    def run_node(
        self,
        principal: Principal,
        target: Target,
        node_id: str,
        upstream: dict[str, dict[str, Any]],
        run_input: dict[str, Any],
        *,
        source: str = "editor",
    ) -> RunHandle:
        """Run one node of ``target`` alone on sample values of what it reads (``upstream``: node
        id -> port -> value); nothing else is executed. A client run, recorded like any other."""
        graph, state = tools.single_node(target.graph, node_id, upstream)
        return self.start_checked(
            principal,
            Target(target.workflow_id, target.version, graph),
            run_input,
            mode=Mode.CLIENT,
            source=source,
            state=state,
        )

    async def rerun_from(
        self,
        principal: Principal,
        run_id: str,
        node_id: str,
        target: Target,
        *,
        source: str = "editor",
        pinned: bool = True,
    ) -> RunHandle:
        """Run ``target`` (the editor's current graph) again from ``node_id``: that node and what
        depends on it are executed, every other node's outputs reused from the ended run
        ``run_id`` (as :meth:`regenerate` does for a saved version). ``pinned``: the graph's
        pinned nodes are not executed either. A client run on the ended run's input."""
        run = await self.record(principal, run_id)
        if run.status not in ("completed", "failed", "cancelled"):
            raise InputError(
                f"Run {run_id} is {run.status}; run again from a node once the run has ended.",
                detail={"status": run.status},
            )
        if run.workflow_id != target.workflow_id:
            raise InputError(f"Run {run_id} is another workflow's.")
        state = reused_state(target.graph, node_id, self.nodes(run_id), run_id)
        if pinned:
            tools.pinned_state(target.graph, state)
        return self.start_checked(
            principal,
            target,
            run.input or {},
            mode=Mode.CLIENT,
            source=source,
            state=state,
            extra={"parent_run_id": run.id},
        )

    async def trace(self, principal: Principal, run_id: str) -> RunTrace:
        """One of the principal's runs node by node (labels, inputs, outputs, status, usage), the
        same whatever started it; labelled from the graph it ran when that still compiles."""
        run = await self.record(principal, run_id)
        try:
            graph = self.workflows.ran(run) if run.version or run.graph else None
        except FlowAIError:
            graph = None
        trace = self.history.trace(owner_id=principal.owner_id, run_id=run_id, graph=graph)
        if graph is not None:
            _template_inputs(trace, graph)
        return trace

    async def _retried(
        self, principal: Principal, run_id: str, target: Target, run_input: dict, callback_url: str | None
    ) -> RunHandle:
        first = await self.find(principal, run_id)
        asked = (target.workflow_id, target.version, run_input, callback_url)
        if (first.workflow_id, first.version, first.run_input, first.callback_url) != asked:
            raise IdempotencyMismatchError(
                "This Idempotency-Key was used with a different request (workflow, version, input or "
                "callback_url); use a new key for a new run.",
            )
        return first

    # finding ------------------------------------------------------------------------------
    def live(self, principal: Principal, run_id: str) -> RunHandle | None:
        """The run, if it is the principal's and kept in this process's memory (executed here, or
        followed from the process executing it)."""
        handle = self.manager.get(run_id)
        if handle is None and self.remote is not None:
            handle = self.remote.followed(run_id)
        if handle is None or handle.owner_id != principal.owner_id or not principal.allows(handle.workflow_id):
            return None
        return handle

    async def locate(self, principal: Principal, run_id: str) -> RunHandle | None:
        """Like :meth:`live`, and else the run as another process executes it, followed from here."""
        handle = self.live(principal, run_id)
        if handle is None and self.remote is not None:
            followed = await self.remote.follow(run_id)
            if followed is not None:
                handle = self.live(principal, run_id)
        return handle

    async def find(
        self, principal: Principal, run_id: str, *, missing: type[NotFoundError] = NotFoundError
    ) -> RunHandle:
        """The run in memory (here or followed from the process executing it), or rebuilt from its
        recorded events to replay or answer for it."""
        handle = self.live(principal, run_id)
        if handle is not None:
            return handle
        run = await self._record_or_none(principal, run_id)
        if run is not None and run.events:
            return stored_handle(run)
        if self.remote is not None:
            handle = await self.locate(principal, run_id)
            if handle is not None:
                return handle
            run = await self._record_or_none(principal, run_id)  # it may have ended meanwhile
            if run is not None and run.events:
                return stored_handle(run)
        if run is None:
            raise missing(f"Run {run_id} was not found.")
        raise missing(f"Run {run_id} is not running in this process; see its status instead.")

    async def _record_or_none(self, principal: Principal, run_id: str) -> Run | None:
        try:
            return await self.record(principal, run_id)
        except NotFoundError:
            return None

    async def control(
        self, principal: Principal, run_id: str, action: str, *, missing: type[NotFoundError] = NotFoundError
    ) -> str:
        """Pause, resume or cancel one of the principal's runs, wherever it executes or waits; the
        status to answer (``cancelling`` while a cancelled run winds down)."""
        handle = self.manager.get(run_id)
        if handle is not None and handle.owner_id == principal.owner_id and principal.allows(handle.workflow_id):
            getattr(self.manager, action)(handle)
            return "cancelling" if action == "cancel" and not handle.done else handle.status
        run = await self.record(principal, run_id, missing=missing)
        if self.remote is not None and run.status in ("pending", "running", "paused"):
            reply = await self.remote.control(run_id, action)
            if reply is not None:
                if "error" in reply:
                    raise InputError(reply["error"], detail=reply.get("detail"))
                return reply["status"]
        status = await self.queue.transition(run_id, action)
        if status is not None:
            return status
        raise InputError(f"Run {run_id} is {run.status} and not active in this process.", detail={"status": run.status})

    async def record(self, principal: Principal, run_id: str, *, missing: type[NotFoundError] = NotFoundError) -> Run:
        """The run's row (runs that just ended are written first)."""
        await self.recorder.flush()
        with session(self.db) as s:
            run = queries.get_run(s, run_id=run_id, owner_id=principal.owner_id)
        if run is None or not principal.allows(run.workflow_id):
            raise missing(f"Run {run_id} was not found.")
        return run

    def nodes(self, run_id: str) -> list[RunNode]:
        """A run's node rows (call after :meth:`record`, which checked it is the caller's)."""
        with session(self.db) as s:
            return queries.run_nodes(s, run_id=run_id)

    async def page(
        self,
        principal: Principal,
        *,
        status: str | None = None,
        workflow_id: str | None = None,
        source: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Run], int]:
        """The principal's runs, newest first, and how many match."""
        await self.recorder.flush()
        return self.history.page(
            owner_id=principal.owner_id,
            status=status,
            workflow_id=workflow_id,
            source=source,
            offset=offset,
            limit=limit,
        )

    async def batch(self, principal: Principal, batch_id: str) -> list[Run]:
        """A batch's runs in the order they were queued (403 for another account's batch)."""
        await self.recorder.flush()
        with session(self.db) as s:
            runs = queries.batch_runs(s, batch_id=batch_id)
        if not runs:
            raise ResourceNotFoundError(f"Batch {batch_id} was not found.")
        if runs[0].owner_id != principal.owner_id:
            raise ForbiddenError("This batch belongs to another account.")
        return runs


def _template_inputs(trace: RunTrace, graph: CompiledGraph) -> None:
    """Each node's inputs also with the values its templates read (``label.port``), not only
    those its wires delivered."""
    outputs = {n.node_id: n.outputs or {} for n in trace.nodes}
    for node in trace.nodes:
        compiled = graph.nodes.get(node.node_id)
        if compiled is None or node.status in ("skipped", "pending"):
            continue
        wired = set(compiled.edge_inputs.values())
        for src, port in tools.reads(graph, node.node_id):
            if (src, port) not in wired and port in outputs.get(src, {}):
                node.inputs.setdefault(f"{graph.nodes[src].label or src}.{port}", outputs[src][port])
