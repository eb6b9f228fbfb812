"""Progress of a run: per stage status and progress, overall progress; every figure a fraction 0..1.

A stage is a group of nodes the designer drew (the document's ``stages``); a node in no stage is a
stage of its own (id: the node's id). Stages come in the order their first node runs, the drawn
ones among themselves in the document's order. A node
counts 1 when it is done (completed, reused, skipped, or failed with its fallback path taken), 0
before it starts, and while it runs the fraction it reported (an event with ``node`` and a float
``progress`` between 0 and 1, e.g. a loop's items done), else 0. A stage's progress is the mean
of its nodes'; the overall progress the mean of all nodes' (1 once the run completed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flowai.runs.events import FallbackTaken, NodeFailed, NodeFinished, NodeSkipped, NodeStarted
from flowai.workflows.graph import CompiledGraph

DONE = ("completed", "reused", "skipped", "fallback")
PLACES = 4  # figures are rounded to this many decimals


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    nodes: tuple[str, ...]
    drawn: bool  # a stage of the document (False: a node in no stage)


def stage_plan(graph: CompiledGraph) -> list[Stage]:
    """The run's stages in the order their first node comes (topological order); the drawn stages
    among themselves in the order the document lists them (work may start early in a later stage,
    such as music made while the video is)."""
    drawn = {s.id: s for s in graph.doc.stages}
    stage_of = {nid: s.id for s in graph.doc.stages for nid in s.nodes if nid in graph.nodes}
    plan: list[Stage] = []
    placed: set[str] = set()
    for nid, node in graph.nodes.items():
        sid = stage_of.get(nid)
        if sid is None:
            plan.append(Stage(nid, node.label, (nid,), False))
        elif sid not in placed:
            placed.add(sid)
            spec = drawn[sid]
            members = tuple(n for n in graph.nodes if stage_of.get(n) == sid)
            plan.append(Stage(sid, spec.label or sid, members, True))
    listed = {s.id: i for i, s in enumerate(graph.doc.stages)}  # drawn stages keep the document's order
    slots = [i for i, s in enumerate(plan) if s.drawn]
    for i, stage in zip(slots, sorted((plan[i] for i in slots), key=lambda s: listed[s.id])):
        plan[i] = stage
    return plan


def node_states(events: Iterable[Any]) -> dict[str, str]:
    """Node id -> running / completed / failed / skipped / fallback, from a run's events."""
    states: dict[str, str] = {}
    for ev in events:
        if getattr(ev, "item", None) is not None:  # a node inside a loop: its loop's items count instead
            continue
        if isinstance(ev, NodeStarted):
            states[ev.node] = "running"
        elif isinstance(ev, NodeFinished):
            states[ev.node] = "completed"
        elif isinstance(ev, NodeFailed):
            states[ev.node] = "failed"
        elif isinstance(ev, NodeSkipped):
            states[ev.node] = "skipped"
        elif isinstance(ev, FallbackTaken):
            states[ev.node] = "fallback"
    return states


def node_fractions(events: Iterable[Any]) -> dict[str, float]:
    """Node id -> the last fraction 0..1 a running node reported (an event with ``node`` and ``progress``)."""
    fractions: dict[str, float] = {}
    for ev in events:
        value = getattr(ev, "progress", None)
        node = getattr(ev, "node", None)
        if isinstance(node, str) and isinstance(value, int | float) and not isinstance(value, bool):
            fractions[node] = min(max(float(value), 0.0), 1.0)
    return fractions


def progress(
    plan: list[Stage],
    states: Mapping[str, str],
    run_status: str,
    fractions: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The docs/management-api.md progress shape: overall_progress, current_stage, stage_progress, stages."""
    fractions = fractions or {}
    staged = any(s.drawn for s in plan)

    def node_status(nid: str) -> str:
        status = states.get(nid, "pending")
        if status == "running" and run_status in ("cancelled", "failed"):
            return "cancelled"
        if status == "failed" and run_status == "completed":  # failed, and the run went on (fallback)
            return "fallback"
        return status

    def node_fraction(nid: str, status: str) -> float:
        if status in DONE:
            return 1.0
        return fractions.get(nid, 0.0) if status == "running" else 0.0

    stages, total, count = [], 0.0, 0
    for stage in plan:
        statuses = [node_status(n) for n in stage.nodes]
        values = [node_fraction(n, st) for n, st in zip(stage.nodes, statuses, strict=True)]
        total, count = total + sum(values), count + len(values)
        entry: dict[str, Any] = {
            "stage": stage.id,
            "status": statuses[0] if not stage.drawn else _stage_status(statuses),
            "progress": round(sum(values) / len(values), PLACES) if values else 1.0,
        }
        if staged:
            entry.update(label=stage.label, nodes=list(stage.nodes))
        stages.append(entry)
    if run_status == "completed":
        overall = 1.0
    else:
        overall = round(total / count, PLACES) if count else 0.0
    current = next((s for s in stages if s["status"] == "running"), None)
    return {
        "overall_progress": overall,
        "current_stage": current["stage"] if current else None,
        "stage_progress": current["progress"] if current else None,
        "status": run_status,
        "stages": stages,
    }


def _stage_status(statuses: list[str]) -> str:
    """A drawn stage's status from its nodes' statuses."""
    for bad in ("failed", "cancelled"):
        if bad in statuses:
            return bad
    if all(s in DONE for s in statuses):
        return "skipped" if all(s == "skipped" for s in statuses) else "completed"
    if any(s == "running" or s in DONE for s in statuses):
        return "running"
    return "pending"
