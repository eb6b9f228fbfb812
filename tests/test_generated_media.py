"""Media a node generated (a Replicate output, a composition) are stored by their sniffed type,
SVG and binary glTF included, within their own limit, and served so that an SVG runs no script;
people still cannot upload SVG or GLB."""

from __future__ import annotations

import struct
from dataclasses import replace

import httpx
import pytest

from flowai.errors import TooLargeError
from flowai.media.files import UnsupportedFileError
from flowai.media.store import MediaFiles
from flowai.providers.base import Media
from tests.conftest import start_api
from tests.manage_client import error, signed_in

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- recraft-v3-svg -->\n'
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script>'
    b'<rect width="10" height="10" fill="red"/></svg>\n'
)


def glb() -> bytes:
    """A minimal binary glTF 2.0: header, then one JSON chunk."""
    doc = b'{"asset":{"version":"2.0"}}  '  # padded to a multiple of 4
    body = struct.pack("<I4s", len(doc), b"JSON") + doc
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


@pytest.fixture
def api(settings):
    server, handle = start_api(replace(settings, max_upload_bytes=1024 * 1024))
    with server:
        yield handle


async def test_svg_and_glb_outputs_are_stored_and_served_safely(api):
    media = api.platform.media
    for data, mime, suffix in [(SVG, "image/svg+xml", ".svg"), (glb(), "model/gltf-binary", ".glb")]:
        # the Replicate node stores its outputs this way; the declared type is not trusted
        url = await media.save(Media(data, "application/octet-stream"), owner_id=api.owner_id)
        row = api.platform.files.get(url.split("?")[0].rsplit("/", 1)[-1])
        assert (row.type, row.name) == (mime, "output" + suffix)  # named for the type of its bytes
        named = await media.save(Media(data, mime), owner_id=api.owner_id)
        assert api.platform.files.get(named.split("?")[0].rsplit("/", 1)[-1]).name == "output" + suffix
        r = httpx.get(api.url + url, timeout=10)
        assert r.status_code == 200 and r.content == data
        assert r.headers["content-type"].split(";")[0] == mime
        assert r.headers["x-content-type-options"] == "nosniff"
        csp = r.headers["content-security-policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp  # an opened SVG runs no script, loads nothing


async def test_what_only_looks_like_svg_or_glb_is_still_refused(api):
    media = api.platform.media
    for data in [
        b"<html><body><svg></svg></body></html>",
        b"<svgx/>",
        b"glTF" + struct.pack("<II", 1, 12),  # glTF 1.0 binary: not the format served as model/gltf-binary
        b"<svg>\x00\x01</svg>",
    ]:
        with pytest.raises(UnsupportedFileError):
            await media.save(Media(data, "image/svg+xml"), owner_id=api.owner_id)
    assert api.platform.files.page(owner_id=api.owner_id)[1] == 0


def test_people_cannot_upload_svg_or_glb(api):
    c = signed_in(api)
    for name, data in [("logo.svg", SVG), ("model.glb", glb())]:
        error(c.post("/files", files={"file": (name, data, "image/svg+xml")}), 400, 40002)


async def test_generated_media_have_their_own_size_limit(api, tmp_path):
    files = api.platform.files  # uploads: 1 MiB
    video = tmp_path / "big.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(3 * 1024 * 1024))
    media = MediaFiles(files, api.platform.http, max_bytes=4 * 1024 * 1024)
    url = await media.save_file(video, owner_id=api.owner_id)
    assert files.get(url.split("?")[0].rsplit("/", 1)[-1]).size == video.stat().st_size
    with pytest.raises(TooLargeError, match="limit for generated media of 2097152 bytes"):
        await MediaFiles(files, api.platform.http, max_bytes=2 * 1024 * 1024).save_file(video, owner_id=api.owner_id)
    c = signed_in(api)  # an upload of the same size is over the upload limit
    error(c.post("/files", files={"file": ("big.mp4", video.read_bytes(), "video/mp4")}), 413, 40003)
