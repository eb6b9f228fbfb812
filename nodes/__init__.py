"""Node types, one per module, and the registry that both the engine and the editor read."""

from __future__ import annotations

from .base import Node, NodeConfig, NodeContext
from .condition import ConditionNode
from .define import DefinitionError, FieldDef, NodeDef, Port, T, Text, check
from .http import HttpNode
from .image import ImageNode
from .input import InputNode
from .llm import LLMNode
from .output import OutputNode
from .replicate import ReplicateNode
from .stt import STTNode
from .template import TemplateNode
from .tts import TTSNode


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
    return Registry(
        [
            InputNode(),
            TemplateNode(),
            LLMNode(),
            OutputNode(),
            HttpNode(),
            ConditionNode(),
            ReplicateNode(),
            ImageNode(),
            TTSNode(),
            STTNode(),
        ]
    )


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
