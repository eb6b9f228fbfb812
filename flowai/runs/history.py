"""Run history for people: pages of past runs (filtered by status, workflow, source) and one
run's trace, node by node, with the values that reached each node and what it cost.

Reads the rows the run recorder wrote; callers ``await platform.recorder.flush()`` first when
they must see a run that has just ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from flowai.errors import NotFoundError
from storage.db import session
from storage.models import Run, RunNode

STATUSES = ("pending", "running", "paused", "completed", "failed", "cancelled")
SOURCES = ("api", "editor", "cli", "background", "async", "batch", "regenerate")


@dataclass(slots=True)
class NodeTrace:
    node_id: str
    label: str
    type: str
    status: str
    time_spend: float | None
    inputs: dict[str, Any]  # target port -> the value its edge delivered
    outputs: dict[str, Any] | None
    usage: dict[str, Any] | None
    error: str | None
    types: dict[str, str] = field(default_factory=dict)  # port -> port type (image, audio, text, ...)


@dataclass(slots=True)
class RunTrace:
    run: Run
    nodes: list[NodeTrace] = field(default_factory=list)

    @property
    def cost(self) -> float | None:
        return run_cost(self.run.usage)


def run_cost(usage: dict[str, Any] | None) -> float | None:
    """The run's estimated cost in USD: the sum of the ``cost`` its nodes' usage reported (the
    router's and Replicate's per-call estimates; a cache hit reports 0). None when none reported one."""
    reported = [u.get("cost") for u in (usage or {}).values() if isinstance(u, dict)]
    costs = [float(c) for c in reported if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return round(sum(costs), 6) if costs else None


class RunHistory:
    def __init__(self, db: Engine):
        self.db = db

    def page(
        self,
        *,
        owner_id: int,
        status: str | None = None,
        workflow_id: str | None = None,
        source: str | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[list[Run], int]:
        """Newest first, and how many match."""
        where = [col(Run.owner_id) == owner_id]
        if status:
            where.append(col(Run.status) == status)
        if workflow_id:
            where.append(col(Run.workflow_id) == workflow_id)
        if source:
            where.append(col(Run.source) == source)
        with session(self.db) as s:
            total = s.exec(select(func.count()).select_from(Run).where(*where)).one()
            rows = s.exec(
                select(Run).where(*where).order_by(col(Run.created_at).desc(), col(Run.id)).offset(offset).limit(limit)
            ).all()
        return list(rows), total

    def trace(self, *, owner_id: int, run_id: str, graph=None) -> RunTrace:
        """The run and its nodes in the order they ran (outputs reused from an earlier run first,
        nodes that never started last, in the graph's order). ``graph``: the run's compiled version
        (or the draft it ran), if it still exists; without it the labels come from the run's events."""
        with session(self.db) as s:
            run = s.get(Run, run_id)
            if run is None or run.owner_id != owner_id:
                raise NotFoundError(f"Run {run_id} was not found.")
            stored = {n.node_id: n for n in s.exec(select(RunNode).where(RunNode.run_id == run_id)).all()}
        trace = RunTrace(run)
        started, labels = _started(run.events)
        order = _execution_order(list(graph.nodes) if graph is not None else list(stored), stored, started)
        outputs = {nid: (n.outputs or {}) for nid, n in stored.items()}
        for node_id in order:
            n = stored.get(node_id)
            compiled = graph.nodes.get(node_id) if graph is not None else None
            inputs = {}
            if compiled is not None and n is not None:  # a node that never ran received nothing
                for port, (source, source_port) in compiled.edge_inputs.items():
                    if source in outputs and source_port in outputs[source]:
                        inputs[port] = outputs[source][source_port]
            trace.nodes.append(
                NodeTrace(
                    node_id=node_id,
                    label=compiled.label if compiled else labels.get(node_id, node_id),
                    type=compiled.spec.type if compiled else (n.type if n else ""),
                    status=n.status if n else _never_started(run.status),
                    time_spend=n.time_spend if n else None,
                    inputs=inputs,
                    outputs=n.outputs if n else None,
                    usage=n.usage if n else None,
                    error=n.error if n else None,
                    types=_port_types(compiled, graph),
                )
            )
        return trace


def _never_started(run_status: str) -> str:
    """A node that never started: cancelled with its run (the run was stopped before it), skipped
    by a run that ended otherwise, pending while the run goes on."""
    if run_status == "cancelled":
        return "cancelled"
    return "skipped" if run_status in ("completed", "failed") else "pending"


def _started(events: list[dict] | None) -> tuple[dict[str, int], dict[str, str]]:
    """From a run's stored events: node -> the rank it started at, and node -> its label."""
    started: dict[str, int] = {}
    labels: dict[str, str] = {}
    for ev in events or ():
        if ev.get("item") is not None or not isinstance(ev.get("node"), str):
            continue  # a loop's items run inside their loop node
        if ev.get("label"):
            labels.setdefault(ev["node"], str(ev["label"]))
        if ev.get("kind") == "start_node":
            started.setdefault(ev["node"], len(started))
    return started, labels


def _execution_order(order: list[str], stored: dict[str, RunNode], started: dict[str, int]) -> list[str]:
    def rank(item: tuple[int, str]) -> tuple[int, int]:
        at, node_id = item
        if node_id in started:
            return (1, started[node_id])
        row = stored.get(node_id)
        return (0, at) if row is not None and row.status == "reused" else (2, at)

    return [node_id for _, node_id in sorted(enumerate(order), key=rank)]


def _port_types(compiled, graph) -> dict[str, str]:
    """The node's output port types, and for its edge inputs the type of the port feeding them."""
    if compiled is None:
        return {}
    types = {port: str(kind) for port, kind in compiled.outputs.items()}
    for port, (source, source_port) in compiled.edge_inputs.items():
        upstream = graph.nodes.get(source)
        if upstream is not None and source_port in upstream.outputs:
            types.setdefault(port, str(upstream.outputs[source_port]))
    return types
