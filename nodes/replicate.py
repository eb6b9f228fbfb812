"""The Replicate node: run any Replicate model; its output files are stored the moment it finishes.

The model's inputs are the ``params`` object (string values are templates); the editor builds a
form for it from ``ctx.services.replicate.input_schema(model)``. A reference image (the ``image``
port or config) goes through the rules table's fallbacks like any other call; ``max_retries`` bounds the
retries of each call to Replicate (``flowai.providers.replicate``). Cancelling the node
(run cancelled, client gone, timeout) cancels the prediction upstream.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import Scope

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

PUBLIC = ("https://", "http://", "data:")


class ReplicateConfig(NodeConfig):
    model: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    image: str = ""
    max_retries: int | None = Field(default=None, ge=0, le=10)


class ReplicateNode(Node):
    definition = NodeDef(
        type="replicate",
        title=T("Replicate", "Replicate"),
        group="ai",
        description=T(
            "Runs any Replicate model; its output files are stored the moment it finishes. Needs REPLICATE_API_KEY.",
            "运行任意 Replicate 模型；结束时立即保存其输出文件。需要 REPLICATE_API_KEY。",
        ),
        config=ReplicateConfig,
        fields={
            "model": FieldDef(
                T("Model", "模型"),
                T(
                    "owner/name, owner/name:version, or a short name from the Replicate rules table (flux-dev)",
                    "owner/name、owner/name:version，或 Replicate 规则表中的短名（如 flux-dev）",
                ),
            ),
            "params": FieldDef(
                T("Model parameters", "模型参数"),
                T(
                    "The model's inputs as a JSON object; string values are templates",
                    "模型的输入（JSON 对象）；字符串值是模板",
                ),
                widget="model_params",
            ),
            "image": FieldDef(
                T("Reference image", "参考图"), T("Reference image URL (optional)", "参考图 URL（可选）")
            ),
            "max_retries": FieldDef(
                T("Retries", "重试次数"),
                T(
                    "Retries of a Replicate call that failed with a 5xx, a timeout or a lost connection "
                    "(empty: the batch's setting, else 2)",
                    "Replicate 调用因 5xx、超时或连接中断失败时的重试次数（留空：用批量任务的设置，否则 2 次）",
                ),
                advanced=True,
            ),
        },
        inputs=(Port("image", PortType.IMAGE),),
        outputs=(
            Port("output", PortType.JSON, T("The model's output as it answered", "模型的原始输出")),
            Port("files", PortType.JSON, T("The stored output files' URLs", "已保存的输出文件 URL")),
            Port("file", PortType.FILE, T("The first output file's URL", "第一个输出文件的 URL")),
            Port("text", PortType.TEXT, T("The output as text, when it is text", "输出为文本时的文本")),
        ),
        cacheable=True,
        summary=("model",),
    )

    async def run(self, ctx, config: ReplicateConfig) -> dict[str, Any]:
        replicate = getattr(ctx.services, "replicate", None)
        if replicate is None or not replicate.configured:
            raise NodeError("Replicate is not configured: set REPLICATE_API_KEY (or REPLICATE_API_TOKEN).")
        media = getattr(ctx.services, "media", None)
        image = config.image.strip() or None
        if image and not image.startswith(PUBLIC):  # our own /files/ URL: Replicate cannot fetch it
            if media is None:
                raise NodeError("The reference image is not a public URL and no media store is configured.")
            image = await replicate.file_input(await media.load(image, owner_id=ctx.owner_id))
        store = None
        if media is not None and ctx.owner_id is not None:  # ad-hoc runs keep Replicate's URLs (valid 1 h)

            async def store(m):
                return await media.save(m, owner_id=ctx.owner_id)

        result = await ctx.services.metered(
            "replicate",
            lambda: replicate.run(
                config.model, config.params, image=image, store=store, max_retries=config.max_retries
            ),
            task="replicate",
            scope=Scope.of(ctx),
        )
        ctx.record_usage(result.usage_dict())
        return {
            "output": result.output,
            "files": result.files,
            "file": result.files[0] if result.files else None,
            "text": result.text,
        }
