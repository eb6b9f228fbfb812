"""The document node (DESIGN's extract_text): the text of an uploaded document, optionally in chunks.

``file`` is a ``/files/`` URL of an upload (read in-process from FlowAI's storage: no HTTP call to
the server itself) or a public URL (fetched through the SSRF-checked loader). Plain text and
Markdown (UTF-8 or GB18030), PDF, Word (.docx) and EPUB are read, within ``limit_pages`` and
``limit_chars``; ``chunk_by`` cuts the text by chapter (第一章 / Chapter 2 / ``#`` headings),
paragraph or size, for a loop over a novel's chapters.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import Field

from flowai.errors import NodeError
from flowai.media.documents import chunk_text, extract_text
from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class DocumentConfig(NodeConfig):
    file: str = ""
    limit_chars: int = Field(default=200_000, ge=1, le=2_000_000)
    limit_pages: int = Field(default=500, ge=1, le=2000)
    chunk_by: Literal["none", "chapter", "paragraph", "size"] = "none"
    chunk_size: int = Field(default=4000, ge=100, le=200_000)


class DocumentNode(Node):
    definition = NodeDef(
        type="document",
        title=T("Document text", "文档提取"),
        group="inputs",
        description=T(
            "Reads the text of a document (txt, md, pdf, docx, epub) and can cut it into chapters, paragraphs "
            "or pieces of a size.",
            "读取文档（txt、md、pdf、docx、epub）的文字，并可按章节、段落或长度切分。",
        ),
        config=DocumentConfig,
        fields={
            "file": FieldDef(
                T("File", "文件"), T("The uploaded file's URL, or a public URL", "已上传文件的 URL，或公开的 URL")
            ),
            "limit_chars": FieldDef(
                T("Character limit", "字数上限"), T("Text beyond this is cut off", "超出部分会被截掉")
            ),
            "limit_pages": FieldDef(T("Page limit", "页数上限"), T("PDF pages read at most", "最多读取的 PDF 页数")),
            "chunk_by": FieldDef(
                T("Split into chunks", "切分方式"),
                T(
                    "Cut the text into chunks (the chunks output), e.g. one per chapter for a loop",
                    "把文本切成若干段（chunks 输出），例如每章一段，供循环逐段处理",
                ),
                widget="choice",
                choices={
                    "none": T("No split (one chunk)", "不切分（整体一段）"),
                    "chapter": T("By chapter", "按章节"),
                    "paragraph": T("By paragraph", "按段落"),
                    "size": T("By size", "按长度"),
                },
            ),
            "chunk_size": FieldDef(
                T("Chunk size (characters)", "每段字数"),
                T("Longest chunk when splitting by size", "按长度切分时每段的最大字数"),
            ),
        },
        inputs=(Port("file", PortType.FILE, T("The document", "文档")),),
        outputs=(
            Port("text", PortType.TEXT, T("The document's text", "文档的文字"), title=T("Text", "文字")),
            Port(
                "chunks",
                PortType.JSON,
                T("The text's chunks (a list)", "切分后的文字（列表）"),
                title=T("Chunks", "分段"),
            ),
            Port(
                "kind",
                PortType.TEXT,
                T("txt, pdf, docx or epub", "txt、pdf、docx 或 epub"),
                title=T("File kind", "文件类型"),
            ),
            Port(
                "truncated",
                PortType.BOOLEAN,
                T("Whether a limit cut the text", "文字是否被上限截断"),
                title=T("Truncated", "是否截断"),
            ),
        ),
        summary=("file", "chunk_by"),
    )

    async def run(self, ctx, config: DocumentConfig) -> dict[str, Any]:
        media = getattr(ctx.services, "media", None)
        if media is None:
            raise NodeError("Reading documents is not available in this runtime.")
        if not config.file.strip():
            raise NodeError("The document node needs a file.")
        source = await media.load(config.file.strip(), owner_id=ctx.owner_id)
        doc = await asyncio.to_thread(
            extract_text, source.data, limit_chars=config.limit_chars, limit_pages=config.limit_pages
        )
        if config.chunk_by == "none":
            chunks = [doc.text] if doc.text else []
        else:
            chunks = chunk_text(doc.text, by=config.chunk_by, size=config.chunk_size)
        return {"text": doc.text, "chunks": chunks, "kind": doc.kind, "truncated": doc.truncated}
