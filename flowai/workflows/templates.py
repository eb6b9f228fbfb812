"""Template references in config strings, rendered in one pass.

Two spellings are understood:

- ``{{node_id.port}}`` (optionally ``{{node_id.port.key.0}}`` to reach into JSON values);
- FlowAI's ``$节点名.字段``: a node *label*, a dot, one of that node's ports (or an alias such
  as ``result`` for an LLM's ``text``). It only counts when it names an ancestor's label and a
  port; anything else (``$5.00``) stays literal text.

Rendering scans the template once: a value that is substituted in is never scanned again, so
text arriving from a user or an LLM cannot inject references.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

BRACES = re.compile(r"\{\{\s*([^{}\s.]+)\.([^{}\s]+?)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Ref:
    """A resolved reference: node, port, and an optional path into a JSON value."""

    node: str
    port: str
    path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelIndex:
    """What ``$label.field`` may name for one node: ancestors' labels -> (node id, ports, aliases)."""

    entries: tuple[tuple[str, str, tuple[str, ...], dict], ...]  # (label, node_id, ports, aliases), longest label first

    @classmethod
    def build(cls, items: list[tuple[str, str, list[str], dict]]) -> LabelIndex:
        ordered = sorted(
            (
                (label, nid, tuple(sorted(ports, key=len, reverse=True)), aliases)
                for label, nid, ports, aliases in items
                if label
            ),
            key=lambda e: -len(e[0]),
        )
        return cls(tuple(ordered))

    def match(self, text: str, pos: int) -> tuple[Ref, int] | None:
        """Match ``$label.port`` at ``text[pos] == '$'``; return the ref and the end offset."""
        for label, nid, ports, aliases in self.entries:
            start = pos + 1
            if not text.startswith(label, start) or text[start + len(label) : start + len(label) + 1] != ".":
                continue
            at = start + len(label) + 1
            names = sorted([*ports, *aliases], key=len, reverse=True)
            for name in names:
                if text.startswith(name, at):
                    return Ref(nid, aliases.get(name, name)), at + len(name)
        return None


def brace_refs(template: str) -> list[tuple[str, str]]:
    """The ``(node, port)`` pairs a template names with ``{{...}}`` (for validation)."""
    return [(m.group(1), m.group(2).split(".", 1)[0]) for m in BRACES.finditer(template)]


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


def _dig(value: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and key.lstrip("-").isdigit() and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            return None
    return value


def render(template: str, lookup: Callable[[Ref], Any], labels: LabelIndex | None = None) -> Any:
    """Render ``template`` once. A template that is exactly one reference keeps the value's type."""
    if "{{" not in template and (labels is None or "$" not in template):
        return template
    parts: list[str] = []
    pos, n, literal_from = 0, len(template), 0
    while pos < n:
        ch = template[pos]
        hit: tuple[Ref, int] | None = None
        if ch == "{" and template.startswith("{{", pos):
            m = BRACES.match(template, pos)
            if m:
                port, *path = m.group(2).split(".")
                hit = Ref(m.group(1), port, tuple(path)), m.end()
        elif ch == "$" and labels is not None:
            hit = labels.match(template, pos)
        if hit is None:
            pos += 1
            continue
        ref, end = hit
        value = _dig(lookup(ref), ref.path)
        if literal_from == 0 and pos == 0 and end == n:
            return value  # the whole template is one reference: keep the value's type
        parts.append(template[literal_from:pos])
        parts.append(to_text(value))
        pos = literal_from = end
    parts.append(template[literal_from:])
    return "".join(parts)
