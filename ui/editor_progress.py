"""A test run's stages as the canvas shows them: each drawn stage's status and progress.

The figures are the run API's (``flowai.runs.progress``: the same stage plan, node states and
fractions that ``GET /runs/{id}/progress`` reports), computed from the run's events so far; a
loop counts the share of its items that have ended. No NiceGUI here: the test-run panel hands
the result to the state as a ``RunStages`` intent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flowai.runs.progress import Stage, node_fractions, node_states, progress, stage_plan
from flowai.workflows.graph import CompiledGraph

from .i18n import t

SHOWN = ("pending", "running", "completed", "failed", "cancelled", "skipped", "fallback")


def drawn_stages(graph: CompiledGraph) -> list[Stage]:
    """The run's stage plan when the workflow draws stages, else nothing to show."""
    plan = stage_plan(graph)
    return plan if any(s.drawn for s in plan) else []


def stage_patches(plan: list[Stage], events: Iterable[Any], run_status: str = "running") -> dict[str, dict[str, Any]]:
    """Stage id -> ``{status, progress, statusText}`` for each drawn stage of ``plan``."""
    if not plan:
        return {}
    events = [e for e in events if getattr(e, "item", None) is None]  # a loop's inside nodes: the loop counts
    report = progress(plan, node_states(events), run_status, node_fractions(events))
    drawn = {s.id for s in plan if s.drawn}
    patches = {}
    for entry in report["stages"]:
        if entry["stage"] not in drawn:
            continue
        status = entry["status"] if entry["status"] in SHOWN else "pending"
        share = float(entry["progress"])
        patches[entry["stage"]] = {
            "status": status,
            "progress": share,
            "statusText": t(f"editor_runs.stage_{status}", percent=round(share * 100)),
        }
    return patches
