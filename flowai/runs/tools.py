"""The editor's run tools, as graphs and states the run service starts like any other run:
pinned outputs (test data standing in for a node), one node run alone on sample values of what it
reads, and a re-run from a node reusing an earlier run's outputs
(:func:`flowai.runs.regenerate.reused_state`, as the management API's regenerate).

A node whose outputs are in the run's :class:`RunState` is not executed: its outputs flow to its
children as if it had run (its row is recorded as ``reused``). Pins are applied only through
here, by the editor's test runs; published runs never read them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flowai.errors import ResourceNotFoundError
from flowai.runs.engine import RunState, render_config_value
from flowai.workflows.graph import CompiledGraph
from flowai.workflows.templates import Ref


def pins(graph: CompiledGraph) -> dict[str, dict[str, Any]]:
    """The document's pinned outputs of the graph's nodes (``pins``, docs/graph-format.md)."""
    return {nid: dict(outputs) for nid, outputs in graph.doc.pins.items() if nid in graph.nodes}


def pinned_state(graph: CompiledGraph, state: RunState | None = None) -> RunState:
    """``state`` (or a new one) with the pinned nodes' outputs: they are not executed."""
    state = state or RunState()
    state.outputs.update(pins(graph))
    return state


def reads(graph: CompiledGraph, node_id: str) -> list[tuple[str, str]]:
    """The ``(node, port)`` values a node reads: its wires, and the references of its templates."""
    node = graph.nodes.get(node_id)
    if node is None:
        raise ResourceNotFoundError(f"The workflow has no node {node_id!r} outside a loop.")
    seen: dict[tuple[str, str], None] = {}
    for source in (*node.edge_inputs.values(), *node.edge_fields.values()):
        seen[source] = None
    if node.impl.templated:

        def lookup(ref: Ref) -> None:
            known = graph.known.get(ref.node)
            if known is not None:
                seen[(ref.node, known.impl.aliases.get(ref.port, ref.port))] = None

        for key, value in node.spec.config.items():
            if key not in node.edge_fields and key not in node.impl.body_fields:
                render_config_value(value, lookup, node)
    return [pair for pair in seen if pair[0] in graph.nodes]


def single_node(
    graph: CompiledGraph, node_id: str, upstream: dict[str, dict[str, Any]]
) -> tuple[CompiledGraph, RunState]:
    """A graph of ``node_id`` alone, fed by the nodes it reads, whose outputs are ``upstream``
    (node id -> port -> value, the sample values): they are not executed, nor is anything else."""
    sources = list(dict.fromkeys(src for src, _ in reads(graph, node_id)))
    node = graph.nodes[node_id]
    nodes = {
        nid: dataclasses.replace(
            graph.nodes[nid], parents=[], children=[node_id], branch_ports=frozenset(), child_ports={}, fallbacks=set()
        )
        for nid in graph.nodes
        if nid in sources
    }
    nodes[node_id] = dataclasses.replace(node, parents=list(sources), children=[])
    state = RunState()
    for src in sources:
        state.outputs[src] = dict(upstream.get(src) or {})
    return dataclasses.replace(graph, nodes=nodes, output_nodes=[]), state
