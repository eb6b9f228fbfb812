"""Starting background runs for the management API and batches: resolve, validate, queue."""

from __future__ import annotations

import copy
from typing import Any

from flowai.errors import InputError, ResourceNotFoundError
from flowai.runs.engine import RunState
from flowai.runs.manager import RunHandle
from nodes.input import check_input


def resolve_version(platform, *, owner_id: int, workflow_id: str, version: int | None) -> tuple[Any, int]:
    """The workflow and the version to run: the given one, else the published one, else the latest."""
    wf = platform.workflows.get(owner_id=owner_id, workflow_id=workflow_id)
    number = version or wf.published_version or wf.latest_version
    if not number or number > wf.latest_version or number < 1:
        raise InputError(f"Workflow {workflow_id} has no version {version}.", detail={"version": "invalid"})
    return wf, number


def start(
    platform,
    *,
    owner_id: int,
    workflow_id: str,
    run_input: Any,
    version: int | None = None,
    source: str = "background",
    extra: dict | None = None,
) -> RunHandle:
    wf, number = resolve_version(platform, owner_id=owner_id, workflow_id=workflow_id, version=version)
    graph = platform.workflows.compiled(wf.id, number)
    checked = check_input(graph.input_node.config, run_input)
    return platform.runs.submit(
        graph, checked, workflow_id=wf.id, version=number, owner_id=owner_id, source=source, extra=extra
    )


def regenerate(platform, *, owner_id: int, run, node_id: str, nodes: list, config: dict | None) -> RunHandle:
    """A new run of ``run``'s version that re-runs ``node_id`` (with ``config`` merged into its
    config) and everything downstream of it; every other node's stored outputs are reused."""
    version = platform.workflows.version(owner_id=owner_id, workflow_id=run.workflow_id, number=run.version)
    document = copy.deepcopy(version.document)
    spec = next((n for n in document["nodes"] if n["id"] == node_id), None)
    if spec is None:
        raise ResourceNotFoundError(f"Run {run.id}'s workflow has no node {node_id!r}.")
    if config:
        spec["config"] = {**spec.get("config", {}), **config}
    graph = platform.workflows.validate(document)  # an override must still make a valid node
    again = _downstream(graph, node_id)
    state = RunState()
    for n in nodes:
        if n.node_id not in again and n.status in ("completed", "reused") and n.node_id in graph.nodes:
            state.outputs[n.node_id] = n.outputs or {}
    missing = [nid for nid in graph.nodes if nid not in again and nid not in state.outputs]
    if missing:
        raise InputError(
            f"Run {run.id} has no stored outputs for {', '.join(missing)}; only a node whose "
            f"upstream nodes all finished can be regenerated.",
            detail={"missing": missing},
        )
    return platform.runs.submit(
        graph,
        run.input,
        workflow_id=run.workflow_id,
        version=run.version,
        owner_id=owner_id,
        source="regenerate",
        state=state,
        extra={"parent_run_id": run.id, "name": run.name},
    )


def _downstream(graph, node_id: str) -> set[str]:
    seen, todo = {node_id}, [node_id]
    while todo:
        for child in graph.nodes[todo.pop()].children:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen
