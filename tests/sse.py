"""Parse a raw text/event-stream body into frames, keeping JSON key order for contract checks."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass
class Frame:
    id: str | None
    event: str | None
    data: str | None
    comment: str | None = None

    @property
    def json(self):
        return json.loads(self.data)

    @property
    def keys(self) -> list[str]:
        return [k for k, _ in json.loads(self.data, object_pairs_hook=lambda pairs: pairs)]


def parse(raw: str) -> list[Frame]:
    frames = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        fields: dict[str, str] = {}
        comment = None
        for line in block.split("\n"):
            if line.startswith(":"):
                comment = line[1:].strip()
                continue
            name, _, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        frames.append(Frame(fields.get("id"), fields.get("event"), fields.get("data"), comment))
    return frames
