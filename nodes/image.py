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
from .define import FieldDef, NodeDef, Port, T

AspectRatio = Literal["1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "21:9", "9:21"]


class ImageConfig(NodeConfig):
    provider: str = "auto"
    model: str = ""
    prompt: str = ""
    negative_prompt: str = ""
    aspect_ratio: AspectRatio = "1:1"
    n: int = Field(default=1, ge=1, le=4)
    seed: int | None = Field(default=None, ge=0)
    reference_image: str = ""


class ImageNode(Node):
    definition = NodeDef(
        type="image",
        title=T("Image", "图像生成"),
        group="media",
        description=T(
            "Text (and an optional reference image) to images through the provider router; the images are stored.",
            "通过供应商路由把文字（可带参考图）生成图片；图片会被保存。",
        ),
        task="image",
        config=ImageConfig,
        fields={
            "provider": FieldDef(
                T("Provider", "供应商"),
                T(
                    "'auto' walks the image priority list; a name pins it",
                    "auto 按图像任务优先级依次尝试；填名字则固定用它",
                ),
                widget="provider",
            ),
            "model": FieldDef(
                T("Model", "模型"),
                T("Empty: the provider's default image model", "留空：供应商的默认图像模型"),
                widget="model",
            ),
            "prompt": FieldDef(
                T("Prompt", "提示词"),
                T(
                    "What the image shows; {{node.port}} inserts upstream values",
                    "描述画面内容；{{node.port}} 插入上游的值",
                ),
                widget="long_text",
                required=True,
            ),
            "negative_prompt": FieldDef(
                T("Negative prompt", "反向提示词"),
                T("What the image should not show", "图片中不应出现的内容"),
                widget="long_text",
            ),
            "aspect_ratio": FieldDef(
                T("Aspect ratio", "宽高比"), T("Width to height of the image", "图片的宽与高之比")
            ),
            "n": FieldDef(T("Number of images", "图片数量"), T("Images to generate (1-4)", "生成的图片数（1-4）")),
            "seed": FieldDef(T("Seed", "随机种子"), T("Empty: random", "留空：随机")),
            "reference_image": FieldDef(
                T("Reference image", "参考图"),
                T("An image to start from (URL or data: URI)", "作为起点的图片（URL 或 data: URI）"),
            ),
        },
        inputs=(Port("prompt", PortType.TEXT), Port("reference_image", PortType.IMAGE)),
        outputs=(
            Port("image", PortType.IMAGE, T("The first image's URL", "第一张图片的 URL"), title=T("Image", "图片")),
            Port(
                "images", PortType.JSON, T("All the images' URLs", "全部图片的 URL"), title=T("All images", "全部图片")
            ),
            Port("usage", PortType.JSON, T("Provider, model and cost", "供应商、模型与费用"), title=T("Usage", "用量")),
        ),
        cacheable=True,
        summary=("prompt", "model"),
    )

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
