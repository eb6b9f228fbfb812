"""Node types, one per module, and the registry that both the engine and the editor read."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Node, NodeConfig, NodeContext
from .define import GROUPS, DefinitionError, FieldDef, NodeDef, Port, T, Text, check


class Registry:
    """Node types by their ``type`` id. Built explicitly; no import-time global registration.
    Every node's definition is checked here (at start-up): a bad one raises DefinitionError."""

    def __init__(self, nodes: list[Node]):
        self._nodes: dict[str, Node] = {}
        for node in nodes:
            definition = getattr(type(node), "definition", None)
            if not isinstance(definition, NodeDef):
                raise DefinitionError(f"{type(node).__name__} has no node definition (a NodeDef)")
            check(definition)
            if type(node).run is Node.run:
                raise DefinitionError(f"node type {node.type!r}: no run method")
            if node.type in self._nodes:
                raise DefinitionError(f"node type {node.type!r} registered twice")
            self._nodes[node.type] = node

    def get(self, type_id: str) -> Node | None:
        return self._nodes.get(type_id)

    def __contains__(self, type_id: str) -> bool:
        return type_id in self._nodes

    def __iter__(self):
        return iter(self._nodes.values())

    def types(self) -> list[str]:
        return list(self._nodes)


def default_registry() -> Registry:
    """Every node type defined in a module of this package, in palette order (group, then type id).
    Adding a node type is adding its module (and its test); nothing else lists it."""
    found: dict[str, type[Node]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Node) and "definition" in value.__dict__:
                if value.__module__ == module.__name__:
                    found[f"{module.__name__}.{value.__qualname__}"] = value
    order = list(GROUPS)
    classes = sorted(
        found.values(),
        key=lambda c: (
            order.index(c.definition.group) if c.definition.group in order else len(order),
            c.definition.type,
        ),
    )
    return Registry([cls() for cls in classes])


__all__ = [
    "DefinitionError",
    "FieldDef",
    "Node",
    "NodeConfig",
    "NodeContext",
    "NodeDef",
    "Port",
    "Registry",
    "T",
    "Text",
    "default_registry",
]
