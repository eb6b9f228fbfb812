"""The json node: one value picked from JSON (an LLM's shot list, an HTTP answer) by a path.

``value`` is a JSON value or JSON text (a Markdown code fence around it, as LLMs write, is
removed). ``path`` names what to pick: ``shots[0].prompt``, ``meta.title``, ``[-1]``, or with
``[*]`` every element of a list (``shots[*].prompt`` is the list of the shots' prompts; elements
without the rest of the path are left out). An empty path picks the whole value. When the path
leads nowhere, the output is ``default``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.workflows.templates import to_text

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

MAX_PATH = 500
_STEP = re.compile(r"\.?([^.\[\]\s]+)|\[(\*|-?\d+)\]|\[\"([^\"]*)\"\]|\['([^']*)'\]")
_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n\s*```\s*$", re.S)
_MISSING = object()
WILDCARD = object()


class JsonConfig(NodeConfig):
    value: Any = None
    path: str = Field(default="", max_length=MAX_PATH)
    default: Any = None


class JsonNode(Node):
    definition = NodeDef(
        type="json",
        title=T("Pick from JSON", "JSON 取值"),
        group="logic",
        description=T(
            "Picks a value from JSON or JSON text by a path such as shots[0].prompt, or shots[*].prompt for a list.",
            "按路径从 JSON 或 JSON 文本中取值，例如 shots[0].prompt；shots[*].prompt 取出列表。",
        ),
        config=JsonConfig,
        fields={
            "value": FieldDef(
                T("JSON", "JSON"),
                T("A JSON value or JSON text, e.g. {{llm.text}}", "JSON 值或 JSON 文本，例如 {{llm.text}}"),
                widget="long_text",
            ),
            "path": FieldDef(
                T("Path", "路径"),
                T(
                    "e.g. shots[0].prompt, meta.title, [-1]; [*] takes every element; empty: the whole value",
                    "例如 shots[0].prompt、meta.title、[-1]；[*] 取每个元素；留空：整个值",
                ),
            ),
            "default": FieldDef(
                T("Default", "默认值"), T("The output when the path leads nowhere", "路径取不到值时的输出")
            ),
        },
        inputs=(Port("value", PortType.JSON),),
        outputs=(
            Port("value", PortType.JSON, T("The picked value", "取到的值"), title=T("Value", "值")),
            Port("text", PortType.TEXT, T("The picked value as text", "取到的值（文本）"), title=T("As text", "文本")),
        ),
        summary=("path",),
    )

    async def run(self, ctx, config: JsonConfig) -> dict[str, Any]:
        data = parse_json(config.value)
        steps = parse_path(config.path)
        found = pick(data, steps) if data is not _MISSING else _MISSING
        value = config.default if found is _MISSING else found
        return {"value": value, "text": to_text(value)}


def parse_json(value: Any) -> Any:
    """A JSON value as is; JSON text parsed (code fence removed); empty text is missing."""
    if not isinstance(value, str):
        return _MISSING if value is None else value
    text = value.strip()
    if not text:
        return _MISSING
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise NodeError(f"The json node's value is not JSON ({exc}).") from None


def parse_path(path: str) -> list[Any]:
    """``shots[*].prompt`` -> ["shots", WILDCARD, "prompt"]; list indexes as ints."""
    path = path.strip()
    steps: list[Any] = []
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if m is None or (m.group(1) is not None and pos > 0 and path[pos] != "."):
            raise NodeError(f"The json path {path!r} is not valid at {path[pos : pos + 20]!r}.")
        key, index, quoted = m.group(1), m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
        if key is not None:
            steps.append(key)
        elif index is not None:
            steps.append(WILDCARD if index == "*" else int(index))
        else:
            steps.append(quoted)
        pos = m.end()
    return steps


def pick(value: Any, steps: list[Any]) -> Any:
    for i, step in enumerate(steps):
        if step is WILDCARD:
            items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else None
            if items is None:
                return _MISSING
            found = [pick(item, steps[i + 1 :]) for item in items]
            return [f for f in found if f is not _MISSING]
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        elif isinstance(value, list) and step.lstrip("-").isdigit() and -len(value) <= int(step) < len(value):
            value = value[int(step)]  # shots.0.prompt, as in templates
        else:
            return _MISSING
    return value
