"""The checklist before publishing (Dify's): what a valid graph may still get wrong.

Validation (``flowai.workflows.graph``) refuses graphs that cannot run. A graph that passes may
still do nothing useful: an LLM without a prompt, an output with no value, nodes no wire reaches,
a provider nobody configured. :func:`checklist` finds those, each located on a node:

    >>> checklist(document, registry, providers=Readiness(configured={"openai"}, ready={"text": ["openai"]}))
    [Problem(level='error', code='required', node='llm_1', field='prompt'), ...]

Errors keep the editor from publishing; warnings are shown before confirming. Pure (no I/O):
which providers are configured is passed in (``ProviderAdmin.readiness``), not looked up here.

Codes: ``required`` (a required field empty and no wire feeds it; ``field``), ``not_connected``
(no wire in or out, in a graph of several nodes), ``unreachable`` (no path from an input node),
``provider_missing`` (a pinned provider not configured; ``provider``), ``no_provider`` (``auto``
and no configured provider serves the node's task; ``task``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from nodes import Registry

ERROR: Literal["error"] = "error"
WARNING: Literal["warning"] = "warning"
TASKS = ("text", "multimodal", "image", "tts", "stt")


@dataclass(frozen=True)
class Readiness:
    """Which providers have credentials, and per task the configured ones ``auto`` would use."""

    configured: frozenset[str] | set[str] = frozenset()
    ready: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    level: Literal["error", "warning"]
    code: str
    node: str | None = None
    field: str | None = None
    provider: str | None = None
    task: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def _nodes(document: dict) -> list[dict]:
    return [n for n in document.get("nodes") or [] if isinstance(n, dict) and isinstance(n.get("id"), str)]


def _edges(document: dict, ids: set[str]) -> list[dict]:
    return [
        e
        for e in document.get("edges") or []
        if isinstance(e, dict) and e.get("source") in ids and e.get("target") in ids
    ]


def _fed(impl: Any, edges: list[dict], node_id: str) -> set[str]:
    """The config fields of a node a wire replaces (an edge into the port feeding it)."""
    feeds = {p.name: p.feeds for p in impl.definition.inputs} if impl is not None else {}
    return {
        feeds.get(e["target_port"], e["target_port"]) for e in edges if e["target"] == node_id and e.get("target_port")
    }


def _task(impl: Any, config: dict) -> str | None:
    task = config.get("task")
    if isinstance(task, str) and task in TASKS:
        return task
    if impl.definition.task == "text" and task in (None, "auto") and not _empty(config.get("image")):
        return "multimodal"  # the LLM's own rule: with an image, a multimodal call
    return impl.definition.task


def checklist(document: dict, registry: Registry, *, providers: Readiness | None = None) -> list[Problem]:
    """The problems of ``document``, errors first, each in document order. ``providers`` None:
    the provider checks are skipped."""
    nodes = _nodes(document)
    ids = {n["id"] for n in nodes}
    edges = _edges(document, ids)
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for node in nodes:
        impl = registry.get(str(node.get("type")))
        if impl is None:  # validation reports an unknown type
            continue
        raw = node.get("config")
        config: dict = raw if isinstance(raw, dict) else {}
        fed = _fed(impl, edges, node["id"])
        for name, hint in impl.definition.all_fields().items():
            if hint.required and name not in fed and _empty(config.get(name)):
                errors.append(Problem(ERROR, "required", node["id"], field=name))
        provider_field = next((k for k, h in impl.definition.fields.items() if h.widget == "provider"), None)
        if providers is not None and provider_field is not None and impl.definition.task:
            chosen = config.get(provider_field) or "auto"
            task = _task(impl, config)
            if chosen == "auto":
                if task in TASKS and not providers.ready.get(task):
                    errors.append(Problem(ERROR, "no_provider", node["id"], task=task))
            elif chosen not in providers.configured:
                errors.append(Problem(ERROR, "provider_missing", node["id"], provider=str(chosen)))
    warnings += _connections(nodes, edges, registry)
    return errors + warnings


def _connections(nodes: list[dict], edges: list[dict], registry: Registry) -> list[Problem]:
    """Nodes without a wire, and nodes no path from an input node reaches (a node inside a loop is
    reached with its loop)."""
    if len(nodes) < 2:
        return []
    wired = {e["source"] for e in edges} | {e["target"] for e in edges}
    children: dict[str, list[str]] = {}
    for n in nodes:
        if isinstance(n.get("parent"), str):
            children.setdefault(n["parent"], []).append(n["id"])
    inside = {c for cs in children.values() for c in cs}
    found: list[Problem] = []
    lonely = {n["id"] for n in nodes if n["id"] not in wired and n["id"] not in inside and n["id"] not in children}
    found += [Problem(WARNING, "not_connected", n["id"]) for n in nodes if n["id"] in lonely]
    starts = [n["id"] for n in nodes if n.get("type") == "input"]
    if not starts:
        return found
    after: dict[str, list[str]] = {}
    for e in edges:
        after.setdefault(e["source"], []).append(e["target"])
    reached: set[str] = set()
    todo = list(starts)
    while todo:
        nid = todo.pop()
        if nid in reached:
            continue
        reached.add(nid)
        todo += after.get(nid, []) + children.get(nid, [])
    found += [
        Problem(WARNING, "unreachable", n["id"]) for n in nodes if n["id"] not in reached and n["id"] not in lonely
    ]
    return found
