"""What changed between two ``flowai/1`` documents: nodes added, removed, changed; edges.

    >>> d = diff(old_doc, new_doc)
    >>> d.added, d.removed, d.changed      # node ids; changed maps id -> fields that differ
    (['llm_2'], [], {'llm': ['config.prompt']})

A node counts as *changed* when its type, label or config differs, or when the edges into it
differ ("inputs"); a node that only moved is listed in ``moved``, not as changed.
"""

from __future__ import annotations

import difflib
import json
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


def field_values(old: dict, new: dict, node_id: str, name: str) -> tuple[str, str]:
    """A changed field of a node (a name from ``GraphDiff.changed``: ``type``, ``label``,
    ``config.<key>`` or ``inputs``) before and after, as text (JSON for other values; the edges
    into the node, one per line, for ``inputs``)."""

    def text(doc: dict) -> str:
        node = _nodes(doc).get(node_id) or {}
        if name == "inputs":
            return "\n".join(
                f"{e.get('source')}.{e.get('source_port') or ''} → {e.get('target_port') or ''}"
                for e in doc.get("edges") or []
                if e.get("target") == node_id
            )
        value = (node.get("config") or {}).get(name[7:]) if name.startswith("config.") else node.get(name)
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)

    return text(old), text(new)


def line_changes(old: str, new: str) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    """The lines of two texts, each with whether it differs from the other side (for showing them
    side by side: removed / replaced lines on the old side, added / replaced ones on the new)."""
    a, b = old.splitlines() or [""], new.splitlines() or [""]
    left: list[tuple[str, bool]] = []
    right: list[tuple[str, bool]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        left += [(line, op != "equal") for line in a[i1:i2]]
        right += [(line, op != "equal") for line in b[j1:j2]]
    return left, right
