"""The editor's run tools, as graphs and states the run service starts like any other run:
pinned outputs (test data standing in for a node), one node run alone on sample values of what it
reads, and a re-run from a node reusing an earlier run's outputs
(:func:`flowai.runs.regenerate.reused_state`, as the management API's regenerate).

A node whose outputs are in the run's :class:`RunState` is not executed: its outputs flow to its
children as if it had run (its row is recorded as ``reused``). Pins are applied only through
here, by the editor's test runs; published runs never read them.

A node inside a loop has the same tools: run alone, it reads a sample item (its loop's ``item`` and
``index``, as the loop's outputs) besides its siblings' and the loop's upstream outputs; pinned, each
item takes the pinned outputs (a body sees the run's outputs, see flowai.runs.loops). Its outputs are
not kept per item, so a re-run "from" it is a re-run of its enclosing loop (:func:`enclosing`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flowai.errors import ResourceNotFoundError
from flowai.runs.engine import RunState, render_config_value
from flowai.workflows.graph import CompiledGraph
from flowai.workflows.templates import Ref


def pins(graph: CompiledGraph) -> dict[str, dict[str, Any]]:
    """The document's pinned outputs of the graph's nodes, those inside loops too (``pins``,
    docs/graph-format.md)."""
    return {nid: dict(outputs) for nid, outputs in graph.doc.pins.items() if nid in graph.known}


def enclosing(graph: CompiledGraph, node_id: str) -> str:
    """The node outside any loop that holds ``node_id`` (its loop, or its loop's loop); itself when
    it is outside every loop."""
    node = graph.known.get(node_id)
    if node is None:
        raise ResourceNotFoundError(f"The workflow has no node {node_id!r}.")
    while node.spec.parent is not None and node.id not in graph.nodes:
        node = graph.known[node.spec.parent]
    return node.id


def port_type(graph: CompiledGraph, node_id: str, port: str) -> str:
    """The type of a value a node reads from ``node_id``'s ``port`` (a loop's ``item`` / ``index``
    too): "any" when unknown."""
    node = graph.known.get(node_id)
    if node is None:
        return "any"
    return str(node.outputs.get(port) or node.impl.body_ports.get(port) or "any")


def first_item(graph: CompiledGraph, loop_id: str, outputs: dict[str, dict[str, Any]]) -> Any:
    """The first item ``loop_id`` would loop over given these outputs of its upstream nodes (a past
    run's): the sample item of a node inside it. None when they do not give one."""
    loop = graph.known.get(loop_id)
    if loop is None or not loop.impl.body_ports:
        return None
    if "items" in loop.edge_fields:
        src, port = loop.edge_fields["items"]
        items = (outputs.get(src) or {}).get(port)
    else:

        def lookup(ref: Ref) -> Any:
            known = graph.known.get(ref.node)
            port = known.impl.aliases.get(ref.port, ref.port) if known is not None else ref.port
            return (outputs.get(ref.node) or {}).get(port)

        items = render_config_value(loop.spec.config.get("items"), lookup, loop)
    if isinstance(items, list):
        return items[0] if items else None
    return items


def pinned_state(graph: CompiledGraph, state: RunState | None = None) -> RunState:
    """``state`` (or a new one) with the pinned nodes' outputs: they are not executed."""
    state = state or RunState()
    state.outputs.update(pins(graph))
    return state


def reads(graph: CompiledGraph, node_id: str) -> list[tuple[str, str]]:
    """The ``(node, port)`` values a node reads: its wires, and the references of its templates.
    A node inside a loop also reads its loop's ``item`` / ``index`` (through a wire or a template)."""
    node = graph.known.get(node_id)
    if node is None:
        raise ResourceNotFoundError(f"The workflow has no node {node_id!r}.")
    scope = graph.nodes if node_id in graph.nodes else graph.known
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
    return [pair for pair in seen if pair[0] in scope and pair[0] != node_id]


def single_node(
    graph: CompiledGraph, node_id: str, upstream: dict[str, dict[str, Any]]
) -> tuple[CompiledGraph, RunState]:
    """A graph of ``node_id`` alone, fed by the nodes it reads, whose outputs are ``upstream``
    (node id -> port -> value, the sample values): they are not executed, nor is anything else."""
    sources = list(dict.fromkeys(src for src, _ in reads(graph, node_id)))
    node = graph.known[node_id]  # (one inside a loop too: its loop is one of its sources then)
    nodes = {
        nid: dataclasses.replace(
            graph.known[nid], parents=[], children=[node_id], branch_ports=frozenset(), child_ports={}, fallbacks=set()
        )
        for nid in graph.known
        if nid in sources
    }
    nodes[node_id] = dataclasses.replace(node, parents=list(sources), children=[])
    state = RunState()
    for src in sources:
        state.outputs[src] = dict(upstream.get(src) or {})
    return dataclasses.replace(graph, nodes=nodes, output_nodes=[], bodies={}), state
