"""Progress of a run: per node ("stage") status, and overall progress in percent."""

from __future__ import annotations

from typing import Any

from flowai.runs.events import NodeFailed, NodeFinished, NodeSkipped, NodeStarted

DONE = ("completed", "reused", "skipped")


def node_states(events) -> dict[str, str]:
    """Node id -> running / completed / failed, from a run's events."""
    states: dict[str, str] = {}
    for ev in events:
        if isinstance(ev, NodeStarted):
            states[ev.node] = "running"
        elif isinstance(ev, NodeFinished):
            states[ev.node] = "completed"
        elif isinstance(ev, NodeFailed):
            states[ev.node] = "failed"
        elif isinstance(ev, NodeSkipped):
            states[ev.node] = "skipped"
    return states


def progress(order: list[str], states: dict[str, str], run_status: str) -> dict[str, Any]:
    """The docs/management-api.md progress shape: overall_progress, current_stage, stage_progress, stages."""
    stages = []
    for node_id in order:
        status = states.get(node_id, "pending")
        if status == "running" and run_status in ("cancelled", "failed"):
            status = "cancelled"
        stages.append({"stage": node_id, "status": status, "progress": 100.0 if status in DONE else 0.0})
    done = sum(1 for s in stages if s["status"] in DONE)
    overall = 100.0 if run_status == "completed" else round(100.0 * done / len(order), 1) if order else 0.0
    current = next((s["stage"] for s in stages if s["status"] == "running"), None)
    return {
        "overall_progress": overall,
        "current_stage": current,
        "stage_progress": 0.0 if current else None,
        "status": run_status,
        "stages": stages,
    }
