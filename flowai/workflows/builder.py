"""A builder for ``flowai/1`` documents, so a graph is a few readable lines.

    Graph("Hello").input(x="string").template("t", "{{in.x}}").output("{{t.text}}").chain().doc

Methods return the builder; ``.doc`` is the plain dict (a fresh deep copy each time). The example
workflows (``flowai.workflows.examples``) and the tests build their graphs with it.
"""

from __future__ import annotations

import copy
from typing import Any

from .graph import FORMAT


def field(name: str, type: str = "string", **extra: Any) -> dict:
    """One input-node field."""
    return {"name": name, "type": type, **extra}


class Graph:
    def __init__(self, name: str = "Test", description: str | None = None) -> None:
        self._doc: dict[str, Any] = {"format": FORMAT, "name": name, "nodes": [], "edges": []}
        if description is not None:
            self._doc["description"] = description

    # nodes -----------------------------------------------------------------------------------
    def node(
        self,
        id: str,
        type: str,
        label: str | None = None,
        *,
        at: tuple[float, float] | None = None,
        parent: str | None = None,
        **config: Any,
    ) -> Graph:
        """A node of any type; ``at`` is its (x, y) on the canvas; ``parent`` the loop it is inside;
        keywords are its config."""
        spec: dict[str, Any] = {"id": id, "type": type}
        if label is not None:
            spec["label"] = label
        if at is not None:
            spec["position"] = {"x": at[0], "y": at[1]}
        if parent is not None:
            spec["parent"] = parent
        spec["config"] = config
        self._doc["nodes"].append(spec)
        return self

    def input(
        self,
        *fields: dict,
        id: str = "in",
        label: str | None = None,
        at: tuple[float, float] | None = None,
        **typed: str,
    ) -> Graph:
        """An input node; fields as ``field(...)`` dicts and/or ``name="type"`` keywords."""
        return self.node(id, "input", label, at=at, fields=[*fields, *(field(n, t) for n, t in typed.items())])

    def template(
        self, id: str, template: str, label: str | None = None, *, at: tuple[float, float] | None = None
    ) -> Graph:
        return self.node(id, "template", label, at=at, template=template)

    def output(
        self,
        value: Any = "",
        id: str = "out",
        label: str | None = None,
        *,
        at: tuple[float, float] | None = None,
        **config: Any,
    ) -> Graph:
        return self.node(id, "output", label, at=at, value=value, **config)

    # edges -----------------------------------------------------------------------------------
    def edge(self, src: str, dst: str, src_port: str | None = None, dst_port: str | None = None) -> Graph:
        """An edge from ``src``'s port ``src_port`` to ``dst``'s ``dst_port`` (no ports: ordering only)."""
        e: dict[str, Any] = {"source": src}
        if src_port is not None:
            e["source_port"] = src_port
        e["target"] = dst
        if dst_port is not None:
            e["target_port"] = dst_port
        self._doc["edges"].append(e)
        return self

    def chain(self, *ids: str) -> Graph:
        """Ordering-only edges through ``ids`` (default: every node, in the order added)."""
        ids = ids or tuple(n["id"] for n in self._doc["nodes"])
        for a, b in zip(ids, ids[1:]):
            self.edge(a, b)
        return self

    # results ---------------------------------------------------------------------------------
    @property
    def doc(self) -> dict:
        return copy.deepcopy(self._doc)
