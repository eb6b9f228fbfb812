"""What changed between two ``flowai/1`` documents: nodes added, removed, changed; edges.

    >>> d = diff(old_doc, new_doc)
    >>> d.added, d.removed, d.changed      # node ids; changed maps id -> fields that differ
    (['llm_2'], [], {'llm': ['config.prompt']})

A node counts as *changed* when its type, label or config differs, or when the edges into it
differ ("inputs"); a node that only moved is listed in ``moved``, not as changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class GraphDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    moved: list[str] = field(default_factory=list)
    edges_added: list[dict] = field(default_factory=list)
    edges_removed: list[dict] = field(default_factory=list)
    meta: list[str] = field(default_factory=list)  # document fields: name, description, settings

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.edges_added
            or self.edges_removed
            or self.meta
            or self.moved
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _edge_key(e: dict) -> tuple:
    return (e.get("source"), e.get("source_port"), e.get("target"), e.get("target_port"))


def _nodes(doc: dict) -> dict[str, dict]:
    return {n["id"]: n for n in doc.get("nodes") or [] if isinstance(n, dict) and "id" in n}


def _position(node: dict) -> tuple[float, float]:
    pos = node.get("position") or {}
    return float(pos.get("x", 0)), float(pos.get("y", 0))


def diff(old: dict, new: dict) -> GraphDiff:
    a, b = _nodes(old), _nodes(new)
    result = GraphDiff(added=[nid for nid in b if nid not in a], removed=[nid for nid in a if nid not in b])
    old_edges = {_edge_key(e): e for e in old.get("edges") or []}
    new_edges = {_edge_key(e): e for e in new.get("edges") or []}
    result.edges_added = [e for k, e in new_edges.items() if k not in old_edges]
    result.edges_removed = [e for k, e in old_edges.items() if k not in new_edges]
    rewired = {e.get("target") for e in result.edges_added + result.edges_removed}
    for nid, before in a.items():
        after = b.get(nid)
        if after is None:
            continue
        fields = [name for name in ("type", "label") if before.get(name, "") != after.get(name, "")]
        ca, cb = before.get("config") or {}, after.get("config") or {}
        fields += [f"config.{k}" for k in sorted(set(ca) | set(cb), key=str) if ca.get(k) != cb.get(k)]
        if nid in rewired:
            fields.append("inputs")
        if fields:
            result.changed[nid] = fields
        elif _position(before) != _position(after):
            result.moved.append(nid)
    result.meta = [k for k in ("name", "description", "settings") if _meta(old, k) != _meta(new, k)]
    return result


def _meta(doc: dict, key: str) -> Any:
    value = doc.get(key)
    if key == "settings":  # a normalised document spells out the unset settings as null
        return {k: v for k, v in (value or {}).items() if v is not None}
    return value or ""
