"""Validation problems in people's words: a graph issue (``flowai.workflows.graph``) names nodes by
id and fields by config path ("Node 'llm_1': config.prompt names 'input_1'…"); shown to a person,
the ids become the nodes' labels and the paths the fields' labels in the UI language."""

from __future__ import annotations

import re
from typing import Any

from flowai.workflows.checklist import Problem
from nodes import Registry

from .i18n import language, t

_EDGE = re.compile(r"\bEdge \d+ \((?P<a>[\w-]+) -> (?P<b>[\w-]+)\)")
_EDGE_N = re.compile(r"\bEdge (?P<n>\d+)\b")
_NODE = re.compile(r"\b[Nn]ode '(?P<id>[^']+)'")
_QUOTED = re.compile(r"'(?P<id>[^']+)'")
_CONFIG = re.compile(r"\bconfig\.(?P<path>[\w.\[\]]+?)(?=[:\s,;]|$|\.(?:\s|$))")
_DOTTED = re.compile(r"\b(?P<id>[\w-]+)\.(?P<port>[^\s.,;:]+)")


def _nodes(document: Any) -> list[dict]:
    nodes = document.get("nodes") if isinstance(document, dict) else None
    if not isinstance(nodes, list):
        return []
    return [n for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)]


def labels(document: Any, registry: Registry | None = None) -> dict[str, str]:
    """Node id -> what people call it: its label, else its type's title."""
    names: dict[str, str] = {}
    for node in _nodes(document):
        label = node.get("label")
        if not label and registry is not None:
            kind = registry.get(str(node.get("type")))
            label = kind.definition.title.get(language()) if kind is not None else None
        names[node["id"]] = str(label or node["id"])
    return names


def _field_label(document: Any, registry: Registry | None, node_id: str | None, path: str) -> str:
    name = re.split(r"[.\[]", path, maxsplit=1)[0]
    node = next((n for n in _nodes(document) if n["id"] == node_id), None)
    kind = registry.get(str(node.get("type"))) if registry is not None and node else None
    field = kind.definition.all_fields().get(name) if kind is not None else None
    return field.label.get(language()) if field is not None else name.replace("_", " ")


def for_people(issue: dict, document: Any, registry: Registry | None = None) -> str:
    """One issue's message with node labels for ids and field labels for config paths."""
    names = labels(document, registry)
    text = str(issue.get("message") or "")

    def quoted(node_id: str) -> str:
        return t("issues.quoted", name=names.get(node_id, node_id))

    text = _EDGE.sub(lambda m: t("issues.edge_between", a=quoted(m["a"]), b=quoted(m["b"])), text)
    text = _EDGE_N.sub(lambda m: t("issues.edge"), text)
    text = _NODE.sub(lambda m: quoted(m["id"]) if m["id"] in names else m[0], text)
    text = _CONFIG.sub(lambda m: quoted_field(_field_label(document, registry, issue.get("node"), m["path"])), text)
    text = _QUOTED.sub(lambda m: quoted(m["id"]) if m["id"] in names else m[0], text)
    text = _DOTTED.sub(lambda m: f"{quoted(m['id'])} · {m['port']}" if m["id"] in names else m[0], text)
    return text


def field_label(document: Any, registry: Registry | None, node_id: str | None, path: str) -> str:
    """What people call a node's config field (its label in the UI language)."""
    return _field_label(document, registry, node_id, path)


def quoted_field(label: str) -> str:
    return t("issues.field", name=label)


PROVIDERS_PAGE = "/providers"


def checklist_items(problems: list[Problem], document: Any, registry: Registry | None = None) -> list[dict]:
    """The checklist's problems (``flowai.workflows.checklist``) in people's words: ``{node,
    level, code, message, link?}``; a provider problem links to the Providers page."""
    items = []
    for p in problems:
        params: dict[str, str] = {}
        if p.field is not None:
            params["field"] = _field_label(document, registry, p.node, p.field)
        if p.provider is not None:
            params["provider"] = p.provider
        if p.task is not None:
            params["task"] = t(f"issues.check_task_{p.task}")
        item = {"node": p.node, "level": p.level, "code": p.code, "message": t(f"issues.check_{p.code}", **params)}
        if p.code in ("provider_missing", "no_provider"):
            item["link"] = PROVIDERS_PAGE
        items.append(item)
    return items
