"""Uploaded files: stored under ``media_dir/uploads`` by a server-made id, typed by their bytes.

- The type is decided from the content (magic bytes; UTF-8 text for .txt/.md/.csv/.json),
  never from the client's Content-Type or filename alone. Allowed: images (png, jpeg, gif,
  webp), audio (mp3, wav, ogg, flac, m4a), video (mp4, webm), UTF-8 text, PDF, Word (.docx) and
  EPUB documents (a zip whose parts say so). Anything else: 40002.
- Media a node *generated* (stored through ``flowai.media.store``, ``generated=True``) may also be
  SVG (``image/svg+xml``: UTF-8 text whose first element is ``<svg``) or binary glTF
  (``model/gltf-binary``: the ``glTF`` magic); people cannot upload those. Every file is served
  with ``X-Content-Type-Options: nosniff`` and ``Content-Security-Policy: default-src 'none'; sandbox``,
  so an SVG opened from its URL runs no script and loads nothing.
- The size limit is checked on every chunk written, so an upload over it stops at the limit
  (40003) and its partial file is removed.
- Files (0600) and their folders (0700) are readable by the server's user only.
- The disk name is a random hex id; the client's filename is only metadata (its path part is
  dropped), so ``../`` in it has no effect. Reads go only through ids matching ``[0-9a-f]{32}``.
- Files are served by signed, expiring URLs (``/files/<id>?exp=<unix>&sig=<hmac>``, HMAC-SHA256
  under a key derived from the server secret), so a URL can be handed to a workflow input.
"""

from __future__ import annotations

import codecs
import hashlib
import hmac
import os
import re
import secrets
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy.engine import Engine

from flowai.errors import FlowAIError, InputError, NotFoundError, TooLargeError
from flowai.mediatypes import EXTENSIONS, sniff
from storage import queries
from storage.db import session
from storage.models import StoredFile

URL_TTL = 7 * 24 * 3600  # seconds a signed file URL stays valid
FILE_ID = re.compile(r"^[0-9a-f]{32}$")
HEAD_BYTES = 64  # what the magic-byte checks look at
SVG_HEAD_BYTES = 4096  # what the SVG check of generated media looks at (XML declaration, comments, doctype)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # not text (tab, newlines, form feed are fine)
TEXT_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".json": "application/json",
    "": "text/plain",
}
ZIP = b"PK\x03\x04"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_SVG_PROLOG = re.compile(  # whitespace, an XML declaration, comments and a doctype, then the <svg> element
    r"^(?:\s|<\?xml[^>]{0,500}\?>|<!--(?:[^-]|-(?!->)){0,2000}-->|<!DOCTYPE\s+svg[^>]{0,1000}>)*<svg[\s>/]", re.S
)
EPUB = "application/epub+zip"


class UnsupportedFileError(FlowAIError):
    code, status = 40002, 400


class StorageError(FlowAIError):
    code, status = 50003, 500


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: int  # unix seconds


UNSUPPORTED = (
    "Unsupported file format; upload an image (png, jpeg, gif, webp), audio (mp3, wav, ogg, flac, m4a), "
    "video (mp4, webm), UTF-8 text (.txt, .md, .csv, .json), a PDF, a Word document (.docx) or an EPUB."
)


def zip_document_type(path: Path) -> str | None:
    """DOCX or EPUB for a zip file that is one (read from its directory, not unpacked); else None."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if "mimetype" in names and z.getinfo("mimetype").file_size < 64:
                if z.read("mimetype").strip() == EPUB.encode():
                    return EPUB
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, NotImplementedError):
        return None
    return None


def sniff_generated(head: bytes) -> str | None:
    """SVG or binary glTF, which only generated media may be (``head``: the first 4 KiB)."""
    if head[:4] == b"glTF" and int.from_bytes(head[4:8], "little") == 2:
        return "model/gltf-binary"
    text = head.decode("utf-8", "ignore").lstrip("\ufeff")
    if _SVG_PROLOG.match(text):
        return "image/svg+xml"
    return None


def _m4a(head: bytes) -> bool:
    size = int.from_bytes(head[:4], "big")
    box = head[8 : max(16, min(size, len(head)))]
    brands = [box[i : i + 4] for i in range(0, len(box) - 3, 4)]
    return any(b in (b"M4A ", b"M4B ") for b in brands)


def _named_for(name: str, mime: str) -> str:
    """A generated file's name with the extension of the type its bytes have (``out-0.webp`` holding a
    PNG becomes ``out-0.png``); unchanged when the type has no known extension."""
    ext = EXTENSIONS.get(mime)
    stem, current = os.path.splitext(name)
    if ext is None or current.lower() == ext or (ext == ".jpg" and current.lower() == ".jpeg"):
        return name
    return (stem or "output") + ext


def display_name(name: str | None) -> str:
    """The client's filename as metadata: no directories, no control characters, at most 255 chars."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _CONTROL.sub("", base).strip().lstrip(".") or "upload"
    return base[-255:]


class Upload:
    """One upload being written: ``write`` chunks (limit checked each time), then ``finish``."""

    def __init__(
        self, files: Files, owner_id: int, name: str | None, *, generated: bool = False, max_bytes: int | None = None
    ):
        self.files, self.owner_id, self.name = files, owner_id, display_name(name)
        self.generated = generated
        self.max_bytes = max_bytes or files.max_bytes
        self.id = secrets.token_hex(16)
        self.size = 0
        self.head = b""
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._text = True
        self._bom = False
        self.tmp = files.upload_dir / f".part-{self.id}"
        try:
            files.upload_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # media: the owner's only
            files.upload_dir.mkdir(mode=0o700, exist_ok=True)
            self._f = os.fdopen(os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        except OSError as exc:
            raise StorageError("The file could not be stored.") from exc

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.max_bytes:
            what = "the limit for generated media" if self.generated else "the upload limit"
            raise TooLargeError(
                f"The file is larger than {what} of {self.max_bytes} bytes.", detail={"limit": self.max_bytes}
            )
        keep = SVG_HEAD_BYTES if self.generated else HEAD_BYTES
        if len(self.head) < keep:
            self.head += data[: keep - len(self.head)]
        if self._text:
            self._check_text(data, final=False)
        try:
            self._f.write(data)
        except OSError as exc:
            raise StorageError("The file could not be stored.") from exc

    def _check_text(self, data: bytes, *, final: bool) -> None:
        try:
            text = self._utf8.decode(data, final=final)
        except UnicodeDecodeError:
            self._text = False
            return
        if _CONTROL.search(text):
            self._text = False

    def finish(self) -> StoredFile:
        """Decide the type from the bytes, then keep the file and record it (or refuse it)."""
        self._f.close()
        if self.size == 0:
            raise InputError("The uploaded file is empty.")
        mime = sniff(self.head[:HEAD_BYTES])
        if mime is None and self.generated:
            mime = sniff_generated(self.head)
            if mime == "image/svg+xml":
                self._check_text(b"", final=True)
                if not self._text:
                    raise UnsupportedFileError("The SVG is not UTF-8 text.", detail={"name": self.name})
        if mime is None and self.head.startswith(ZIP):
            mime = zip_document_type(self.tmp)
            if mime is None:
                raise UnsupportedFileError(UNSUPPORTED, detail={"name": self.name})
        if mime is None:
            mime = self._text_type()
        if self.generated:
            self.name = _named_for(self.name, mime)
        path = self.files.upload_dir / self.id
        try:
            os.replace(self.tmp, path)
            with session(self.files.db) as s:
                row = queries.create_file(
                    s, file_id=self.id, owner_id=self.owner_id, name=self.name, type=mime, size=self.size
                )
                s.commit()
        except Exception as exc:
            path.unlink(missing_ok=True)
            raise StorageError("The file could not be stored.") from exc
        return row

    def _text_type(self) -> str:
        self._check_text(b"", final=True)
        ext = os.path.splitext(self.name)[1].lower()
        mime = TEXT_TYPES.get(ext)
        if not self._text or mime is None:
            raise UnsupportedFileError(UNSUPPORTED, detail={"name": self.name})
        if mime == "application/json":
            try:
                orjson.loads(self.tmp.read_bytes())
            except orjson.JSONDecodeError:
                raise UnsupportedFileError("The .json file is not valid JSON.", detail={"name": self.name}) from None
        return mime

    def discard(self) -> None:
        self._f.close()
        self.tmp.unlink(missing_ok=True)


class Files:
    def __init__(self, db: Engine, media_dir: Path, secret: str, *, max_bytes: int, url_ttl: int = URL_TTL):
        self.db = db
        self.upload_dir = Path(media_dir) / "uploads"
        self.max_bytes = max_bytes
        self.url_ttl = url_ttl
        self._key = hmac.new(secret.encode(), b"file-urls", hashlib.sha256).digest()

    # writing ------------------------------------------------------------------------------
    def upload(
        self, *, owner_id: int, name: str | None, generated: bool = False, max_bytes: int | None = None
    ) -> Upload:
        """Start an upload; the caller writes chunks, then ``finish()`` (or ``discard()`` on error).
        ``generated``: a node's output (SVG and GLB allowed), within ``max_bytes`` (default: the upload limit)."""
        return Upload(self, owner_id, name, generated=generated, max_bytes=max_bytes)

    def save(
        self, *, owner_id: int, name: str | None, data: bytes, generated: bool = False, max_bytes: int | None = None
    ) -> StoredFile:
        """Store bytes already in memory (same checks as an upload)."""
        up = self.upload(owner_id=owner_id, name=name, generated=generated, max_bytes=max_bytes)
        try:
            up.write(data)
            return up.finish()
        finally:
            up.discard()

    def delete(self, file_id: str) -> None:
        with session(self.db) as s:
            queries.delete_file(s, file_id=file_id)
            s.commit()
        self.path(file_id).unlink(missing_ok=True)

    # reading ------------------------------------------------------------------------------
    def get(self, file_id: str) -> StoredFile | None:
        if not FILE_ID.match(file_id or ""):
            return None
        with session(self.db) as s:
            return queries.get_file(s, file_id=file_id)

    def page(self, *, owner_id: int, offset: int = 0, limit: int = 20) -> tuple[list[StoredFile], int]:
        with session(self.db) as s:
            return queries.page_files(s, owner_id=owner_id, offset=offset, limit=limit)

    def path(self, file_id: str) -> Path:
        """The disk path of a file id; only well-formed ids, always inside the upload directory."""
        if not FILE_ID.match(file_id or ""):
            raise NotFoundError("File not found.")
        return self.upload_dir / file_id

    # signed URLs --------------------------------------------------------------------------
    def signed_url(self, file_id: str, *, now: float | None = None) -> SignedUrl:
        exp = int(now if now is not None else time.time()) + self.url_ttl
        return SignedUrl(f"/files/{file_id}?exp={exp}&sig={self._sign(file_id, exp)}", exp)

    def verify(self, file_id: str, exp: str | None, sig: str | None) -> bool:
        """True when ``sig`` signs ``file_id`` until ``exp`` and ``exp`` has not passed."""
        if not (exp and sig and exp.isdigit() and len(exp) <= 12 and FILE_ID.match(file_id or "")):
            return False
        if int(exp) < time.time():
            return False
        return hmac.compare_digest(self._sign(file_id, int(exp)), sig)

    def _sign(self, file_id: str, exp: int) -> str:
        return hmac.new(self._key, f"{file_id}.{exp}".encode(), hashlib.sha256).hexdigest()

    def open_signed(self, file_id: str, exp: str | None, sig: str | None) -> tuple[StoredFile, Path]:
        """The record and path behind a signed URL; NotFoundError for anything not valid."""
        if not self.verify(file_id, exp, sig):
            raise NotFoundError("File not found, or its link is invalid or has expired.")
        row = self.get(file_id)
        path = self.path(file_id)
        if row is None or not path.is_file() or path.is_symlink():
            raise NotFoundError("File not found, or its link is invalid or has expired.")
        return row, path
