"""The template node: renders a text template from upstream values."""

from __future__ import annotations

from typing import Any

from flowai.ports import PortType
from flowai.workflows.templates import to_text

from .base import Node, NodeConfig


class TemplateConfig(NodeConfig):
    template: str = ""


class TemplateNode(Node):
    type = "template"
    title = "Template"
    group = "logic"
    Config = TemplateConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"template": PortType.TEXT}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"text": PortType.TEXT}

    async def run(self, ctx, config: TemplateConfig) -> dict[str, Any]:
        return {"text": to_text(config.template)}
