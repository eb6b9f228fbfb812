"""The Replicate node: run any Replicate model; its output files are stored the moment it finishes.

The model's inputs are the ``params`` object (string values are templates); the editor builds a
form for it from ``ctx.services.replicate.input_schema(model)``. A reference image (the ``image``
port or config) goes through the rules table's fallbacks like any other call; ``max_retries`` bounds the
retries of each call to Replicate (``flowai.providers.replicate``). Cancelling the node
(run cancelled, client gone, timeout) cancels the prediction upstream.

Media inputs follow the model's schema (``flowai.providers.replicate_files``): ``media_ports``
declares one input port ``params.<name>`` per file input of the model (the editor fills it from
the schema: name -> the media type it expects); an edge into it sets ``params[name]``. At run time
every file input given (by port or written in ``params``) is checked against the model's schema
(the parameter must be a file input of the model, and the file of the type it expects: else the
node fails naming the parameter) and handed to Replicate as something it can fetch. A reference
image that is not an image fails the same way, instead of switching to an image-editing model.
Output files are streamed into storage as they download (``FLOWAI_MAX_MEDIA_BYTES``).
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from flowai.errors import FlowAIError, NodeError, ProviderError
from flowai.mediatypes import data_uri_type
from flowai.ports import PortType, accepts_media
from flowai.providers.base import Scope
from flowai.providers.replicate_files import is_file_input, media_params

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

PUBLIC = ("https://", "http://")
PORT_PREFIX = "params."
MediaPortType = Literal["image", "audio", "video", "document", "model3d", "file"]
_PARAM = re.compile(r"^[A-Za-z_][\w-]{0,63}$")
_NAME = re.compile(r"^[\w.-]{1,100}\.[A-Za-z0-9]{1,8}$")


class ReplicateConfig(NodeConfig):
    model: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    image: str = ""
    media_ports: dict[str, MediaPortType] = Field(default_factory=dict)
    max_retries: int | None = Field(default=None, ge=0, le=10)

    @model_validator(mode="before")
    @classmethod
    def _port_values(cls, data: Any) -> Any:
        """A value that arrived by a ``params.<name>`` port goes into ``params[name]``."""
        if isinstance(data, dict) and any(isinstance(k, str) and k.startswith(PORT_PREFIX) for k in data):
            data = dict(data)
            params = dict(data.get("params") or {})
            for key in [k for k in data if isinstance(k, str) and k.startswith(PORT_PREFIX)]:
                value = data.pop(key)
                if value is not None:
                    params[key[len(PORT_PREFIX) :]] = value
            data["params"] = params
        return data

    @model_validator(mode="after")
    def _port_names(self) -> ReplicateConfig:
        bad = [name for name in self.media_ports if not _PARAM.match(name)]
        if bad:
            raise ValueError(f"media_ports: {bad[0]!r} is not a parameter name")
        return self


class ReplicateNode(Node):
    definition = NodeDef(
        type="replicate",
        title=T("Replicate", "Replicate 模型"),
        group="ai",
        description=T(
            "Runs any Replicate model; its output files are stored the moment it finishes. Needs REPLICATE_API_KEY.",
            "运行任意 Replicate 模型；结束时立即保存其输出文件。需要 REPLICATE_API_KEY。",
        ),
        config=ReplicateConfig,
        fields={
            "model": FieldDef(
                T("Model", "模型"),
                T(
                    "owner/name, owner/name:version, or a short name from the Replicate rules table (flux-dev)",
                    "owner/name、owner/name:version，或 Replicate 规则表中的短名（如 flux-dev）",
                ),
            ),
            "params": FieldDef(
                T("Model parameters", "模型参数"),
                T(
                    "The model's inputs as a JSON object; string values are templates",
                    "模型的输入（JSON 对象）；字符串值是模板",
                ),
                widget="model_params",
            ),
            "image": FieldDef(
                T("Reference image", "参考图"), T("Reference image URL (optional)", "参考图 URL（可选）")
            ),
            "media_ports": FieldDef(
                T("Media inputs", "媒体输入"),
                T(
                    "One input port params.<name> per file input of the model, with the media type it takes "
                    "(filled from the model's schema)",
                    "模型的每个文件输入对应一个输入端口 params.<名称> 及其媒体类型（按模型的 schema 填写）",
                ),
                advanced=True,
            ),
            "max_retries": FieldDef(
                T("Retries", "重试次数"),
                T(
                    "Retries of a Replicate call that failed with a 5xx, a timeout or a lost connection "
                    "(empty: the batch's setting, else 2)",
                    "Replicate 调用因 5xx、超时或连接中断失败时的重试次数（留空：用批量任务的设置，否则 2 次）",
                ),
                advanced=True,
            ),
        },
        inputs=(Port("image", PortType.IMAGE),),
        outputs=(
            Port(
                "output",
                PortType.JSON,
                T("The model's output as it answered", "模型的原始输出"),
                title=T("Output", "输出"),
            ),
            Port(
                "files",
                PortType.JSON,
                T("The stored output files' URLs", "已保存的输出文件 URL"),
                title=T("Files", "文件列表"),
            ),
            Port(
                "file", PortType.FILE, T("The first output file's URL", "第一个输出文件的 URL"), title=T("File", "文件")
            ),
            Port(
                "text",
                PortType.TEXT,
                T("The output as text, when it is text", "输出为文本时的文本"),
                title=T("Text", "文本"),
            ),
        ),
        cacheable=True,
        summary=("model",),
    )

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        ports = dict(self._inputs)
        declared = config.get("media_ports") if isinstance(config, dict) else None
        for name, kind in (declared if isinstance(declared, dict) else {}).items():
            if isinstance(name, str) and _PARAM.match(name) and kind in PortType.__members__.values():
                ports[PORT_PREFIX + name] = PortType(kind)
        return ports

    async def run(self, ctx, config: ReplicateConfig) -> dict[str, Any]:
        replicate = getattr(ctx.services, "replicate", None)
        if replicate is None or not replicate.configured:
            raise NodeError("Replicate is not configured: set REPLICATE_API_KEY (or REPLICATE_API_TOKEN).")
        media = getattr(ctx.services, "media", None)
        schema = await _schema(replicate, config.model)
        params = await _media_params(ctx, replicate, media, config, schema)
        image = config.image.strip() or None
        if image:
            image = await _hand_off(ctx, replicate, media, config.model, "image", image, PortType.IMAGE, schema)
        store = None
        if media is not None and ctx.owner_id is not None:  # ad-hoc runs keep Replicate's URLs (valid 1 h)

            async def store(url: str) -> str:
                return await media.save_stream(
                    lambda write: replicate.stream_output(url, write), owner_id=ctx.owner_id, name=_file_name(url)
                )

        result = await ctx.services.metered(
            "replicate",
            lambda: replicate.run(config.model, params, image=image, store=store, max_retries=config.max_retries),
            task="replicate",
            scope=Scope.of(ctx),
        )
        ctx.record_usage(result.usage_dict())
        return {
            "output": result.output,
            "files": result.files,
            "file": result.files[0] if result.files else None,
            "text": result.text,
        }


async def _schema(replicate, model: str) -> dict | None:
    """The model's input schema, or None when it cannot be had (a bare version id, Replicate down):
    then the media inputs are handed over unchecked and Replicate validates them."""
    try:
        return await replicate.input_schema(model)
    except ProviderError:
        return None  # a model Replicate does not have fails when it is run, with a message naming it


async def _media_params(ctx, replicate, media, config: ReplicateConfig, schema: dict | None) -> dict[str, Any]:
    """``config.params`` with every file input handed over as something Replicate can fetch."""
    props = (schema or {}).get("properties") or {}
    files = media_params(schema)
    for name in config.media_ports:
        if schema is not None and name not in files:
            if name in props:
                raise NodeError(f"Parameter {name!r} of {config.model} does not take a file; it is not a media input.")
            listed = ", ".join(f"{n} ({k})" for n, k in files.items()) or "none"
            raise NodeError(f"{config.model} has no file input {name!r} (its file inputs: {listed}).")
    params = dict(config.params)
    for name, value in config.params.items():
        if name in files or name in config.media_ports:
            declared = PortType(config.media_ports.get(name, PortType.FILE))
            kind = declared if declared != PortType.FILE else files.get(name, PortType.FILE)  # the stricter
        elif schema is None and _is_media_ref(value):
            kind = PortType.FILE
        else:
            continue
        if value in (None, "", []):
            params.pop(name)
            continue
        spec = props.get(name) or {}
        if isinstance(value, list):
            if spec and not (spec.get("type") == "array" and is_file_input(spec)):
                raise NodeError(f"Parameter {name!r} of {config.model} takes one file, not a list.")
            params[name] = list(
                await asyncio.gather(
                    *(_hand_off(ctx, replicate, media, config.model, name, v, kind, schema) for v in value)
                )
            )
        else:
            url = await _hand_off(ctx, replicate, media, config.model, name, value, kind, schema)
            params[name] = [url] if spec.get("type") == "array" else url
    return params


def _is_media_ref(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(isinstance(v, str) and urlsplit(v).path.startswith("/files/") for v in values)


async def _hand_off(ctx, replicate, media, model: str, name: str, value: Any, kind: PortType, schema) -> str:
    """One media reference for parameter ``name``: type-checked, then something Replicate can fetch."""
    if not isinstance(value, str) or not value.strip():
        raise NodeError(f"Parameter {name!r} of {model} takes a file URL, got {type(value).__name__}.")
    value = value.strip()
    local = None
    if media is not None:
        try:
            local = await asyncio.to_thread(media.describe, value, owner_id=ctx.owner_id)
        except FlowAIError as exc:
            raise NodeError(f"Parameter {name!r} of {model}: {exc.message}") from None
    mime = local.content_type if local else data_uri_type(value)
    if local is None and not value.startswith(PUBLIC) and mime is None:
        raise NodeError(
            f"Parameter {name!r} of {model} is not a file Replicate can fetch: give an http(s) URL, "
            "a data: URI or one of this server's /files/ URLs."
        )
    if mime is not None and not accepts_media(kind, mime):
        article = "an" if kind.value[0] in "aeiou" else "a"
        hint = ""
        if name == "image" and kind == PortType.IMAGE:
            others = [f"params.{n} ({k})" for n, k in media_params(schema).items() if accepts_media(k, mime)]
            hint = f"; connect it to {', '.join(others)} instead" if others else ""
        raise NodeError(f"Parameter {name!r} of {model} takes {article} {kind.value}, but got {mime}{hint}.")
    try:
        return await replicate.hand_off(value, local)
    except FlowAIError as exc:
        raise NodeError(f"Parameter {name!r} of {model}: {exc.message}") from None


def _file_name(url: str) -> str:
    """The stored name of an output file: the last part of its URL when it is a plain file name."""
    base = posixpath.basename(urlsplit(url).path) if not url.startswith("data:") else ""
    return base if _NAME.match(base) else "output"
