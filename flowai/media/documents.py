"""The text of documents (txt, md, pdf, docx, epub), read in-process, and long texts cut into chunks.

A novel arrives as an upload; its text is read from the bytes FlowAI stores, never by an HTTP call
to the server itself. Limits keep a hostile file cheap: pages read, characters kept, and the
uncompressed size of the zip members of docx and epub files.

    >>> text = extract_text(data, limit_chars=200_000).text
    >>> chunk_text(text, by="chapter")      # ["第一章 ...", "第二章 ...", ...]
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal

from flowai.errors import InputError

MAX_MEMBER_BYTES = 50 * 1024 * 1024  # a docx/epub part larger than this once unzipped is refused
KINDS = ("txt", "pdf", "docx", "epub")
_CHAPTER = re.compile(
    r"^[ \t　]*(?:第[〇零一二三四五六七八九十百千万两\d]+[章回节卷部篇]"  # 第一章, 第12回
    r"|(?:chapter|CHAPTER|Chapter)\s+[\dIVXLCivxlc]+\b"  # Chapter 2, CHAPTER IV
    r"|#{1,2}\s)",  # Markdown headings
    re.M,
)


@dataclass(frozen=True, slots=True)
class Document:
    text: str
    kind: str  # txt | pdf | docx | epub
    pages: int | None = None  # pdf pages read
    truncated: bool = False  # the text was cut at the character or page limit


def document_kind(data: bytes) -> str | None:
    """txt, pdf, docx or epub, decided from the bytes; None for anything else."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                if "word/document.xml" in names:
                    return "docx"
                if "mimetype" in names and z.read("mimetype").strip() == b"application/epub+zip":
                    return "epub"
        except zipfile.BadZipFile:
            return None
        return None
    return "txt" if _decode(data[:65536], strict=True) is not None else None


def extract_text(data: bytes, *, limit_chars: int = 2_000_000, limit_pages: int = 2000) -> Document:
    kind = document_kind(data)
    if kind is None:
        raise InputError("This file is not a document FlowAI can read (txt, md, pdf, docx or epub).")
    pages = None
    if kind == "pdf":
        text, pages, cut = _pdf(data, limit_pages)
    elif kind == "docx":
        text, cut = _docx(data), False
    elif kind == "epub":
        text, cut = _epub(data), False
    else:
        text, cut = _decode(data) or "", False
    text = re.sub(r"\r\n?", "\n", text).strip()
    if len(text) > limit_chars:
        text, cut = text[:limit_chars], True
    return Document(text, kind, pages, cut)


def chunk_text(text: str, *, by: Literal["chapter", "size", "paragraph"] = "chapter", size: int = 4000) -> list[str]:
    """Chapters (headings such as 第一章, Chapter 2, ``# Title``; a text without any is cut by size),
    paragraphs, or pieces of at most ``size`` characters cut at paragraph or sentence ends."""
    text = text.strip()
    if not text:
        return []
    if by == "chapter":
        starts = [m.start() for m in _CHAPTER.finditer(text)]
        if starts:
            bounds = ([0] if starts[0] > 0 else []) + starts + [len(text)]
            chapters = [text[a:b].strip() for a, b in zip(bounds, bounds[1:])]
            return [c for piece in chapters if piece for c in _by_size(piece, max(size, 1) * 25)]
        return _by_size(text, size)
    if by == "paragraph":
        return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return _by_size(text, size)


def _by_size(text: str, size: int) -> list[str]:
    pieces, rest = [], text
    while len(rest) > size:
        window = rest[:size]
        cut = max(window.rfind("\n"), *(window.rfind(p) + 1 for p in "。！？.!?"))
        cut = cut if cut > size // 2 else size
        pieces.append(rest[:cut].strip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def _decode(data: bytes, *, strict: bool = False) -> str | None:
    """UTF-8 (with or without BOM), else GB18030 (Chinese novels), refusing binary data."""
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            if strict and encoding == "utf-8-sig":  # a multi-byte character cut at the sample's end
                try:
                    text = data[:-3].decode(encoding) if len(data) > 3 else ""
                except UnicodeDecodeError:
                    continue
            else:
                continue
        controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\n\r\t\f")
        return text if controls == 0 else None
    return None


def _pdf(data: bytes, limit_pages: int) -> tuple[str, int, bool]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError("This PDF is encrypted; upload a copy without a password.")
        total = len(reader.pages)
        texts = [reader.pages[i].extract_text() or "" for i in range(min(total, limit_pages))]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise InputError(f"This PDF could not be read ({type(exc).__name__}).") from None
    return "\n\n".join(t.strip() for t in texts if t.strip()), min(total, limit_pages), total > limit_pages


def _docx(data: bytes) -> str:
    _check_members(data)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"This Word document could not be read ({type(exc).__name__}).") from None
    return "\n\n".join(p.text for p in document.paragraphs if p.text.strip())


class _Text(HTMLParser):
    BLOCKS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _epub(data: bytes) -> str:
    _check_members(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        container = z.read("META-INF/container.xml").decode("utf-8", "replace")
        opf_path = re.search(r'full-path="([^"]+)"', container)
        if opf_path is None:
            raise InputError("This EPUB has no package document.")
        opf = z.read(opf_path[1]).decode("utf-8", "replace")
        base = opf_path[1].rpartition("/")[0]
        items = dict(re.findall(r'<item\b[^>]*\bid="([^"]+)"[^>]*\bhref="([^"]+)"', opf))
        items.update({i: h for h, i in re.findall(r'<item\b[^>]*\bhref="([^"]+)"[^>]*\bid="([^"]+)"', opf)})
        order = re.findall(r'<itemref\b[^>]*\bidref="([^"]+)"', opf)
        texts = []
        for idref in order:
            href = items.get(idref)
            if href is None:
                continue
            parser = _Text()
            parser.feed(z.read(f"{base}/{href}" if base else href).decode("utf-8", "replace"))
            texts.append(re.sub(r"\n\s*\n+", "\n\n", "".join(parser.parts)).strip())
    return "\n\n".join(t for t in texts if t)


def _check_members(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if info.file_size > MAX_MEMBER_BYTES:
                raise InputError("This document unpacks to more than 50 MiB; it is refused.")
