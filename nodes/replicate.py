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

PUBLIC = ("https://", "http://", "data:")


class ReplicateConfig(NodeConfig):
    model: str = Field(
        min_length=1,
        description="owner/name, owner/name:version, or a short name from the Replicate rules table (flux-dev)",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="The model's inputs as a JSON object; string values are templates"
    )
    image: str = Field(default="", description="Reference image URL (optional)")
    max_retries: int | None = Field(
        default=None,
        ge=0,
        le=10,
        description="Retries of a Replicate call that failed with a 5xx, a timeout or a lost connection "
        "(default: the batch's setting, else 2)",
    )


class ReplicateNode(Node):
    type = "replicate"
    title = "Replicate"
    group = "ai"
    Config = ReplicateConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"image": PortType.IMAGE}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"output": PortType.JSON, "files": PortType.JSON, "file": PortType.FILE, "text": PortType.TEXT}

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
