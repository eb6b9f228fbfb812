"""The output node: its ``value`` becomes the run's ``output``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from flowai.ports import PortType

from .base import Node, NodeConfig


class OutputConfig(NodeConfig):
    value: Any = ""
    name: str | None = Field(default=None, description="Key of this output when a flow has several")


class OutputNode(Node):
    type = "output"
    title = "Output"
    group = "outputs"
    Config = OutputConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"value": PortType.ANY}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"value": PortType.ANY}

    async def run(self, ctx, config: OutputConfig) -> dict[str, Any]:
        return {"value": config.value}
