"""The template node: renders a text template from upstream values."""

from __future__ import annotations

from typing import Any

from flowai.ports import PortType
from flowai.workflows.templates import to_text

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class TemplateConfig(NodeConfig):
    template: str = ""


class TemplateNode(Node):
    definition = NodeDef(
        type="template",
        title=T("Template", "模板"),
        group="logic",
        description=T(
            "Renders a text template from upstream values ({{node.port}} or $label.field).",
            "用上游的值渲染一段文本模板（{{node.port}} 或 $节点名.字段）。",
        ),
        config=TemplateConfig,
        fields={
            "template": FieldDef(
                T("Template", "模板"),
                T("The text made; {{node.port}} inserts upstream values", "生成的文本；{{node.port}} 插入上游的值"),
                widget="long_text",
            )
        },
        inputs=(Port("template", PortType.TEXT),),
        outputs=(Port("text", PortType.TEXT, T("The rendered text", "渲染后的文本"), title=T("Text", "文本")),),
        summary=("template",),
    )

    async def run(self, ctx, config: TemplateConfig) -> dict[str, Any]:
        return {"text": to_text(config.template)}
