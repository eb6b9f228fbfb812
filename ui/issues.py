"""Validation problems in people's words: a graph issue (``flowai.workflows.graph``) names nodes by
id and fields by config path ("Node 'llm_1': config.prompt names 'input_1'…"); shown to a person,
the ids become the nodes' labels and the paths the fields' labels in the UI language."""

from __future__ import annotations

import re
from typing import Any

from flowai.providers.catalog import CATALOG
from flowai.workflows.checklist import Problem
from nodes import Registry

from .i18n import has, language, listing, t

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
            params["provider"] = CATALOG[p.provider].title if p.provider in CATALOG else p.provider
        if p.task is not None:
            params["task"] = t(f"issues.check_task_{p.task}")
        item = {"node": p.node, "level": p.level, "code": p.code, "message": t(f"issues.check_{p.code}", **params)}
        if p.code in ("provider_missing", "no_provider"):
            item["link"] = PROVIDERS_PAGE
        items.append(item)
    return items


# A pydantic error type -> the catalog's words for it (issues.config_<words>); others: "invalid".
_CONFIG_KINDS = {
    "missing": "required",
    "greater_than_equal": "at_least",
    "greater_than": "above",
    "less_than_equal": "at_most",
    "less_than": "below",
    "string_too_short": "too_short",
    "too_short": "too_short",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "int_parsing": "whole_number",
    "int_type": "whole_number",
    "int_from_float": "whole_number",
    "float_parsing": "number",
    "float_type": "number",
    "bool_parsing": "yes_no",
    "bool_type": "yes_no",
    "literal_error": "choice",
    "enum": "choice",
    "string_type": "text",
    "extra_forbidden": "unknown",
    "list_type": "shape",
    "dict_type": "shape",
    "model_type": "shape",
    "model_attributes_type": "shape",
}
_LIMITS = ("ge", "gt", "le", "lt", "min_length", "max_length")


def said(issue: dict, document: Any, registry: Registry | None = None) -> str:
    """A validation issue in the UI language, naming fields, nodes and ports as people do: from its
    ``code`` (``flowai.errors.Issue``) when the catalog words it, else its English message with ids
    and config paths replaced (:func:`for_people`). Shown on or beside its node, it does not name
    the node itself."""
    code, params = getattr(issue, "code", None), dict(getattr(issue, "params", {}))
    node = issue.get("node")
    if code == "config":
        label = _field_label(document, registry, node, str(params.get("path", "")))
        words = _CONFIG_KINDS.get(str(params.get("kind")), "invalid")
        ctx = params.get("ctx") or {}
        limit = next((ctx[k] for k in _LIMITS if k in ctx), "")
        limit = f"{limit:g}" if isinstance(limit, float) else limit  # "2", not "2.0"
        return t(f"issues.config_{words}", field=label, limit=limit)
    if code is None or not has(f"issues.graph_{code}"):
        return for_people(issue, document, registry)
    names = labels(document, registry)
    fmt: dict[str, Any] = {k: v for k, v in params.items() if isinstance(v, (str, int))}
    if "nodes" in params:
        fmt["nodes"] = listing(t("issues.quoted", name=names.get(n, n)) for n in params["nodes"])
    for key in ("ref_node", "inner", "outer", "loop"):  # nodes, by the names people gave them
        if key in params:
            fmt[key] = t("issues.quoted", name=names.get(params[key], params[key]))
    for end in ("source", "target"):
        if end in params:
            fmt[end] = t("issues.quoted", name=names.get(params[end], params[end]))
            fmt[f"{end}_port"] = _port_label(document, registry, params[end], params.get(f"{end}_port"), end)
    for key in ("out_type", "in_type"):
        if key in params:
            fmt[key] = t(f"editor.port_type_{params[key]}") if has(f"editor.port_type_{params[key]}") else params[key]
    if "path" in params:
        fmt["field"] = t("issues.quoted", name=_field_label(document, registry, node, str(params["path"])))
    return t(f"issues.graph_{code}", **fmt)


def _port_label(document: Any, registry: Registry | None, node_id: str, port: Any, end: str) -> str:
    node = next((n for n in _nodes(document) if n["id"] == node_id), None)
    kind = registry.get(str(node.get("type"))) if registry is not None and node else None
    title = None
    if kind is not None:
        title = kind.port_title("output", str(port)) or kind.port_title("body", str(port))
        title = title if end == "source" else kind.port_title("input", str(port))
    return t("issues.quoted", name=title.get(language()) if title is not None else port)
