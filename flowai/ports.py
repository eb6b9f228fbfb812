"""Port types and which output types an input port accepts."""

from __future__ import annotations

from enum import StrEnum


class PortType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    JSON = "json"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"  # pdf, docx, epub, text files
    MODEL3D = "model3d"  # binary glTF (.glb)
    FILE = "file"  # any media
    ANY = "any"


MEDIA = {PortType.IMAGE, PortType.AUDIO, PortType.VIDEO, PortType.DOCUMENT, PortType.MODEL3D, PortType.FILE}
_SCALARS = {PortType.TEXT, PortType.NUMBER, PortType.BOOLEAN}

# What each input type accepts besides itself and ANY. Text takes scalars (they render as text);
# json takes any non-media value; file takes any media. Media never flows into text silently.
_ACCEPTS: dict[PortType, set[PortType]] = {
    PortType.TEXT: _SCALARS,
    PortType.NUMBER: set(),
    PortType.BOOLEAN: set(),
    PortType.JSON: _SCALARS | {PortType.JSON},
    PortType.IMAGE: set(),
    PortType.AUDIO: set(),
    PortType.VIDEO: set(),
    PortType.DOCUMENT: set(),
    PortType.MODEL3D: set(),
    PortType.FILE: MEDIA,
}


def compatible(source: PortType, target: PortType) -> bool:
    if source == target or PortType.ANY in (source, target):
        return True
    return source in _ACCEPTS.get(target, set())


def media_kind(mime: str | None) -> PortType | None:
    """The media port type of a MIME type (``image/png`` -> image, ``model/gltf-binary`` -> model3d);
    None for what is not media (JSON, unknown bytes)."""
    mime = (mime or "").split(";", 1)[0].strip().lower()
    top = mime.partition("/")[0]
    if top in ("image", "audio", "video"):
        return PortType(top)
    if top == "model":
        return PortType.MODEL3D
    if mime in DOCUMENT_TYPES or (top == "text" and mime != "text/html"):
        return PortType.DOCUMENT
    return None


DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/epub+zip",
    }
)


def accepts_media(port: PortType, mime: str | None) -> bool:
    """Whether a file of type ``mime`` may go into a media port of type ``port`` (``file`` takes any)."""
    if port in (PortType.FILE, PortType.ANY):
        return True
    return media_kind(mime) == port
