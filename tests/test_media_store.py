"""Media values given to nodes (flowai/media/store.py): own signed file URLs, data: URIs, and public
URLs behind the SSRF check — private, loopback, link-local and internal names are refused."""

from __future__ import annotations

import base64
import hashlib
import time

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from flowai.errors import InputError, NotFoundError, TooLargeError
from flowai.media.store import MediaFiles
from flowai.providers.base import Media
from tests.conftest import ThreadServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


@pytest.fixture
async def store(platform):
    async with httpx.AsyncClient() as client:
        yield MediaFiles(platform.files, client), platform


async def test_saved_media_round_trips_through_its_signed_url(store):
    media, platform = store
    owner = platform.users.acting_admin().id
    url = await media.save(Media(PNG, "image/png"), owner_id=owner)
    assert url.startswith("/files/") and "sig=" in url
    got = await media.load(url, owner_id=owner)
    assert got == Media(PNG, "image/png")
    with pytest.raises(NotFoundError):
        await media.load(url.replace("sig=", "sig=0"), owner_id=owner)


async def test_content_hash_is_the_owners_file_bytes_whatever_the_signature(store):
    media, platform = store
    owner = platform.users.acting_admin().id
    url = await media.save(Media(PNG, "image/png"), owner_id=owner)
    same = await media.save(Media(PNG, "image/png"), owner_id=owner)
    digest = hashlib.sha256(PNG).hexdigest()
    assert await media.content_hash(url, owner_id=owner) == digest
    assert await media.content_hash(same, owner_id=owner) == digest  # another file, the same bytes
    file_id = url.split("?")[0].rsplit("/", 1)[1]
    resigned = platform.files.signed_url(file_id, now=time.time() + 30).url
    assert resigned != url and await media.content_hash(resigned, owner_id=owner) == digest
    other = await media.save(Media(PNG + b"x", "image/png"), owner_id=owner)
    assert await media.content_hash(other, owner_id=owner) == hashlib.sha256(PNG + b"x").hexdigest()
    someone = platform.users.create(username="someone", password="a-long-password").id
    for not_ours in (
        url.replace("sig=", "sig=0"),  # a forged link
        "data:image/png;base64," + base64.b64encode(PNG).decode(),
        "https://example.com/files/x.png",
    ):
        assert await media.content_hash(not_ours, owner_id=owner) is None
    assert await media.content_hash(url, owner_id=someone) is None  # not their file


async def test_data_uris(store):
    media, _ = store
    got = await media.load("data:image/png;base64," + base64.b64encode(PNG).decode(), owner_id=1)
    assert got.data == PNG and got.content_type == "image/png"
    for bad in ("data:image/png,notbase64", "data:image/png;base64,@@@"):
        with pytest.raises(InputError):
            await media.load(bad, owner_id=1)
    huge = "data:image/png;base64," + "A" * (media.max_bytes * 2)
    with pytest.raises(TooLargeError):
        await media.load(huge, owner_id=1)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x.png",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/x",
        "http://localhost/x",
        "http://0x7f.1/x",
        "http://10.0.0.1/x",
        "http://[::ffff:127.0.0.1]/x",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "ftp://example.com/x",
        "/etc/passwd",
        "../../secret.key",
        "http:///x",
    ],
)
async def test_private_and_odd_targets_are_refused(store, url):
    media, _ = store
    with pytest.raises((InputError, NotFoundError)):
        await media.load(url, owner_id=1)


async def test_allowed_private_fetch_is_size_capped_and_typed_by_its_bytes(platform):
    big = bytes(64)

    async def small(request):
        return Response(PNG, media_type="application/octet-stream")

    async def huge(request):
        return Response(big * 1000, media_type="image/png")

    async def missing(request):
        return Response("no", status_code=404)

    app = Starlette(routes=[Route("/small", small), Route("/huge", huge), Route("/missing", missing)])
    with ThreadServer(app) as server:
        async with httpx.AsyncClient() as client:
            media = MediaFiles(platform.files, client, allow_private=True, max_bytes=10_000)
            got = await media.load(f"{server.url}/small", owner_id=1)
            assert got.content_type == "image/png" and got.data == PNG
            with pytest.raises(TooLargeError):
                await media.load(f"{server.url}/huge", owner_id=1)
            with pytest.raises(InputError, match="404"):
                await media.load(f"{server.url}/missing", owner_id=1)
            refused = MediaFiles(platform.files, client)
            with pytest.raises(InputError, match="private"):
                await refused.load(f"{server.url}/small", owner_id=1)
