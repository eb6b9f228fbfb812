"""The image node: text (and an optional reference image) to images, through the provider router.

Every image produced is stored by the media store; the node outputs their URLs (served by this
app): ``image`` is the first, ``images`` all of them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import ImageRequest, Scope

from .base import Node, NodeConfig

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21"]


class ImageConfig(NodeConfig):
    provider: str = Field(default="auto", description="'auto' walks the image priority list; a name pins it")
    model: str = Field(default="", description="Empty: the provider's default image model")
    prompt: str = ""
    negative_prompt: str = Field(default="", description="What the image should not show")
    aspect_ratio: AspectRatio = "1:1"
    n: int = Field(default=1, ge=1, le=4, description="Images to generate (1-4)")
    seed: int | None = Field(default=None, ge=0, description="Empty: random")
    reference_image: str = Field(default="", description="An image to start from (URL or data: URI)")


class ImageNode(Node):
    type = "image"
    title = "Image"
    group = "media"
    Config = ImageConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"prompt": PortType.TEXT, "reference_image": PortType.IMAGE}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"image": PortType.IMAGE, "images": PortType.JSON, "usage": PortType.JSON}

    async def run(self, ctx, config: ImageConfig) -> dict[str, Any]:
        if not config.prompt.strip():
            raise NodeError("The image node needs a prompt.")
        reference = None
        if config.reference_image:
            reference = await ctx.services.media.load(config.reference_image, owner_id=ctx.owner_id, kind="image")
        request = ImageRequest(
            prompt=config.prompt,
            model=config.model,
            negative_prompt=config.negative_prompt,
            aspect_ratio=config.aspect_ratio,
            n=config.n,
            seed=config.seed,
            reference_image=reference,
        )
        result = await ctx.services.image(request, provider=config.provider, scope=Scope.of(ctx))
        urls = [await ctx.services.media.save(media, owner_id=ctx.owner_id) for media in result.images]
        usage = result.usage.as_dict()
        ctx.record_usage(usage)
        return {"image": urls[0] if urls else None, "images": urls, "usage": usage}
