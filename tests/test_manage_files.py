"""Management API, files over real HTTP: type by content, streamed size limit, signed URLs, no traversal."""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import replace

import httpx
import pytest

from tests.conftest import start_api
from tests.manage_client import client, data, error, other_account, signed_in


def png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


ACCEPTED = [
    ("pixel.png", png(), "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200), "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
    ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24), "image/webp"),
    ("song.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100), "audio/mpeg"),
    ("frames.mp3", b"\xff\xfb\x90\x64" + bytes(400), "audio/mpeg"),
    ("voice.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(24), "audio/wav"),
    ("voice.ogg", b"OggS\x00\x02" + bytes(50), "audio/ogg"),
    ("track.flac", b"fLaC\x00\x00\x00\x22" + bytes(40), "audio/flac"),
    ("memo.m4a", b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A isommp42" + bytes(40), "audio/mp4"),
    ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(40), "video/mp4"),
    ("clip.webm", b"\x1a\x45\xdf\xa3" + bytes(60), "video/webm"),
    ("paper.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf"),
    ("notes.txt", "你好, world\n\ttabbed\r\n".encode(), "text/plain"),
    ("README.md", b"# Title\n\n- item\n", "text/markdown"),
    ("table.csv", b"a,b\n1,2\n", "text/csv"),
    ("data.json", '{"名字": [1, 2, null]}'.encode(), "application/json"),
]

REFUSED = [
    ("tool.exe", b"MZ\x90\x00\x03" + bytes(100), "application/octet-stream"),
    ("fake.png", b"MZ\x90\x00\x03" + bytes(100), "image/png"),  # the declared type is not trusted
    ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),  # text, but not a text file name
    ("page.html", b"<html><body>hi</body></html>", "text/html"),
    ("icon.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml"),
    ("archive.zip", b"PK\x03\x04" + bytes(60), "application/zip"),
    ("latin1.txt", "café".encode("latin-1"), "text/plain"),
    ("nul.txt", b"abc\x00def", "text/plain"),
    ("broken.json", b'{"a": ', "application/json"),
]


def upload(c: httpx.Client, name: str, content: bytes, mime: str = "application/octet-stream", **kw):
    return c.post("/files", files={"file": (name, content, mime)}, **kw)


def leftovers(api) -> list[str]:
    root = api.platform.files.upload_dir
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# --- accepted and refused types ------------------------------------------------------------------


def test_accepted_types_are_decided_from_the_bytes(api):
    c = signed_in(api)
    for name, content, mime in ACCEPTED:
        # the client claims something else: the answer and the served type follow the bytes
        item = data(upload(c, name, content, "application/x-whatever"), 201)
        assert set(item) >= {"id", "url", "name", "type", "size"}
        assert (item["name"], item["type"], item["size"]) == (name, mime, len(content)), name
        r = httpx.get(api.url + item["url"])
        assert r.status_code == 200 and r.content == content, name
        assert r.headers["content-type"].split(";")[0] == mime
        assert r.headers["x-content-type-options"] == "nosniff"


def test_other_types_answer_40002_and_store_nothing(api):
    c = signed_in(api)
    for name, content, mime in REFUSED:
        body = error(upload(c, name, content, mime), 400, 40002)
        assert "Unsupported" in body["message"] or "JSON" in body["message"], name
    assert leftovers(api) == []
    assert data(c.get("/files"))["total"] == 0


def test_an_uploaded_image_url_serves_the_same_bytes(api):
    c = signed_in(api)
    content = png()
    item = data(upload(c, "pixel.png", content, "image/png"), 201)
    assert item["url"].startswith(f"/files/{item['id']}?exp=") and "&sig=" in item["url"]
    assert item["url_expires_at"] > time.time() + 6 * 24 * 3600  # about a week
    r = httpx.get(api.url + item["url"])
    assert r.status_code == 200 and r.content == content and r.headers["content-type"] == "image/png"
    assert 'filename="pixel.png"' in r.headers["content-disposition"]
    assert httpx.head(api.url + item["url"]).status_code == 200
    # the stored file sits in media_dir/uploads under the server-made id
    assert (api.platform.settings.media_dir / "uploads" / item["id"]).read_bytes() == content


# --- malformed uploads ---------------------------------------------------------------------------


def test_malformed_uploads_answer_40001(api):
    c = signed_in(api)
    error(c.post("/files", json={"file": "aGVsbG8="}), 400, 40001)  # not multipart
    error(c.post("/files", content=b"abc", headers={"Content-Type": "multipart/form-data"}), 400, 40001)  # no boundary
    error(c.post("/files", data={"note": "no file"}, files={"other": ("a.txt", b"hi", "text/plain")}), 400, 40001)
    error(upload(c, "empty.txt", b""), 400, 40001)
    two = [("file", ("a.txt", b"one", "text/plain")), ("file", ("b.txt", b"two", "text/plain"))]
    error(c.post("/files", files=two), 400, 40001)
    assert leftovers(api) == [] and data(c.get("/files"))["total"] == 0


def test_upload_needs_a_bearer_token_and_stores_nothing_without_one(api):
    for token in (None, "bad"):
        error(upload(client(api, token), "pixel.png", png()), 401, 40101)
    assert leftovers(api) == []


# --- size limit -----------------------------------------------------------------------------------


@pytest.fixture
def small_api(settings):
    server, handle = start_api(replace(settings, max_upload_bytes=1000))
    with server:
        yield handle


def test_upload_limit_is_exact(small_api):
    c = signed_in(small_api)
    assert data(upload(c, "ok.txt", b"a" * 1000), 201)["size"] == 1000
    body = error(upload(c, "big.txt", b"a" * 1001), 413, 40003)
    assert body["detail"] == {"limit": 1000}
    assert len(leftovers(small_api)) == 1  # only the accepted file


def test_a_huge_streamed_upload_is_stopped_at_the_limit(small_api):
    """No Content-Length (chunked): the server stops reading soon after the limit."""
    c = signed_in(small_api)
    sent = 0
    boundary = "xyzzy"

    def body():
        nonlocal sent
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.txt"\r\n'
            f"Content-Type: text/plain\r\n\r\n"
        ).encode()
        yield head
        block = b"a" * 65536
        for _ in range(2048):  # 128 MiB if it were all read
            sent += len(block)
            yield block
        yield f"\r\n--{boundary}--\r\n".encode()

    r = c.post("/files", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    error(r, 413, 40003)
    assert sent < 16 * 1024 * 1024, sent  # of 128 MiB: the server closed the connection at the limit
    assert leftovers(small_api) == []


def test_a_declared_oversized_upload_is_refused_before_reading(small_api):
    c = signed_in(small_api)
    r = c.post("/files", content=b"x" * 200_000, headers={"Content-Type": "multipart/form-data; boundary=b"})
    error(r, 413, 40003)
    assert leftovers(small_api) == []


# --- names, signatures, traversal -------------------------------------------------------------------


def test_the_client_filename_is_only_metadata(api):
    c = signed_in(api)
    media = api.platform.settings.media_dir
    for name in ("../../evil.png", "..\\..\\evil.png", "/etc/passwd.png", "....//x/../evil.png"):
        item = data(upload(c, name, png(), "image/png"), 201)
        assert item["name"] == "evil.png" or item["name"] == "passwd.png", item["name"]
        assert (media / "uploads" / item["id"]).is_file()
    assert not list(api.platform.settings.home.parent.glob("evil.png"))
    assert not list(api.platform.settings.home.glob("**/evil.png"))
    assert sorted(p.name for p in media.iterdir()) == ["uploads"]


def test_bad_expired_or_foreign_signatures_answer_404(api):
    c = signed_in(api)
    a = data(upload(c, "a.png", png(), "image/png"), 201)
    b = data(upload(c, "b.txt", b"secret text", "text/plain"), 201)
    files = api.platform.files
    _, query = a["url"].split("?")
    exp = query.split("&")[0].split("=")[1]
    past = int(time.time()) - 10
    bad = [
        f"/files/{a['id']}",
        f"/files/{a['id']}?exp={exp}",
        f"/files/{a['id']}?exp={exp}&sig=" + "0" * 64,
        f"/files/{b['id']}?{query}",  # a's signature on b's id
        f"/files/{a['id']}?exp={int(exp) + 1}&sig={query.split('sig=')[1]}",  # extended expiry
        f"/files/{a['id']}?exp={past}&sig={files._sign(a['id'], past)}",  # expired
        f"/files/{a['id']}?exp=-1&sig=x",
        f"/files/{a['id'].upper()}?{query}",
    ]
    for url in bad:
        r = httpx.get(api.url + url)
        assert r.status_code == 404 and r.json()["code"] == 40401, url
        assert r.content != png()


def test_path_traversal_in_the_id_reads_nothing(api):
    signed_in(api)
    files = api.platform.files
    (api.platform.settings.home / "secret.key").write_text("TOP-SECRET")
    exp = int(time.time()) + 60
    for file_id in (
        "../secret.key",
        "..%2Fsecret.key",
        "..%2F..%2Fsecret.key",
        "%2e%2e%2fsecret.key",
        "....%2F%2Fsecret.key",
        "%2Fetc%2Fpasswd",
        "uploads",
        ".",
        "%00",
    ):
        sig = files._sign(file_id, exp)  # even a correct signature for a crafted id is refused
        for url in (f"/files/{file_id}?exp={exp}&sig={sig}", f"/files/{file_id}"):
            r = httpx.get(api.url + url)
            assert r.status_code in (403, 404), (url, r.status_code)
            assert b"TOP-SECRET" not in r.content and b"root:" not in r.content


def test_a_deleted_file_stops_being_served(api):
    c = signed_in(api)
    item = data(upload(c, "a.png", png(), "image/png"), 201)
    assert data(c.delete(f"/files/{item['id']}")) == {"id": item["id"], "deleted": True}
    assert httpx.get(api.url + item["url"]).status_code == 404
    assert leftovers(api) == []
    error(c.get(f"/files/{item['id']}"), 404, 40402)


# --- listing and scoping ----------------------------------------------------------------------------


def test_list_and_get_are_paged_and_scoped(api):
    c = signed_in(api)
    ids = [data(upload(c, f"n{i}.txt", f"note {i}".encode()), 201)["id"] for i in range(3)]
    page = data(c.get("/files", params={"page_size": 2}))
    assert page["total"] == 3 and len(page["items"]) == 2 and page["page"] == 1
    rest = data(c.get("/files", params={"page": 2, "page_size": 2}))["items"]
    assert {i["id"] for i in page["items"] + rest} == set(ids)
    one = data(c.get(f"/files/{ids[0]}"))
    assert one["name"] == "n0.txt" and httpx.get(api.url + one["url"]).content == b"note 0"

    mallory = other_account(api)
    assert data(mallory.get("/files"))["total"] == 0
    error(mallory.get(f"/files/{ids[0]}"), 403, 40301)
    error(mallory.delete(f"/files/{ids[0]}"), 403, 40301)
    error(mallory.get("/files/" + "0" * 32), 404, 40402)
    error(mallory.get("/files/not-an-id"), 404, 40402)
    error(client(api).get("/files"), 401, 40101)
    assert httpx.get(api.url + one["url"]).content == b"note 0"  # untouched
