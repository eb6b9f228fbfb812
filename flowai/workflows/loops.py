"""Loop containers in a ``flowai/1`` document: which node is inside which loop, and what it may see.

A node with ``"parent": "<loop id>"`` belongs to that loop's *body*: the sub-graph the loop runs
once per item. The compiler (``graph.py``) asks this module for the rules:

- a parent names an existing node whose type has body ports (a ``loop``), at the top level: loops
  do not nest (a loop inside a loop is refused);
- a body has at least one node and holds no input or output node;
- edges stay on their side of the container, except an edge from a loop's own ``item`` or
  ``index`` into a node of its body;
- a body node's templates may name its body's upstream nodes, its loop's ``item`` / ``index``, and
  every node upstream of the loop; a loop's per-item fields (its ``result``) name its body nodes.
"""

from __future__ import annotations

from typing import Any

from flowai.errors import Issue
from flowai.ports import PortType

# graph.py's GraphDoc and CompiledNode (typed loosely here: graph.py imports this module)
GraphDoc = Any
CompiledNode = Any


def check_parents(doc: GraphDoc, nodes: dict[str, CompiledNode], issues: list[dict]) -> dict[str, str | None]:
    """Node id -> the loop it is inside (None at the top level); problems go to ``issues``."""
    scope: dict[str, str | None] = {}
    for spec in doc.nodes:
        if spec.id not in nodes or spec.id in scope:
            continue
        scope[spec.id] = None
        if spec.parent is None:
            continue
        problem = _parent_problem(spec.id, spec.type, spec.parent, nodes)
        if problem:
            issues.append(_issue(problem, node=spec.id, field="parent"))
        else:
            scope[spec.id] = spec.parent
    for nid, node in nodes.items():
        if node.impl.body_ports and node.spec.parent is None and nid not in scope.values():
            issues.append(
                _issue(
                    f"Loop {nid!r} has no nodes inside it; drag the nodes to repeat into it.",
                    node=nid,
                    code="loop_empty",
                )
            )
    return scope


def _parent_problem(nid: str, type_: str, parent: str, nodes: dict[str, CompiledNode]) -> str | None:
    container = nodes.get(parent)
    if parent == nid:
        return f"Node {nid!r} names itself as its parent."
    if container is None:
        return f"Node {nid!r} is inside {parent!r}, which is not a node of the workflow."
    if not container.impl.body_ports:
        return f"Node {nid!r} is inside {parent!r}, a {container.spec.type} node; only a loop node holds other nodes."
    if container.spec.parent is not None or nodes[nid].impl.body_ports:
        return (
            f"Node {nid!r} is inside loop {parent!r}, and loops do not nest: put the inner loop after the "
            f"outer one, over the outer loop's results."
        )
    if type_ in ("input", "output"):
        return (
            f"Node {nid!r} ({type_}) is inside loop {parent!r}; the workflow's {type_} node stays outside every loop."
        )
    return None


def body_of(loop: str, scope: dict[str, str | None]) -> set[str]:
    """The nodes inside ``loop``."""
    return {nid for nid, parent in scope.items() if parent == loop}


def body_ancestors(ancestors: dict[str, frozenset[str]], scope: dict[str, str | None]) -> dict[str, frozenset[str]]:
    """``ancestors`` with, for each body node, its loop and everything upstream of the loop added."""
    result = dict(ancestors)
    for nid, loop in scope.items():
        if loop is not None and nid in result:
            result[nid] = result[nid] | {loop} | ancestors.get(loop, frozenset())
    return result


def ref_ports(
    ref: str, nid: str, nodes: dict[str, CompiledNode], scope: dict[str, str | None], per_item: bool
) -> dict[str, PortType]:
    """The ports of ``ref`` that node ``nid``'s templates may name: a node's own loop offers its body
    ports (``item``, ``index``), any other node its outputs."""
    node = nodes.get(ref)
    if node is None:
        return {}
    if node.impl.body_ports and (scope.get(nid) == ref or (per_item and ref == nid)):
        return dict(node.impl.body_ports)
    return node.outputs


def crossing_issue(i: int, source: str, target: str, scope: dict[str, str | None]) -> dict:
    inner, outer = (source, target) if scope.get(source) else (target, source)
    loop = scope.get(inner) or scope.get(outer)
    params: dict[str, Any] = {"source": source, "target": target}
    if scope.get(target) == source:
        why = f"from loop {source!r} into its body only its item or index port, to a named input port, may go"
        code = "crossing_into_body"
    elif scope.get(source) and scope.get(target):
        why = f"{source!r} and {target!r} are inside different loops"
        code = "crossing_loops"
    else:
        code, params = "crossing_boundary", {"inner": inner, "outer": outer, "loop": loop}
        why = (
            f"{inner!r} is inside loop {loop!r} and {outer!r} is not; inside the loop name upstream values "
            f"with templates ({{{{node.port}}}}), and take the loop's results from its results port"
        )
    message = f"Edge {i} ({source} -> {target}) crosses the boundary of a loop: {why}."
    return _issue(message, edge=i, node=target, code=code, **params)


def not_visible_issue(nid: str, where: str, ref: str, scope: dict[str, str | None], per_item: bool) -> dict:
    params: dict[str, Any] = {"path": where.removeprefix("config."), "ref_node": ref}
    if per_item:
        text = f"Node {nid!r}: {where} is rendered for each item and may name only nodes inside the loop, not {ref!r}."
        code = "ref_per_item"
    elif scope.get(ref) is not None and scope.get(ref) != scope.get(nid):
        text = (
            f"Node {nid!r}: {where} names {ref!r}, which is inside loop {scope[ref]!r}; "
            f"use the loop's results port (set the loop's result to what you need)."
        )
        code, params["loop"] = "ref_in_loop", scope[ref]
    else:
        text = f"Node {nid!r}: {where} names {ref!r}, which is not upstream of it; connect {ref!r} to {nid!r} first."
        code = "ref_not_upstream"
    return _issue(text, node=nid, field=where, code=code, **params)


def _issue(
    message: str,
    *,
    node: str | None = None,
    edge: int | None = None,
    field: str | None = None,
    code: str | None = None,
    **params: Any,
) -> dict:
    return Issue.of(message, node=node, edge=edge, field=field, code=code, **params)
