"""Regenerating one node of a finished run: a new background run of the same version that
re-runs the node (its config optionally overridden) and what depends on it, reusing every
other node's stored outputs. It starts from the document the run ran, so the overrides of
earlier regenerations hold in later ones (a music setting survives a redrawn shot)."""

from __future__ import annotations

import copy

from flowai.errors import InputError, ResourceNotFoundError
from flowai.runs.engine import RunState
from flowai.workflows.graph import CompiledGraph
from flowai.workflows.store import Workflows
from storage.models import Run, RunNode


def regenerated(
    workflows: Workflows,
    *,
    owner_id: int,
    run: Run,
    node_id: str,
    nodes: list[RunNode],
    config: dict | None,
    more: dict[str, dict] | None = None,
) -> tuple[CompiledGraph, RunState]:
    """The graph to run (``config`` merged into ``node_id``'s config, and each of ``more``'s
    configs into its node's; those nodes run again too) and the state holding the stored outputs
    of every node that is not run again. The graph's document (``graph.doc``) is what the new run
    records as the one it ran."""
    if run.graph:
        document = copy.deepcopy(run.graph)
    else:
        document = copy.deepcopy(
            workflows.version(owner_id=owner_id, workflow_id=run.workflow_id, number=run.version).document
        )
    changed = {node_id: config, **(more or {})}
    for nid, override in changed.items():
        spec = next((n for n in document["nodes"] if n["id"] == nid), None)
        if spec is None:
            raise ResourceNotFoundError(f"Run {run.id}'s workflow has no node {nid!r}.")
        if override:
            spec["config"] = {**spec.get("config", {}), **override}
    graph = workflows.validate(document)  # an override must still make a valid node
    return graph, reused_state(graph, list(changed), nodes, run.id)


def reused_state(graph: CompiledGraph, node_ids: str | list[str], nodes: list[RunNode], run_id: str) -> RunState:
    """The state re-running ``node_ids`` and what depends on them in ``graph``, every other node's
    outputs reused from an ended run's node rows (``nodes``)."""
    ids = [node_ids] if isinstance(node_ids, str) else node_ids
    for node_id in ids:
        if node_id not in graph.nodes:
            raise ResourceNotFoundError(f"The workflow has no node {node_id!r} outside a loop.")
    again = set().union(*(_downstream(graph, node_id) for node_id in ids))
    state = RunState()
    for n in nodes:
        if n.node_id not in again and n.status in ("completed", "reused") and n.node_id in graph.nodes:
            state.outputs[n.node_id] = n.outputs or {}
    skipped = {n.node_id for n in nodes if n.status == "skipped"}  # a branch not taken: decided again
    missing = [nid for nid in graph.nodes if nid not in again and nid not in state.outputs and nid not in skipped]
    if missing:
        raise InputError(
            f"Run {run_id} has no stored outputs for {', '.join(missing)}; only a node whose "
            f"upstream nodes all finished can be regenerated.",
            detail={"missing": missing},
        )
    return state


def _downstream(graph: CompiledGraph, node_id: str) -> set[str]:
    seen, todo = {node_id}, [node_id]
    while todo:
        for child in graph.nodes[todo.pop()].children:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen
