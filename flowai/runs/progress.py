"""Progress of a run: per node ("stage") status, and overall progress in percent."""

from __future__ import annotations

from typing import Any

from flowai.runs.events import LoopProgress, NodeFailed, NodeFinished, NodeSkipped, NodeStarted

DONE = ("completed", "reused", "skipped")


def node_states(events) -> dict[str, str]:
    """Node id -> running / completed / failed, from a run's events."""
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
    return states


def item_progress(events) -> dict[str, float]:
    """Loop node id -> percent of its items that have ended (the latest LoopProgress of each loop)."""
    return {ev.node: 100.0 * ev.done / ev.total if ev.total else 0.0 for ev in events if isinstance(ev, LoopProgress)}


def progress(
    order: list[str], states: dict[str, str], run_status: str, items: dict[str, float] | None = None
) -> dict[str, Any]:
    """The docs/management-api.md progress shape: overall_progress, current_stage, stage_progress, stages.
    ``items``: a running loop's progress in percent (items ended / items)."""
    stages: list[dict[str, Any]] = []
    for node_id in order:
        status = states.get(node_id, "pending")
        if status == "running" and run_status in ("cancelled", "failed"):
            status = "cancelled"
        percent = 100.0 if status in DONE else round((items or {}).get(node_id, 0.0), 1)
        stages.append({"stage": node_id, "status": status, "progress": percent})
    done = sum(float(s["progress"]) for s in stages) / 100.0
    overall = 100.0 if run_status == "completed" else round(100.0 * done / len(order), 1) if order else 0.0
    current = next((s for s in stages if s["status"] == "running"), None)
    return {
        "overall_progress": overall,
        "current_stage": current["stage"] if current else None,
        "stage_progress": current["progress"] if current else None,
        "status": run_status,
        "stages": stages,
    }
