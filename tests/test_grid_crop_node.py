"""The grid crop node run by the engine of a real Platform: a storyboard sheet (cells of known
colours) stored as FlowAI's file is cut into cells that are stored and read back."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from flowai.errors import InputError, NodeError
from tests.graphs import Graph, compile_doc

COLOURS = [
    (255, 0, 0),
    (0, 255, 0),
    (0, 0, 255),
    (255, 255, 0),
    (0, 255, 255),
    (255, 0, 255),
    (9, 9, 9),
    (99, 99, 99),
    (200, 200, 200),
]


def sheet(rows: int, cols: int, *, cell: int = 40, margin: int = 0, gutter: int = 0, fmt: str = "PNG") -> bytes:
    """A grid image: white background, each cell filled with the next colour."""
    width, height = 2 * margin + cols * cell + (cols - 1) * gutter, 2 * margin + rows * cell + (rows - 1) * gutter
    image = Image.new("RGB", (width, height), (255, 255, 255))
    for r in range(rows):
        for c in range(cols):
            left, top = margin + c * (cell + gutter), margin + r * (cell + gutter)
            image.paste(COLOURS[r * cols + c], (left, top, left + cell, top + cell))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def owner(platform) -> int:
    return platform.users.acting_admin().id


def cutting(**config) -> dict:
    return (
        Graph()
        .input(sheet="image")
        .node("grid", "grid_crop", "切图", **config)
        .edge("in", "grid", "sheet", "image")
        .output({"images": "{{grid.images}}", "count": "{{grid.count}}"})
        .edge("grid", "out")
        .doc
    )


async def run(platform, owner: int, data: bytes, name: str, **config) -> dict:
    row = platform.files.save(owner_id=owner, name=name, data=data)
    url = platform.files.signed_url(row.id).url
    return await platform.engine.run(compile_doc(cutting(**config)), {"sheet": url}, lambda e: None, owner_id=owner)


def cell_of(platform, url: str) -> tuple[Image.Image, str]:
    file_id = url.split("?")[0].rsplit("/", 1)[-1]
    row = platform.files.get(file_id)
    return Image.open(platform.files.path(file_id)), row.type


async def test_a_3x3_sheet_becomes_nine_stored_cells_row_by_row(platform, owner):
    out = await run(platform, owner, sheet(3, 3), "sheet.png")
    assert out["count"] == 9 and len(out["images"]) == 9
    for url, colour in zip(out["images"], COLOURS):
        image, mime = cell_of(platform, url)
        assert mime == "image/png" and image.size == (40, 40)
        assert image.convert("RGB").getpixel((20, 20)) == colour


async def test_a_custom_grid_with_margin_and_gutter_in_jpeg(platform, owner):
    data = sheet(2, 3, cell=50, margin=10, gutter=6, fmt="JPEG")
    out = await run(platform, owner, data, "sheet.jpg", layout="custom", rows=2, cols=3, margin=10, gutter=6)
    assert out["count"] == 6
    for url, colour in zip(out["images"], COLOURS):
        image, mime = cell_of(platform, url)
        assert mime == "image/jpeg" and image.size == (50, 50)
        corner = image.convert("RGB").getpixel((2, 2))  # no white border left: the margin and gutter are cut off
        assert all(abs(a - b) < 40 for a, b in zip(corner, colour)), (corner, colour)


async def test_the_2x2_preset_ignores_the_custom_rows_and_columns(platform, owner):
    out = await run(platform, owner, sheet(2, 2), "sheet.png", layout="2x2", rows=5, cols=5)
    assert out["count"] == 4


async def test_what_is_not_a_grid_image_is_refused_clearly(platform, owner):
    with pytest.raises(NodeError, match="needs an image, not text/plain"):
        await run(platform, owner, b"just text", "notes.txt")
    with pytest.raises(InputError, match="no room for 3x3 cells"):
        await run(platform, owner, sheet(1, 1, cell=4), "tiny.png", margin=1)
