"""The output node: its ``value`` becomes the run's ``output``."""

from __future__ import annotations

from typing import Any

from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class OutputConfig(NodeConfig):
    value: Any = ""
    name: str | None = None


class OutputNode(Node):
    definition = NodeDef(
        type="output",
        title=T("Output", "结束"),
        group="outputs",
        description=T(
            "Its value becomes the run's output; with several output nodes, an object keyed by their names.",
            "它的值就是运行的 output；有多个结束节点时，output 是以各自名称为键的对象。",
        ),
        config=OutputConfig,
        fields={
            "value": FieldDef(
                T("Value", "值"),
                T("What the run returns, e.g. {{llm.text}}", "运行返回的内容，例如 {{llm.text}}"),
                widget="long_text",
                required=True,
            ),
            "name": FieldDef(
                T("Output name", "输出名称"),
                T(
                    "Key of this output when a flow has several (default: the node id)",
                    "流程有多个输出时本输出的键（默认：节点 ID）",
                ),
            ),
        },
        inputs=(Port("value", PortType.ANY),),
        outputs=(),  # the end of a flow: nothing is wired out of it
        summary=("value",),
    )

    async def run(self, ctx, config: OutputConfig) -> dict[str, Any]:
        return {"value": config.value}
