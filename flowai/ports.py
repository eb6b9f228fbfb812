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
    FILE = "file"
    ANY = "any"


MEDIA = {PortType.IMAGE, PortType.AUDIO, PortType.VIDEO, PortType.FILE}
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
    PortType.FILE: MEDIA,
}


def compatible(source: PortType, target: PortType) -> bool:
    if source == target or PortType.ANY in (source, target):
        return True
    return source in _ACCEPTS.get(target, set())
