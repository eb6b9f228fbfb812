"""Media values of runs: bytes a node produced stored as files, and URLs given to nodes fetched.

A stored medium is an ordinary file row (so it shows in ``/api/v1/files``) served by a signed
URL. Loading accepts the server's own signed ``/files/`` URLs, ``data:`` URIs, and public
http(s) URLs: those pass the SSRF check (``flowai.net.netcheck``) and a size cap while streaming.

Nodes that work on files (ffmpeg) use :meth:`MediaFiles.workspace` (a temporary folder under the
media directory, removed on exit), :meth:`MediaFiles.to_file` (a media reference as a local file
in it; FlowAI's own files are linked or copied on disk, never read into memory) and
:meth:`MediaFiles.save_file` (a result stored by streaming it from disk).

Generated media have their own limit (``max_bytes``: ``FLOWAI_MAX_MEDIA_BYTES``, default 2 GiB), not
the upload limit. :meth:`MediaFiles.save_stream` stores a file a provider returns by URL while it
downloads: chunks go to a temporary file in the media directory, the cap checked on each, and the
file is registered (typed by its bytes) when complete — never held whole in memory. Inputs read
into memory (URL inputs, ``data:`` URIs; also the HTTP node's answers, through ``web``) stay within
the upload limit.
:meth:`MediaFiles.describe` says where one of FlowAI's own files is, for handing it to a provider
(``flowai.mediatypes.LocalMedia``; with ``public_url`` set, an absolute signed URL too).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from flowai.errors import FlowAIError, InputError, NotFoundError
from flowai.media.files import Files
from flowai.mediatypes import EXTENSIONS, LocalMedia, decode_data_uri, sniff
from flowai.net.web import WebClient
from flowai.providers.base import Media

_FILES_PATH = re.compile(r"^/files/([0-9a-f]{32})$")
CHUNK = 1024 * 1024  # bytes per write when a result is streamed from disk into the store
DIGESTS_KEPT = 4096  # content hashes remembered by file id (the node cache's keys)
Writer = Callable[[bytes], Awaitable[None]]


class MediaFiles:
    def __init__(
        self,
        files: Files,
        client: httpx.AsyncClient,
        *,
        allow_private: bool = False,
        max_bytes: int | None = None,
        public_url: str | None = None,
    ):
        self.files = files
        self.max_bytes = max_bytes or files.max_bytes  # one generated file (FLOWAI_MAX_MEDIA_BYTES)
        self.public_url = (public_url or "").rstrip("/") or None  # FLOWAI_PUBLIC_URL
        self.load_max_bytes = min(self.max_bytes, files.max_bytes)  # an input read into memory: the upload limit
        self.web = WebClient(client, allow_private=allow_private, max_bytes=self.load_max_bytes)
        self._digests: dict[str, str] = {}  # file id -> SHA-256 of its bytes (files never change)

    async def save(self, media: Media, *, owner_id: int | None, name: str | None = None) -> str:
        if owner_id is None:
            raise InputError("Media can only be stored for a run of a saved workflow.")
        name = name or "output" + EXTENSIONS.get(media.content_type, "")
        row = await asyncio.to_thread(
            self.files.save, owner_id=owner_id, name=name, data=media.data, generated=True, max_bytes=self.max_bytes
        )
        return self.files.signed_url(row.id).url

    async def save_file(self, path: Path, *, owner_id: int | None, name: str | None = None) -> str:
        """Store a file a node wrote (an ffmpeg result) by streaming it from disk; return its URL."""
        if owner_id is None:
            raise InputError("Media can only be stored for a run of a saved workflow.")
        row = await asyncio.to_thread(self._save_file, Path(path), owner_id, name or "output" + Path(path).suffix)
        return self.files.signed_url(row.id).url

    def _save_file(self, path: Path, owner_id: int, name: str):
        up = self.files.upload(owner_id=owner_id, name=name, generated=True, max_bytes=self.max_bytes)
        try:
            with open(path, "rb") as f:
                while chunk := f.read(CHUNK):
                    up.write(chunk)
            return up.finish()
        finally:
            up.discard()

    async def save_stream(
        self, fetch: Callable[[Writer], Awaitable[object]], *, owner_id: int | None, name: str | None = None
    ) -> str:
        """Store what ``fetch(write)`` writes (a provider's output downloading), chunk by chunk, within
        the generated-media limit; return its URL. Nothing is kept in memory but the current chunk."""
        if owner_id is None:
            raise InputError("Media can only be stored for a run of a saved workflow.")
        up = await asyncio.to_thread(
            self.files.upload, owner_id=owner_id, name=name or "output", generated=True, max_bytes=self.max_bytes
        )
        buffered = bytearray()

        async def write(chunk: bytes) -> None:
            buffered.extend(chunk)
            if len(buffered) >= CHUNK:
                await asyncio.to_thread(up.write, bytes(buffered))
                buffered.clear()

        try:
            await fetch(write)
            if buffered:
                await asyncio.to_thread(up.write, bytes(buffered))
            row = await asyncio.to_thread(up.finish)
        finally:
            await asyncio.to_thread(up.discard)
        return self.files.signed_url(row.id).url

    def describe(self, url: str, *, owner_id: int | None) -> LocalMedia | None:
        """One of FlowAI's own files behind a signed ``/files/`` URL (signature and owner checked),
        for a provider: path, type, size and, with ``public_url``, an absolute signed URL. None for
        any other URL."""
        own = self.local_path(url, owner_id=owner_id)
        if own is None:
            return None
        path, mime = own
        public = None
        if self.public_url:
            public = self.public_url + self.files.signed_url(path.name).url
        return LocalMedia(path, mime, path.stat().st_size, public)

    @contextlib.contextmanager
    def workspace(self) -> Iterator[Path]:
        """A private temporary folder under the media directory, removed with everything in it on exit."""
        root = self.files.upload_dir.parent / "work"
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="run-", dir=root) as folder:
            yield Path(folder)

    def local_path(self, url: str, *, owner_id: int | None) -> tuple[Path, str] | None:
        """The disk path and type of FlowAI's own file behind a signed ``/files/`` URL (None for any
        other URL). The signature must be valid and the file must belong to ``owner_id``."""
        own = self._own(url)
        if own is None:
            return None
        row, path = self.files.open_signed(*own)
        if owner_id is not None and row.owner_id != owner_id:
            raise NotFoundError("File not found, or its link is invalid or has expired.")
        return path, row.type

    async def to_file(self, url: str, folder: Path, *, owner_id: int | None) -> tuple[Path, str]:
        """A media reference as a local file in ``folder`` (a workspace) and its type. FlowAI's own
        files are hard-linked (or copied on disk); ``data:`` URIs and public URLs are written there."""
        if not isinstance(url, str) or not url.strip():
            raise InputError("A media reference must be a URL.")
        url = url.strip()
        own = await asyncio.to_thread(self.local_path, url, owner_id=owner_id)
        if own is not None:
            source, mime = own
            target = folder / (f"in-{os.urandom(6).hex()}" + EXTENSIONS.get(mime, ""))
            await asyncio.to_thread(_link_or_copy, source, target)
            return target, mime
        media = await self.load(url, owner_id=owner_id)
        target = folder / (f"in-{os.urandom(6).hex()}" + EXTENSIONS.get(media.content_type, ""))
        await asyncio.to_thread(target.write_bytes, media.data)
        return target, media.content_type

    async def content_hash(self, url: str, *, owner_id: int | None) -> str | None:
        """The SHA-256 of FlowAI's own file behind a signed ``/files/`` URL (valid signature, the owner's
        file); None for any other URL. A stored file never changes, so its digest is kept by id."""
        try:
            own = await asyncio.to_thread(self.local_path, url, owner_id=owner_id)
        except FlowAIError:
            return None
        if own is None:
            return None
        path = own[0]
        digest = self._digests.get(path.name)
        if digest is None:
            digest = await asyncio.to_thread(_sha256, path)
            if len(self._digests) >= DIGESTS_KEPT:
                self._digests.pop(next(iter(self._digests)))
            self._digests[path.name] = digest
        return digest

    def _own(self, url: str) -> tuple[str, str | None, str | None] | None:
        parts = urlsplit(url)
        own = _FILES_PATH.match(parts.path or "")
        if not own:
            return None
        query = parse_qs(parts.query)
        exp, sig = query.get("exp"), query.get("sig")
        found = own.group(1), exp[0] if exp else None, sig[0] if sig else None
        if parts.scheme and parts.hostname not in (None, "") and not self.files.verify(*found):
            return None  # another server's /files/ URL: fetched like any public URL
        return found  # a relative URL, or an absolute one this server signed (read from disk, no HTTP)

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
            return from_data_uri(url, self.load_max_bytes)
        own = self._own(url)
        if own is not None:
            row, path = self.files.open_signed(*own)
            return Media(await asyncio.to_thread(path.read_bytes), row.type)
        resp = await self.web.request("GET", url, what="media URL")
        if resp.status >= 400:
            raise InputError(f"Fetching the media URL answered HTTP {resp.status}.")
        return Media(resp.body, sniff(resp.body[:64]) or resp.content_type or "application/octet-stream")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def from_data_uri(uri: str, max_bytes: int) -> Media:
    return Media(*decode_data_uri(uri, max_bytes))
