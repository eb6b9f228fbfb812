"""The document node end to end: txt, pdf, docx and epub uploaded through ``POST /api/v1/files``,
read by a published workflow over the run API with SSRF protection on (the server's own address is
private, so the node can only be reading its storage in-process), chunked by chapter."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from tests.conftest import start_api
from tests.graphs import Graph
from tests.manage_client import data, error, signed_in
from tests.test_documents_and_grid import NOVEL, docx_bytes, epub_bytes, pdf_bytes

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def api(settings):
    assert not settings.allow_private_urls  # SSRF protection on
    server, handle = start_api(settings)
    with server:
        yield handle


def upload(api, name: str, content: bytes) -> dict:
    return data(signed_in(api).post("/files", files={"file": (name, content, "application/octet-stream")}), 201)


def reading(**config) -> dict:
    return (
        Graph()
        .input(book="file")
        .node("doc", "document", "读文档", **config)
        .edge("in", "doc", "book", "file")
        .output(
            {"text": "{{doc.text}}", "chunks": "{{doc.chunks}}", "kind": "{{doc.kind}}", "cut": "{{doc.truncated}}"}
        )
        .edge("doc", "out")
        .doc
    )


def run(api, doc: dict, url: str) -> httpx.Response:
    return httpx.post(
        f"{api.url}/v1/api/workflow/run/{api.publish(doc)}",
        headers={"X-API-KEY": api.key()},
        json={"input": {"book": url}},
        timeout=60,
    )


def test_uploaded_txt_pdf_docx_and_epub_are_read_in_process(api):
    files = [
        ("novel.txt", NOVEL.encode(), "text/plain", "txt"),
        ("story.pdf", pdf_bytes(["Chapter 1", "It was raining."]), "application/pdf", "pdf"),
        ("novel.docx", docx_bytes(["第一章 旧书店", "林舟推开旧书店的门。", "第二章 来信", "一封信。"]), DOCX, "docx"),
        ("book.epub", epub_bytes(["林舟推开旧书店的门。", "雨一直下。"]), "application/epub+zip", "epub"),
    ]
    for name, content, mime, kind in files:
        item = upload(api, name, content)
        assert item["type"] == mime, name
        resp = run(api, reading(chunk_by="chapter"), item["url"])
        assert resp.status_code == 200, resp.text
        out = resp.json()["output"]
        assert out["kind"] == kind and out["cut"] is False, name
        assert out["chunks"] and all(chunk in out["text"] for chunk in out["chunks"]), name
    # the last two: the novel in chapters, the epub's text
    assert out["text"] == "第1章\n\n林舟推开旧书店的门。\n\n第2章\n\n雨一直下。"
    item = upload(api, "novel.txt", NOVEL.encode())
    out = run(api, reading(chunk_by="chapter"), item["url"]).json()["output"]
    assert [c.split()[0] for c in out["chunks"]] == ["第一章", "第二章", "第三章"]
    # the absolute form of the URL (as the editor shows it) is this server's own file too
    out = run(api, reading(chunk_by="paragraph"), api.url + item["url"]).json()["output"]
    assert out["chunks"][:2] == ["第一章 旧书店", "林舟推开旧书店的门。"]


def test_limits_and_no_chunking(api):
    item = upload(api, "novel.txt", NOVEL.encode())
    out = run(api, reading(limit_chars=10), item["url"]).json()["output"]
    assert out == {"text": NOVEL[:10], "chunks": [NOVEL[:10]], "kind": "txt", "cut": True}


def test_other_urls_and_bad_files_fail_clearly(api):
    resp = run(api, reading(), "http://127.0.0.1:9/book.txt")  # a private address: refused, not fetched
    assert resp.status_code == 400 and resp.json()["code"] == 40001 and "Traceback" not in resp.text
    item = upload(api, "photo.png", bytes.fromhex("89504e470d0a1a0a") + bytes(40))
    resp = run(api, reading(), item["url"])
    assert resp.json()["code"] == 40001 and "not a document" in resp.json()["message"]


def test_only_real_docx_and_epub_zips_are_accepted_uploads(api):
    c = signed_in(api)
    for name, members in [
        ("fake.docx", {"word/other.xml": "x"}),
        ("fake.epub", {"mimetype": "application/zip"}),
        ("plain.zip", {"a.txt": "a"}),
    ]:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for member, text in members.items():
                z.writestr(member, text)
        body = error(c.post("/files", files={"file": (name, out.getvalue(), DOCX)}), 400, 40002)
        assert "docx" in body["message"] and "EPUB" in body["message"]
    assert data(c.get("/files"))["total"] == 0
