"""Media values of runs: bytes a node produced stored as files, and URLs given to nodes fetched.

A stored medium is an ordinary file row (so it shows in ``/api/v1/files``) served by a signed
URL. Loading accepts the server's own signed ``/files/`` URLs, ``data:`` URIs, and public
http(s) URLs: those pass the SSRF check (``flowai.net.netcheck``) and a size cap while streaming.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
from urllib.parse import parse_qs, urlsplit

import httpx

from flowai.errors import InputError, TooLargeError
from flowai.media.files import Files, sniff
from flowai.net.web import WebClient
from flowai.providers.base import Media

_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w-]+=[^;,]*)*;base64,(.*)$", re.S)
_FILES_PATH = re.compile(r"^/files/([0-9a-f]{32})$")
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "audio/ogg": ".ogg",
    "audio/flac": ".flac",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "image/svg+xml": ".svg",
}


class MediaFiles:
    def __init__(
        self, files: Files, client: httpx.AsyncClient, *, allow_private: bool = False, max_bytes: int | None = None
    ):
        self.files = files
        self.max_bytes = max_bytes or files.max_bytes
        self.web = WebClient(client, allow_private=allow_private, max_bytes=self.max_bytes)

    async def save(self, media: Media, *, owner_id: int | None, name: str | None = None) -> str:
        if owner_id is None:
            raise InputError("Media can only be stored for a run of a saved workflow.")
        name = name or "output" + EXTENSIONS.get(media.content_type, "")
        row = await asyncio.to_thread(self.files.save, owner_id=owner_id, name=name, data=media.data)
        return self.files.signed_url(row.id).url

    async def load(self, url: str, *, owner_id: int | None, kind: str | None = None) -> Media:
        """The media behind ``url``; with ``kind`` ("image", "audio", ...), a 400 unless its bytes
        are of that kind (decided from the bytes, not from a declared type)."""
        media = await self._load(url, owner_id=owner_id)
        if kind is not None:
            actual = sniff(media.data[:64])
            if actual is None or not actual.startswith(kind + "/"):
                article = "an" if kind[0] in "aeiou" else "a"
                raise InputError(f"The {kind} input is not {article} {kind} ({actual or 'unknown content'}).")
            media = Media(media.data, actual)
        return media

    async def _load(self, url: str, *, owner_id: int | None) -> Media:
        if not isinstance(url, str) or not url:
            raise InputError("A media input must be a URL.")
        if url.startswith("data:"):
            return from_data_uri(url, self.max_bytes)
        parts = urlsplit(url)
        own = _FILES_PATH.match(parts.path or "")
        if own and (not parts.scheme or parts.hostname in (None, "")):
            query = parse_qs(parts.query)
            row, path = self.files.open_signed(
                own.group(1), (query.get("exp") or [None])[0], (query.get("sig") or [None])[0]
            )
            return Media(await asyncio.to_thread(path.read_bytes), row.type)
        resp = await self.web.request("GET", url, what="media URL")
        if resp.status >= 400:
            raise InputError(f"Fetching the media URL answered HTTP {resp.status}.")
        return Media(resp.body, sniff(resp.body[:64]) or resp.content_type or "application/octet-stream")


def from_data_uri(uri: str, max_bytes: int) -> Media:
    m = _DATA_URI.match(uri)
    if not m:
        raise InputError("A data: URI must be base64-encoded (data:<type>;base64,...).")
    if len(m.group(3)) * 3 // 4 > max_bytes:
        raise TooLargeError(f"The data: URI is over {max_bytes} bytes.")
    try:
        data = base64.b64decode(m.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("The data: URI is not valid base64.") from None
    return Media(data, m.group(1) or sniff(data[:64]) or "application/octet-stream")
