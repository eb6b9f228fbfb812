"""Honest wiring: which config fields a wire feeds, order edges, and nodes added already connected.

A port→port edge feeds the target's config field of that name (the field's own value is then
not used), so the settings form shows such a field as its source with an "Unwire" action instead
of an editor. An edge without ports (an *order* edge) feeds nothing: it makes its source upstream,
so the target's templates may name it. Plain functions over a :class:`ui.editor_model.Draft`
(no NiceGUI); each mutating one records a single undo step.
"""

from __future__ import annotations

from typing import Any

from flowai.ports import PortType, compatible
from nodes.define import GROUPS

from .editor_model import default_config


def fits(out_type: str | None, in_type: str | None) -> bool:
    """Whether an output port of ``out_type`` may feed an input port of ``in_type``."""
    try:
        return compatible(PortType(out_type or "any"), PortType(in_type or "any"))
    except ValueError:
        return False


def edge_id(edge: dict) -> str:
    """The canvas id of an edge (as ``editor_model.edge_id`` and ``edgeId`` in flow_canvas.js)."""
    return f"{edge['source']}:{edge.get('source_port') or ''}->{edge['target']}:{edge.get('target_port') or ''}"


def source_text(draft, edge: dict) -> str:
    """ "Input1 · 输入": the node and port a wire comes from, as the form and the node face show it."""
    return draft.wire_source(edge)


def wired(draft, node_id: str) -> dict[str, dict[str, Any]]:
    """The node's input ports that a wire feeds: port -> ``{source, source_port, text}``."""
    found: dict[str, dict[str, Any]] = {}
    for e in draft.doc["edges"]:
        if e["target"] == node_id and e.get("target_port"):
            found[e["target_port"]] = {
                "source": e["source"],
                "source_port": e.get("source_port"),
                "text": source_text(draft, e),
            }
    return found


def _side(node: dict | None) -> str | None:
    return (node or {}).get("parent") or None


def candidates(draft, node_id: str) -> list[dict]:
    """Variables of nodes that are not upstream of ``node_id`` yet but may become so (same side of
    a loop's frame, not downstream of it): picking one adds an order edge. Each variable as in
    ``Draft.variables``, with ``"upstream": False``."""
    node = draft.node(node_id)
    if node is None:
        return []
    upstream = set(draft.ancestors(node_id))
    ids = [
        n["id"]
        for n in draft.doc["nodes"]
        if n["id"] != node_id
        and n["id"] not in upstream
        and n["id"] != node.get("parent")
        and _side(n) == _side(node)
        and node_id not in draft.ancestors(n["id"])
    ]
    return [{**v, "upstream": False} for v in draft.upstream_outputs(ids)]


def depend_on(draft, node_id: str, upstream: str) -> dict | None:
    """Make ``upstream`` an ancestor of ``node_id`` with an order edge (none when it already is
    one, or when it cannot be: itself, downstream of it, across a loop's frame)."""
    node, source = draft.node(node_id), draft.node(upstream)
    if node is None or source is None or upstream == node_id or _side(node) != _side(source):
        return None
    if upstream in draft.ancestors(node_id) or node_id in draft.ancestors(upstream):
        return None
    return draft.connect({"source": upstream, "target": node_id})


def unwire(draft, node_id: str, port: str) -> list[dict]:
    """Remove the wire feeding ``node_id``'s ``port`` (its field gets its own value back); the
    edges removed."""
    gone = [e for e in draft.doc["edges"] if e["target"] == node_id and e.get("target_port") == port]
    if gone:
        draft.remove([], gone)
    return gone


def _body_ports(draft, node_id: str) -> dict[str, str]:
    impl = draft.registry.get((draft.node(node_id) or {}).get("type") or "")
    return {k: str(v) for k, v in (impl.body_ports if impl else {}).items()}


def _port_for(ports: dict[str, str], other: str | None, *, inbound: bool) -> str | None:
    """The first of the new node's ``ports`` a wire of type ``other`` may use (an input it may
    feed, or an output that may feed it); None: none fits (an order edge joins them instead)."""
    for name, ptype in ports.items():
        if fits(other, ptype) if inbound else fits(ptype, other):
            return name
    return None


def add_connected(
    draft,
    type_: str,
    position: dict,
    *,
    parent: str | None = None,
    upstream: tuple[str, str | None] | None = None,
    downstream: tuple[str, str | None] | None = None,
    room: float = 0.0,
) -> tuple[dict, list[dict], list[str]] | None:
    """Add a node of ``type_`` at ``position`` wired after ``upstream`` (node, output port) and/or
    before ``downstream`` (node, input port): into its first input port that takes the upstream
    port's type (an order edge when none does, or when ``upstream``'s port is None), and from its
    first output port that the downstream port takes. Both given: the node goes *into* the edge
    between them, which is replaced, and the nodes after it make ``room`` for it (see
    :func:`make_room`). One undo step. Returns (node, edges added, edge ids removed)."""
    if draft.registry.get(type_) is None:
        return None
    ends = [x for x in (upstream, downstream) if x is not None]
    if any(draft.node(n) is None for n, _ in ends):
        return None
    if upstream and downstream and upstream[0] == downstream[0]:
        return None
    if upstream and upstream[1] in _body_ports(draft, upstream[0]):
        parent = upstream[0]  # from a loop's item / index: inside that loop
    elif upstream and not parent:
        parent = _side(draft.node(upstream[0]))
    elif downstream and not parent:
        parent = _side(draft.node(downstream[0]))
    removed: list[dict] = []
    if upstream and downstream:
        removed = [
            e
            for e in draft.doc["edges"]
            if e["source"] == upstream[0]
            and e["target"] == downstream[0]
            and (e.get("source_port") or None) == upstream[1]
            and (e.get("target_port") or None) == downstream[1]
        ]
    elif downstream and downstream[1]:  # the input port takes one wire: the new one replaces it
        removed = [
            e for e in draft.doc["edges"] if e["target"] == downstream[0] and e.get("target_port") == downstream[1]
        ]
    node = draft.add_node(type_, position, parent)  # records the one undo step
    inputs, outputs = draft.ports(node)
    added: list[dict] = []
    if removed:
        draft.doc["edges"] = [e for e in draft.doc["edges"] if e not in removed]
    if upstream:
        src_ports = {**draft.ports(draft.node(upstream[0]))[1], **_body_ports(draft, upstream[0])}
        src_type = src_ports.get(upstream[1] or "")
        port = _port_for(inputs, src_type, inbound=True) if upstream[1] else None
        edge = {"source": upstream[0], "source_port": upstream[1], "target": node["id"], "target_port": port}
        added.append(
            {k: v for k, v in edge.items() if v is not None} if port else {"source": upstream[0], "target": node["id"]}
        )
    if downstream:
        dst_type = draft.ports(draft.node(downstream[0]))[0].get(downstream[1] or "")
        port = _port_for(outputs, dst_type, inbound=False) if downstream[1] else None
        if port:
            added.append(
                {"source": node["id"], "source_port": port, "target": downstream[0], "target_port": downstream[1]}
            )
        else:
            added.append({"source": node["id"], "target": downstream[0]})
    draft.doc["edges"].extend(added)
    if upstream and downstream and room > 0:
        make_room(draft, downstream[0], float(node["position"]["x"]) + room)
    return node, added, [edge_id(e) for e in removed]


def make_room(draft, target: str, right: float) -> list[str]:
    """Move ``target`` and the nodes downstream of it that are on its right (with the nodes inside
    a moved loop) right, so that ``target`` starts at ``right``; the ids moved (none when it is
    there already). Part of the caller's undo step."""
    start = draft.node(target)
    if start is None:
        return []
    x0 = float(start["position"]["x"])
    dx = right - x0
    if dx <= 0:
        return []
    children: dict[str, list[str]] = {}
    for e in draft.doc["edges"]:
        children.setdefault(e["source"], []).append(e["target"])
    seen, todo = {target}, [target]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    moved = {nid for nid in seen if float((draft.node(nid) or {}).get("position", {}).get("x", x0)) >= x0}
    moved |= {n["id"] for n in draft.doc["nodes"] if n.get("parent") in moved}  # a loop's nodes go with it
    for n in draft.doc["nodes"]:
        if n["id"] in moved:
            n["position"] = {**n["position"], "x": float(n["position"]["x"]) + dx}
    return sorted(moved)


def node_kinds(draft, lang: str) -> list[dict]:
    """The node types the canvas's node picker offers, in palette order, with the ports a new node
    of each has (the picker lists the ones with a port that fits the wire)."""
    order = list(GROUPS)
    impls = sorted(draft.registry, key=lambda impl: order.index(impl.group) if impl.group in order else len(order))
    kinds = []
    for impl in impls:
        inputs, outputs = draft.ports({"id": "", "type": impl.type, "config": default_config(impl)})
        kinds.append(
            {
                "type": impl.type,
                "title": draft.titles.get(impl.type) or impl.title,
                "group": impl.group,
                "help": impl.definition.description.get(lang),
                "inputs": inputs,
                "outputs": outputs,
            }
        )
    return kinds
