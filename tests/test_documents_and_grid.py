"""Reading documents in-process (txt, md, pdf, docx, epub) and cutting storyboard grids."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from flowai.errors import InputError
from flowai.media.documents import chunk_text, document_kind, extract_text
from flowai.media.grid import grid_crop

NOVEL = "第一章 旧书店\n\n林舟推开旧书店的门。\n\n第二章 来信\n\n一封没有署名的信。\n\n第三章 雨夜\n\n雨一直下。"


def pdf_bytes(lines: list[str]) -> bytes:
    """A small valid PDF with one page of Helvetica text (built by hand: no PDF writer needed)."""
    body = "BT /F1 12 Tf 72 720 Td " + " ".join(f"({line}) Tj 0 -16 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(body)} >>\nstream\n{body}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{obj}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def docx_bytes(paragraphs: list[str]) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def epub_bytes(chapters: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr(
            "META-INF/container.xml",
            '<container><rootfiles><rootfile full-path="OEBPS/book.opf"/></rootfiles></container>',
        )
        items = "".join(
            f'<item id="c{i}" href="c{i}.xhtml" media-type="application/xhtml+xml"/>' for i in range(len(chapters))
        )
        spine = "".join(f'<itemref idref="c{i}"/>' for i in range(len(chapters)))
        z.writestr("OEBPS/book.opf", f"<package><manifest>{items}</manifest><spine>{spine}</spine></package>")
        for i, text in enumerate(chapters):
            z.writestr(
                f"OEBPS/c{i}.xhtml",
                f"<html><head><style>p{{}}</style></head><body><h1>第{i + 1}章</h1>"
                f"<p>{text}</p><script>alert(1)</script></body></html>",
            )
    return out.getvalue()


def test_text_in_utf8_and_gb18030_and_markdown():
    assert extract_text(NOVEL.encode()).text == NOVEL
    assert extract_text(NOVEL.encode("gb18030")).text == NOVEL
    assert extract_text("\ufeff# Title\r\n\r\nBody".encode()).text == "# Title\n\nBody"


def test_pdf_docx_and_epub():
    pdf = extract_text(pdf_bytes(["Chapter 1", "It was raining."]))
    assert pdf.kind == "pdf" and pdf.pages == 1 and "Chapter 1" in pdf.text and "It was raining." in pdf.text
    word = extract_text(docx_bytes(["第一章 旧书店", "林舟推开旧书店的门。"]))
    assert word.kind == "docx" and word.text == "第一章 旧书店\n\n林舟推开旧书店的门。"
    book = extract_text(epub_bytes(["林舟推开旧书店的门。", "雨一直下。"]))
    assert book.kind == "epub" and book.text == "第1章\n\n林舟推开旧书店的门。\n\n第2章\n\n雨一直下。"
    assert "alert" not in book.text


def test_limits_and_refusals():
    cut = extract_text(("字" * 100).encode(), limit_chars=10)
    assert cut.text == "字" * 10 and cut.truncated
    for bad in (b"\x89PNG\r\n\x1a\n\x00\x00", b"PK\x03\x04garbage", b"MZ\x90\x00\x03\x00\x00\x00"):
        assert document_kind(bad) is None
        with pytest.raises(InputError, match="not a document"):
            extract_text(bad)
    with pytest.raises(InputError, match="could not be read"):
        extract_text(b"%PDF-1.4\n1 0 obj broken")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<a>" + " " * (60 * 1024 * 1024) + "</a>")
    with pytest.raises(InputError, match="more than 50 MiB"):
        extract_text(bomb.getvalue())


def test_chunks_by_chapter_paragraph_and_size():
    assert chunk_text(NOVEL) == [
        "第一章 旧书店\n\n林舟推开旧书店的门。",
        "第二章 来信\n\n一封没有署名的信。",
        "第三章 雨夜\n\n雨一直下。",
    ]
    assert chunk_text("Preface.\nChapter 1\nA.\nChapter 2\nB.") == ["Preface.", "Chapter 1\nA.", "Chapter 2\nB."]
    assert chunk_text("一。二。三。四。", by="size", size=5) == ["一。二。", "三。四。"]
    assert chunk_text("a\n\nb\n\n\nc", by="paragraph") == ["a", "b", "c"]
    long = "。".join(["句子" * 10] * 50)
    pieces = chunk_text(long, by="size", size=100)
    assert all(len(p) <= 100 for p in pieces) and "".join(pieces) == long.replace("\n", "")


def grid_image(rows: int, cols: int, cell: int, margin: int, gutter: int, fmt: str = "PNG") -> bytes:
    width = 2 * margin + cols * cell + (cols - 1) * gutter
    height = 2 * margin + rows * cell + (rows - 1) * gutter
    image = Image.new("RGB", (width, height), (255, 255, 255))
    for r in range(rows):
        for c in range(cols):
            colour = (r * 80, c * 80, 200)
            box = (margin + c * (cell + gutter), margin + r * (cell + gutter))
            image.paste(colour, (*box, box[0] + cell, box[1] + cell))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_3x3_grid_with_margins_and_gutters_gives_nine_shots_in_order(fmt):
    cells = grid_crop(grid_image(3, 3, 60, 10, 6, fmt), 3, 3, margin=10, gutter=6)
    assert len(cells) == 9
    for i, data in enumerate(cells):
        with Image.open(io.BytesIO(data)) as cell:
            assert cell.format == fmt and cell.size == (60, 60)
            r, g, b = cell.convert("RGB").getpixel((30, 30))
            assert abs(r - (i // 3) * 80) < 12 and abs(g - (i % 3) * 80) < 12 and abs(b - 200) < 12
            assert cell.convert("RGB").getpixel((0, 0)) != (255, 255, 255)  # no white border left


def test_grid_refusals():
    with pytest.raises(InputError, match="not an image"):
        grid_crop(b"not an image", 2, 2)
    with pytest.raises(InputError, match="no room"):
        grid_crop(grid_image(1, 1, 10, 0, 0), 2, 2, margin=20)
    with pytest.raises(InputError, match="1 to 20 rows"):
        grid_crop(grid_image(1, 1, 10, 0, 0), 0, 2)
