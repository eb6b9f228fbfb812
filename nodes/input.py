"""The input node: declares the run's typed input fields; its outputs are their values."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from flowai.errors import InputError
from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, T

FieldType = Literal[
    "string", "number", "integer", "boolean", "json", "image", "audio", "video", "document", "model3d", "file"
]
MEDIA_FIELDS = ("image", "audio", "video", "document", "model3d", "file")  # a URL of a file

PORT_OF: dict[str, PortType] = {
    "string": PortType.TEXT,
    "number": PortType.NUMBER,
    "integer": PortType.NUMBER,
    "boolean": PortType.BOOLEAN,
    "json": PortType.JSON,
    "image": PortType.IMAGE,
    "audio": PortType.AUDIO,
    "video": PortType.VIDEO,
    "document": PortType.DOCUMENT,
    "model3d": PortType.MODEL3D,
    "file": PortType.FILE,
}


_NOT_IN_NAMES = re.compile(r"[\s.{}$\"'<>\\]")  # any Unicode whitespace too


class InputField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    type: FieldType = "string"
    required: bool = False
    max_length: int | None = Field(default=None, gt=0)
    default: Any = None  # after type and max_length: its validator reads them
    description: str = ""

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if _NOT_IN_NAMES.search(v):
            raise ValueError(
                "a field name may not contain spaces (of any kind), dots, braces, quotes, '<', '>', '\\' or '$'"
            )
        return v

    @field_validator("default")
    @classmethod
    def _default_fits(cls, v: Any, info: ValidationInfo) -> Any:
        if v is not None and "type" in info.data:  # a bad type is reported on its own
            err = _type_error(info.data["type"], info.data.get("max_length"), v)
            if err:
                raise ValueError(f"the default does not fit the field: {err}")
        return v


class InputConfig(NodeConfig):
    fields: list[InputField] = Field(default_factory=list)

    @field_validator("fields")
    @classmethod
    def _unique(cls, v: list[InputField]) -> list[InputField]:
        names = [f.name for f in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate field name {sorted(dup)[0]!r}")
        return v


FIELD_TYPES = {
    "string": T("Text", "文本"),
    "number": T("Number", "数字"),
    "integer": T("Integer", "整数"),
    "boolean": T("Yes / no", "是 / 否"),
    "json": T("JSON", "JSON"),
    "image": T("Image", "图片"),
    "audio": T("Audio", "音频"),
    "video": T("Video", "视频"),
    "document": T("Document", "文档"),
    "model3d": T("3D model", "3D 模型"),
    "file": T("File", "文件"),
}


class InputNode(Node):
    definition = NodeDef(
        type="input",
        title=T("Input", "开始"),
        group="inputs",
        description=T(
            "Declares the run's typed input fields; each field is an output port carrying the caller's value.",
            "声明运行的输入字段及类型；每个字段是一个输出端口，携带调用方传入的值。",
        ),
        config=InputConfig,
        fields={
            "fields": FieldDef(
                T("Input fields", "输入字段"),
                T(
                    "What a caller sends: each field is an output port of this node",
                    "调用方传入的内容：每个字段是本节点的一个输出端口",
                ),
                items={
                    "name": FieldDef(
                        T("Name", "名称"),
                        T("The key in the run's input, and the port's name", "运行输入里的键名，也是端口名"),
                    ),
                    "type": FieldDef(
                        T("Type", "类型"), T("What kind of value it takes", "接收哪种值"), choices=FIELD_TYPES
                    ),
                    "required": FieldDef(
                        T("Required", "必填"), T("A run without it is refused", "缺少它的运行会被拒绝")
                    ),
                    "max_length": FieldDef(
                        T("Max length", "最大长度"),
                        T("Longest text accepted, in characters (empty: no limit)", "接受的最长文本字数（留空：不限）"),
                    ),
                    "default": FieldDef(
                        T("Default value", "默认值"),
                        T("Used when the caller sends nothing", "调用方没有传入时使用"),
                        widget="long_text",
                    ),
                    "description": FieldDef(
                        T("Description", "说明"),
                        T(
                            "Shown to callers in the API page and the OpenAPI document",
                            "在 API 页面和 OpenAPI 文档中展示给调用方",
                        ),
                        widget="long_text",
                    ),
                },
            ),
        },
        dynamic_outputs=T(
            "One port per input field, named like the field, typed by its type (string: text, number and "
            "integer: number, boolean, json, image, audio, video, file).",
            "每个输入字段一个端口，与字段同名，类型随字段类型（string 为 text，number 和 integer 为 number，"
            "以及 boolean、json、image、audio、video、file）。",
        ),
        templated=False,
        starter={"fields": [{"name": "input", "type": "string", "required": True}]},
    )

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        # Read from the raw (possibly invalid) config: anything malformed is reported by Config.
        fields = config.get("fields", [])
        if not isinstance(fields, list):
            return {}
        return {
            f["name"]: PORT_OF.get(t, PortType.ANY) if isinstance(t := f.get("type", "string"), str) else PortType.ANY
            for f in fields
            if isinstance(f, dict) and isinstance(f.get("name"), str)
        }

    async def run(self, ctx, config: InputConfig) -> dict[str, Any]:
        return {f.name: ctx.run_input.get(f.name, f.default) for f in config.fields}


def check_input(config: InputConfig, given: Any) -> dict[str, Any]:
    """Validate a run's ``input`` object against the fields; raise InputError listing problems."""
    if not isinstance(given, dict):
        raise InputError("'input' must be a JSON object.", detail={"input": "expected an object"})
    problems: dict[str, str] = {}
    known = {f.name: f for f in config.fields}
    for name in given:
        if name not in known:
            problems[name] = "unknown field"
    for f in config.fields:
        if f.name not in given or given[f.name] is None:
            if f.required and f.default is None:
                problems[f.name] = "required field is missing"
            continue
        err = _type_error(f.type, f.max_length, given[f.name])
        if err:
            problems[f.name] = err
    if problems:
        name, why = next(iter(problems.items()))
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise InputError(f"Invalid input field '{name}': {why}{more}.", detail=problems)
    return {f.name: given.get(f.name, f.default) if given.get(f.name) is not None else f.default for f in config.fields}


def _type_error(t: str, max_length: int | None, value: Any) -> str | None:
    if t == "string" or t in MEDIA_FIELDS:
        if not isinstance(value, str):
            return "expected a string" if t == "string" else "expected a URL string"
        if max_length is not None and len(value) > max_length:
            return f"longer than max_length {max_length}"
        if "\x00" in value:
            return "contains a NUL character"
    elif t in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "expected a number"
        if isinstance(value, float) and not math.isfinite(value):  # ints are finite (and may not fit a float)
            return "expected a finite number"
        if t == "integer" and not (isinstance(value, int) or float(value).is_integer()):
            return "expected an integer"
    elif t == "boolean":
        if not isinstance(value, bool):
            return "expected true or false"
    elif t == "json":
        try:
            size = len(orjson.dumps(value))
        except (orjson.JSONEncodeError, TypeError):  # e.g. nested deeper than can be stored again
            return "nested too deeply (at most 200 levels)"
        if max_length is not None and size > max_length:
            return f"longer than max_length {max_length}"
    return None
