"""The grid crop node: a storyboard sheet (a 3x3 grid of shots in one image) cut into its cells.

The cells are stored, row by row and left to right; ``images`` lists their URLs. ``layout`` picks
2x2 or 3x3, or ``custom`` for the ``rows`` and ``cols`` given; ``margin`` is the border around the
whole grid and ``gutter`` the gap between cells, in pixels of the source image.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import Field

from flowai.errors import NodeError
from flowai.media.grid import grid_crop
from flowai.ports import PortType
from flowai.providers.base import Media

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

KEPT = ("image/png", "image/jpeg", "image/webp")  # cells keep these formats; others become PNG


class GridCropConfig(NodeConfig):
    image: str = ""
    layout: Literal["2x2", "3x3", "custom"] = "3x3"
    rows: int = Field(default=3, ge=1, le=20)
    cols: int = Field(default=3, ge=1, le=20)
    margin: int = Field(default=0, ge=0, le=4096)
    gutter: int = Field(default=0, ge=0, le=4096)


class GridCropNode(Node):
    definition = NodeDef(
        type="grid_crop",
        title=T("Grid crop", "宫格切图"),
        group="media",
        description=T(
            "Cuts a grid image (a storyboard sheet of shots) into its cells; the cells are stored, row by row.",
            "把宫格图（分镜表）切成单独的格子图片，按行依次保存。",
        ),
        config=GridCropConfig,
        fields={
            "image": FieldDef(T("Image", "图片"), T("The grid image (URL or data: URI)", "宫格图（URL 或 data: URI）")),
            "layout": FieldDef(
                T("Grid", "宫格"),
                T("How the image is cut into cells", "图片按怎样的宫格切开"),
                widget="choice",
                choices={
                    "2x2": T("2 x 2 (four cells)", "2 x 2（四宫格）"),
                    "3x3": T("3 x 3 (nine cells)", "3 x 3（九宫格）"),
                    "custom": T("Custom rows and columns", "自定义行列"),
                },
            ),
            "rows": FieldDef(T("Rows", "行数"), T("With a custom grid: rows (1-20)", "自定义宫格的行数（1-20）")),
            "cols": FieldDef(T("Columns", "列数"), T("With a custom grid: columns (1-20)", "自定义宫格的列数（1-20）")),
            "margin": FieldDef(
                T("Margin (px)", "外边距（像素）"), T("Border around the whole grid", "整个宫格外围的边框宽度")
            ),
            "gutter": FieldDef(T("Gutter (px)", "间距（像素）"), T("Gap between cells", "格子之间的间隔")),
        },
        inputs=(Port("image", PortType.IMAGE),),
        outputs=(
            Port(
                "images",
                PortType.JSON,
                T("The cells' URLs, row by row", "各格图片的 URL，按行排列"),
                title=T("Cells", "各格图片"),
            ),
            Port("count", PortType.NUMBER, T("How many cells", "格子数量"), title=T("Count", "格数")),
        ),
        summary=("layout",),
    )

    async def run(self, ctx, config: GridCropConfig) -> dict[str, Any]:
        media = getattr(ctx.services, "media", None)
        if media is None:
            raise NodeError("Media storage is not available in this runtime.")
        if not config.image.strip():
            raise NodeError("The grid crop node needs an image.")
        rows, cols = (config.rows, config.cols) if config.layout == "custom" else _square(config.layout)
        source = await media.load(config.image.strip(), owner_id=ctx.owner_id)
        if not source.content_type.startswith("image/"):
            raise NodeError(f"The grid crop node needs an image, not {source.content_type}.")
        cells = await asyncio.to_thread(grid_crop, source.data, rows, cols, margin=config.margin, gutter=config.gutter)
        kind = source.content_type if source.content_type in KEPT else "image/png"
        urls = []
        for i, cell in enumerate(cells, start=1):
            urls.append(await media.save(Media(cell, kind), owner_id=ctx.owner_id, name=f"cell-{i}.{kind[6:]}"))
        return {"images": urls, "count": len(urls)}


def _square(layout: str) -> tuple[int, int]:
    n = int(layout[0])
    return n, n
