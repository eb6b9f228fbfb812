"""Media types from bytes: the formats this server recognises by their first bytes, their file
extensions, and ``data:`` URIs. A leaf: provider clients and media storage both use it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path

from flowai.errors import InputError, TooLargeError

_MP3_FRAME = re.compile(rb"^\xff[\xe0-\xff]")
_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w-]+=[^;,]*)*;base64,(.*)$", re.S)

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
    "model/gltf-binary": ".glb",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/epub+zip": ".epub",
}


@dataclass(frozen=True, slots=True)
class LocalMedia:
    """One of FlowAI's own stored files, described for handing it to a provider: its path on disk
    (read by streaming, never whole), type, size, and an absolute signed URL when the server knows
    its public address (``FLOWAI_PUBLIC_URL``), else None."""

    path: Path
    content_type: str
    size: int
    public_url: str | None = None


def data_uri_type(uri: str) -> str | None:
    """The declared type of a base64 ``data:`` URI, else the type sniffed from its first bytes; None
    for anything that is not a base64 data URI."""
    head, _, data = uri.partition(",")
    if not head.startswith("data:") or not head.endswith(";base64"):
        return None
    declared = head[5:].split(";", 1)[0]
    if declared:
        return declared
    try:
        return sniff(base64.b64decode(data[:96]))
    except (binascii.Error, ValueError):
        return None


def sniff(head: bytes) -> str | None:
    """The MIME type of a binary format this server accepts, from the first bytes; else None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (_MP3_FRAME.match(head) and (head[1] >> 1) & 3 == 1):  # MPEG layer III
        return "audio/mpeg"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head[4:8] == b"ftyp":
        return "audio/mp4" if _m4a(head) else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # Matroska / WebM
        return "video/webm"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _m4a(head: bytes) -> bool:
    size = int.from_bytes(head[:4], "big")
    box = head[8 : max(16, min(size, len(head)))]
    brands = [box[i : i + 4] for i in range(0, len(box) - 3, 4)]
    return any(b in (b"M4A ", b"M4B ") for b in brands)


def decode_data_uri(uri: str, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of a base64 ``data:`` URI and their MIME type (declared, else sniffed)."""
    m = _DATA_URI.match(uri)
    if not m:
        raise InputError("A data: URI must be base64-encoded (data:<type>;base64,...).")
    if len(m.group(3)) * 3 // 4 > max_bytes:
        raise TooLargeError(f"The data: URI is over {max_bytes} bytes.")
    try:
        data = base64.b64decode(m.group(3), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("The data: URI is not valid base64.") from None
    return data, m.group(1) or sniff(data[:64]) or "application/octet-stream"
