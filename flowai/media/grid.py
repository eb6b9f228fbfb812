"""Cutting a storyboard grid image into its cells (a 3x3 sheet of shots into nine images).

    >>> cells = grid_crop(png_bytes, rows=3, cols=3, margin=8, gutter=4)
    >>> len(cells)   # row by row, left to right
    9

``margin`` is the border around the whole grid and ``gutter`` the gap between cells, in pixels of
the source image. Cells keep the source format (PNG, JPEG or WebP); anything else becomes PNG.
"""

from __future__ import annotations

import io
import warnings

from flowai.errors import InputError

MAX_PIXELS = 80_000_000  # larger images are refused (Pillow's decompression-bomb guard, made an error)


def grid_crop(data: bytes, rows: int, cols: int, *, margin: int = 0, gutter: int = 0) -> list[bytes]:
    from PIL import Image, UnidentifiedImageError

    if not (1 <= rows <= 20 and 1 <= cols <= 20):
        raise InputError("A grid has 1 to 20 rows and 1 to 20 columns.")
    if margin < 0 or gutter < 0:
        raise InputError("Margins and gutters are whole pixels, 0 or more.")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as image:
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            fmt = image.format if image.format in ("PNG", "JPEG", "WEBP") else "PNG"
            width, height = image.size
            cell_w = (width - 2 * margin - (cols - 1) * gutter) / cols
            cell_h = (height - 2 * margin - (rows - 1) * gutter) / rows
            if cell_w < 1 or cell_h < 1:
                raise InputError(
                    f"A {width}x{height} image has no room for {rows}x{cols} cells with those margins and gutters."
                )
            cells = []
            for r in range(rows):
                for c in range(cols):
                    left = round(margin + c * (cell_w + gutter))
                    top = round(margin + r * (cell_h + gutter))
                    box = (left, top, round(left + cell_w), round(top + cell_h))
                    cell = image.crop(box)
                    if fmt == "JPEG" and cell.mode not in ("RGB", "L"):
                        cell = cell.convert("RGB")
                    out = io.BytesIO()
                    cell.save(out, format=fmt)
                    cells.append(out.getvalue())
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError) as exc:
        raise InputError(f"The grid is not an image FlowAI can cut ({type(exc).__name__}).") from None
    return cells
