"""Frames on the canvas, as data: loops (containers of nodes) and stages (named groups of nodes).

A loop's body is the nodes whose ``parent`` is the loop's id (docs/graph-format.md, "Loops"); the
canvas draws the loop as a container and the designer drags nodes into and out of it. A stage is
an entry of the document's ``stages`` list (``{"id", "label", "nodes"}``); the canvas draws it as
a labelled frame around its nodes. Plain functions over a ``flowai/1`` document (no NiceGUI);
the draft (``ui.editor_model``) calls them inside its undo steps.
"""

from __future__ import annotations

import re
from typing import Any

NOT_NESTED = frozenset({"input", "output"})  # never inside a loop (nor a loop inside a loop)


def is_loop(registry, node: dict | None) -> bool:
    """Whether a node is a container (it has ports for the nodes inside it)."""
    impl = registry.get((node or {}).get("type") or "")
    return bool(impl is not None and impl.body_ports)


def can_nest(registry, node: dict | None) -> bool:
    """Whether a node may go inside a loop (not a loop itself, not the input or output)."""
    return node is not None and node.get("type") not in NOT_NESTED and not is_loop(registry, node)


def body(doc: dict, loop_id: str) -> list[str]:
    """The ids of the nodes inside a loop."""
    return [n["id"] for n in doc["nodes"] if n.get("parent") == loop_id]


def parent_changes(doc: dict, registry, parents: dict[str, str | None]) -> tuple[dict[str, str | None], bool]:
    """The ``parent`` changes of ``parents`` (node id -> loop id or None) that are allowed and
    change something, and whether any asked for was refused (a node that cannot nest, a parent
    that is no loop)."""
    by_id = {n["id"]: n for n in doc["nodes"]}
    allowed: dict[str, str | None] = {}
    refused = False
    for nid, parent in parents.items():
        node = by_id.get(nid)
        if node is None:
            continue
        if parent is not None and (not can_nest(registry, node) or not is_loop(registry, by_id.get(parent))):
            refused = True
            continue
        if node.get("parent") != parent:
            allowed[nid] = parent
    return allowed, refused


def set_parent(node: dict, parent: str | None) -> None:
    if parent is None:
        node.pop("parent", None)
    else:
        node["parent"] = parent


def loop_variables(draft, node_id: str) -> list[dict]:
    """What a node inside a loop may name besides its upstream: ``{{loop.item}}``, ``{{loop.index}}``
    and the outputs of the nodes upstream of the loop."""
    node = draft.node(node_id)
    loop = draft.node((node or {}).get("parent"))
    if loop is None:
        return []
    impl = draft.registry.get(loop.get("type") or "")
    found = [
        {"token": f"{{{{{loop['id']}.{port}}}}}", "node": loop["id"], "label": loop.get("label") or loop["id"]}
        | {"port": port, "type": str(ptype)}
        for port, ptype in (impl.body_ports if impl else {}).items()
    ]
    return found + draft.upstream_outputs(draft.ancestors(loop["id"]))


# stages -----------------------------------------------------------------------------------------
STAGE_ID = re.compile(r"[^\w-]")


def stages(doc: dict) -> list[dict]:
    return [s for s in doc.get("stages") or [] if isinstance(s, dict)]


def new_stage_id(doc: dict, label: str) -> str:
    base = STAGE_ID.sub("_", label.strip().lower())[:50] or "stage"
    taken = {s.get("id") for s in stages(doc)}
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def stage_of(doc: dict, node_id: str) -> str | None:
    return next((s["id"] for s in stages(doc) if node_id in (s.get("nodes") or [])), None)


def stage_members(doc: dict, registry, node_ids: list[str]) -> list[str]:
    """The nodes a stage takes for these: a node inside a loop counts as its loop (a loop runs as
    one node), unknown ids are left out; in document order."""
    by_id = {n["id"]: n for n in doc["nodes"]}
    wanted = {by_id[nid].get("parent") or nid for nid in node_ids if nid in by_id}
    return [n["id"] for n in doc["nodes"] if n["id"] in wanted]


def group(doc: dict, stage_id: str, label: str, members: list[str]) -> None:
    """A new stage of these nodes (they leave the stages they were in)."""
    leave(doc, members)
    doc.setdefault("stages", []).append({"id": stage_id, "label": label, "nodes": list(members)})


def leave(doc: dict, members: list[str]) -> None:
    gone = set(members)
    for s in stages(doc):
        s["nodes"] = [n for n in s.get("nodes") or [] if n not in gone]
    doc["stages"] = [s for s in stages(doc) if s["nodes"]]


def move_to_stages(doc: dict, moves: dict[str, str | None]) -> bool:
    """Put nodes into a stage (or None: out of theirs); whether anything changed."""
    known = {s["id"]: s for s in stages(doc)}
    node_ids = {n["id"] for n in doc["nodes"]}
    changed = False
    for nid, sid in moves.items():
        if nid not in node_ids or stage_of(doc, nid) == sid or (sid is not None and sid not in known):
            continue
        leave(doc, [nid])
        if sid is not None and sid in {s["id"] for s in stages(doc)}:
            known[sid]["nodes"].append(nid)
        elif sid is not None:  # its stage emptied and went: it comes back with this node
            doc["stages"].append({**known[sid], "nodes": [nid]})
        changed = True
    return changed


def clean_stages(doc: dict, gone: set[str]) -> None:
    """Forget removed nodes in the stages (a stage left empty goes too)."""
    if "stages" not in doc:
        return
    kept = []
    for s in stages(doc):
        s["nodes"] = [n for n in s.get("nodes") or [] if n not in gone]
        if s["nodes"]:
            kept.append(s)
    doc["stages"] = kept


def stage_view(doc: dict) -> list[dict[str, Any]]:
    """The stage frames the canvas draws: id, label, member ids."""
    return [
        {"id": s["id"], "label": s.get("label") or s["id"], "nodes": list(s.get("nodes") or [])} for s in stages(doc)
    ]
