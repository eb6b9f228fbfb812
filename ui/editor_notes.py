"""Sticky notes on the canvas, as data: the document's optional ``notes`` list.

Each note is ``{"id", "text", "position": {x, y}, "size": {width, height}}`` (docs/graph-format.md,
"Notes"); runs ignore them. Plain functions over a ``flowai/1`` document (no NiceGUI); the draft
(``ui.editor_model``) calls them inside its undo steps. The ``notes`` key is dropped again when the
last note goes, so a document that never had notes keeps its shape.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SIZE = {"width": 220, "height": 140}
MIN_SIZE = {"width": 40, "height": 30}
MAX_SIZE = 4000
MAX_TEXT = 10_000


def notes(doc: dict) -> list[dict]:
    return [n for n in doc.get("notes") or [] if isinstance(n, dict)]


def find(doc: dict, note_id: str) -> dict | None:
    return next((n for n in notes(doc) if n.get("id") == note_id), None)


def new_id(doc: dict) -> str:
    taken = {n.get("id") for n in notes(doc)}
    k = 1
    while f"note_{k}" in taken:
        k += 1
    return f"note_{k}"


def point(value: Any) -> dict[str, float]:
    value = value if isinstance(value, dict) else {}
    return {"x": round(float(value.get("x", 0) or 0)), "y": round(float(value.get("y", 0) or 0))}


def size(value: Any) -> dict[str, float]:
    value = value if isinstance(value, dict) else {}
    out = {}
    for key in ("width", "height"):
        raw = value.get(key, DEFAULT_SIZE[key])
        number = float(raw) if isinstance(raw, int | float) else DEFAULT_SIZE[key]
        out[key] = round(min(MAX_SIZE, max(MIN_SIZE[key], number)))
    return out


def add(doc: dict, position: Any, text: str = "") -> dict:
    note = {"id": new_id(doc), "text": text[:MAX_TEXT], "position": point(position), "size": dict(DEFAULT_SIZE)}
    doc.setdefault("notes", []).append(note)
    return note


def remove(doc: dict, note_id: str) -> bool:
    kept = [n for n in notes(doc) if n.get("id") != note_id]
    if len(kept) == len(notes(doc)):
        return False
    if kept:
        doc["notes"] = kept
    else:
        doc.pop("notes", None)
    return True


def view(doc: dict) -> list[dict]:
    """The notes the canvas draws."""
    return [
        {
            "id": n["id"],
            "text": str(n.get("text") or ""),
            "position": point(n.get("position")),
            "size": size(n.get("size")),
        }
        for n in notes(doc)
        if isinstance(n.get("id"), str)
    ]
