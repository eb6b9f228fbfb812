"""A node type's definition: every fact about it, declared in one place and checked at start-up.

In the spirit of ComfyUI's v3 schema, each node module declares a :class:`NodeDef` — type id,
titles in English and 简体中文, palette group, description, typed ports (each input port naming the
config field it feeds), config fields with people's labels and widget hints, the provider task —
next to its stateless ``run``. The engine reads the plain attributes :class:`nodes.base.Node`
derives from it once, at class creation; the editor builds palette, form and help from it; the node
reference (``docs/nodes.md``) is generated from it. :func:`check` is what the registry runs on
every definition.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from flowai.ports import PortType
from flowai.providers.base import TASKS

LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class Text:
    """A text for people, in English and 简体中文."""

    en: str
    zh: str

    def get(self, language: str) -> str:
        return self.zh if language == "zh" else self.en


T = Text  # short form for definitions

# The palette groups, in palette order.
GROUPS: dict[str, Text] = {
    "inputs": Text("Inputs", "输入"),
    "ai": Text("AI", "AI"),
    "media": Text("Media", "媒体"),
    "logic": Text("Logic", "逻辑"),
    "outputs": Text("Outputs", "输出"),
}

# Widget hints a config field may carry; without one the form picks by the field's type.
Widget = Literal[
    "text",  # one line
    "long_text",  # several lines
    "secret",  # hidden as typed
    "choice",  # one of ``choices`` (an enum's values, labelled)
    "provider",  # "auto" or a provider serving the node's task
    "model",  # a model name, suggesting the task's default models
    "model_params",  # a model's own inputs (a JSON object; the editor can load the model's schema)
]
WIDGETS: frozenset[str] = frozenset(typing.get_args(Widget))
PortKind = Literal["input", "output", "body"]  # a node's ports (a container's body ports are for the nodes inside)


@dataclass(frozen=True)
class FieldDef:
    """How a config field is shown: its label, help and widget. ``items`` labels the fields of a
    list of objects (an input node's fields, a condition's cases); ``choices`` labels enum values.
    ``required``: the node does nothing useful without it (the editor's checklist says so)."""

    label: Text
    help: Text | None = None
    widget: Widget | None = None
    choices: dict[str, Text] | None = None
    items: dict[str, FieldDef] | None = None
    advanced: bool = False
    required: bool = False  # the checklist before publishing flags it when empty and not fed by a wire


@dataclass(frozen=True)
class Port:
    """A typed port. An input port feeds the config field ``field`` (default: its own name): an edge
    into it replaces that field's value. ``title`` is what the canvas shows for it (an output or
    body port must have one; an input port without one shows the label of the field it feeds)."""

    name: str
    type: PortType
    help: Text | None = None
    field: str | None = None
    title: Text | None = None

    @property
    def feeds(self) -> str:
        return self.field or self.name


# Fields every node config has (nodes.base.NodeConfig).
BASE_FIELDS: dict[str, FieldDef] = {
    "timeout": FieldDef(
        T("Timeout (seconds)", "超时（秒）"),
        T("Seconds before this node is stopped", "超过这个秒数即停止本节点"),
        advanced=True,
    ),
    "cache_ttl": FieldDef(
        T("Cache TTL (seconds)", "缓存时长（秒）"),
        T(
            "Seconds an identical call is served from the cache (0 = never; empty = the workflow's setting)",
            "相同调用从缓存返回的秒数（0 = 不缓存；留空 = 用工作流的设置）",
        ),
        advanced=True,
    ),
    "retries": FieldDef(
        T("Retries", "重试次数"),
        T(
            "Extra attempts after a provider, network or timeout failure (not after a config error; empty = 0)",
            "服务商、网络或超时失败后再试的次数（配置错误不重试；留空 = 0）",
        ),
        advanced=True,
    ),
    "retry_backoff": FieldDef(
        T("Retry backoff (seconds)", "重试间隔（秒）"),
        T(
            "Seconds before the first retry, doubled for each further one, at most 60 s (empty = 1)",
            "第一次重试前等待的秒数，之后每次加倍，最多 60 秒（留空 = 1）",
        ),
        advanced=True,
    ),
}


ConfigModel = type[BaseModel]  # (an alias: NodeDef's field ``type`` shadows the builtin inside the class)


@dataclass(frozen=True)
class NodeDef:
    """Everything about one node type except its ``run``."""

    type: str
    title: Text
    group: str
    description: Text
    config: ConfigModel
    fields: dict[str, FieldDef] = field(default_factory=dict)
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    task: str | None = None  # the provider task whose providers and models the form offers
    dynamic_outputs: Text | None = None  # outputs that come from the config (described for people)
    aliases: dict[str, str] = field(default_factory=dict)  # extra port names for $label.field references
    templated: bool = True  # string config values are rendered as templates
    cacheable: bool = False  # outputs depend only on the rendered config (safe to cache)
    streams: bool = False  # emits text deltas
    starter: dict[str, Any] = field(default_factory=dict)  # config of a node just added (over the defaults)
    summary: tuple[str, ...] = ()  # config fields shown on the node's card, first non-empty wins
    body: tuple[Port, ...] = ()  # a container's ports for the nodes inside it (a loop's item, index)
    body_fields: tuple[str, ...] = ()  # config fields rendered per item over the body's nodes, not before the run

    def all_fields(self) -> dict[str, FieldDef]:
        """The config fields' definitions, the base ones (timeout, cache) included, in form order."""
        return {**self.fields, **BASE_FIELDS}

    def port_title(self, kind: PortKind, name: str) -> Text | None:
        """What people call a declared port: its title, else (an input port) the label of the field
        it feeds; None for a port the definition does not declare (one from the config)."""
        ports = {"input": self.inputs, "output": self.outputs, "body": self.body}[kind]
        port = next((p for p in ports if p.name == name), None)
        if port is None:
            return None
        if port.title is None and kind == "input":
            hint = self.all_fields().get(port.feeds)
            return hint.label if hint is not None else None
        return port.title


class DefinitionError(ValueError):
    """A node definition that the registry refuses (raised at start-up)."""


_TYPE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def check(definition: NodeDef) -> None:
    """Raise DefinitionError naming the first problems of ``definition``."""
    problems = list(_problems(definition))
    if problems:
        raise DefinitionError(f"node type {definition.type!r}: " + "; ".join(problems))


def _problems(d: NodeDef) -> typing.Iterator[str]:
    if not isinstance(d.type, str) or not _TYPE_ID.match(d.type):
        yield "the type id must be lower-case letters, digits and '_', starting with a letter"
    yield from _text_problems("title", d.title)
    yield from _text_problems("description", d.description)
    if d.group not in GROUPS:
        yield f"unknown palette group {d.group!r} (groups: {', '.join(GROUPS)})"
    if d.task is not None and d.task not in TASKS:
        yield f"unknown provider task {d.task!r} (tasks: {', '.join(TASKS)})"
    model_fields = d.config.model_fields
    for kind, ports in (("input", d.inputs), ("output", d.outputs), ("body", d.body)):
        names = [p.name for p in ports]
        for name in sorted({n for n in names if names.count(n) > 1}):
            yield f"duplicate {kind} port {name!r}"
        for p in ports:
            if not isinstance(p.type, PortType):
                yield f"{kind} port {p.name!r} has no port type"
            if p.help is not None:
                yield from _text_problems(f"help of {kind} port {p.name!r}", p.help)
            if p.title is not None or kind != "input":  # an input port may go by its field's label
                yield from _text_problems(f"title of {kind} port {p.name!r}", p.title)
    fed: dict[str, str] = {}
    for p in d.inputs:
        if p.feeds not in model_fields:
            yield f"input port {p.name!r} names no config field ({p.feeds!r})"
        elif p.feeds in fed:
            yield f"input ports {fed[p.feeds]!r} and {p.name!r} feed the same config field {p.feeds!r}"
        fed.setdefault(p.feeds, p.name)
    outputs = {p.name for p in d.outputs}
    for alias, target in d.aliases.items():
        if target not in outputs:
            yield f"alias {alias!r} names no output port ({target!r})"
    if d.dynamic_outputs is not None:
        yield from _text_problems("dynamic_outputs", d.dynamic_outputs)
    yield from _field_problems("", d.config, d.all_fields())
    for name in d.body_fields:
        if name not in model_fields:
            yield f"body field {name!r} names no config field"
    for name in d.summary:
        if name not in model_fields:
            yield f"summary names no config field ({name!r})"
    try:
        d.config.model_validate(d.starter) if d.starter else None
    except ValidationError as exc:
        yield f"the starter config is invalid: {exc.errors()[0]['msg']}"


def _field_problems(where: str, model: type[BaseModel], defs: dict[str, FieldDef]) -> typing.Iterator[str]:
    for name in model.model_fields:
        if name not in defs:
            yield f"config field {where}{name!r} has no definition (label in {' and '.join(LANGUAGES)})"
    for name, f in defs.items():
        info = model.model_fields.get(name)
        if info is None:
            yield f"field definition {where}{name!r} names no config field"
            continue
        yield from _text_problems(f"label of {where}{name!r}", f.label)
        if f.help is not None:
            yield from _text_problems(f"help of {where}{name!r}", f.help)
        if f.widget is not None and f.widget not in WIDGETS:
            yield f"field {where}{name!r} has an unknown widget {f.widget!r}"
        if f.choices is not None:
            allowed = _enum_values(info.annotation)
            for value, text in f.choices.items():
                if value not in allowed:
                    yield f"choice {value!r} of {where}{name!r} is not one of its values"
                yield from _text_problems(f"choice {value!r} of {where}{name!r}", text)
        item = item_model(info.annotation)
        if item is not None:
            yield from _field_problems(f"{where}{name}.", item, f.items or {})
        elif f.items:
            yield f"field {where}{name!r} has item definitions but is not a list of objects"


def _text_problems(what: str, text: Any) -> typing.Iterator[str]:
    if not isinstance(text, Text):
        yield f"{what} must be a Text(en, zh)"
        return
    for lang in LANGUAGES:
        if not isinstance(getattr(text, lang), str) or not getattr(text, lang).strip():
            yield f"{what} has no {lang} translation"


def _enum_values(annotation: Any) -> set[Any]:
    """The values a Literal annotation (possibly optional) allows."""
    if typing.get_origin(annotation) is Literal:
        return set(typing.get_args(annotation))
    return {v for arg in typing.get_args(annotation) for v in _enum_values(arg)}


def item_model(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``list[SomeModel]`` field, else None."""
    if typing.get_origin(annotation) is list:
        (arg,) = typing.get_args(annotation) or (None,)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None
