"""The LLM node: a chat completion through the provider router, streamed as it arrives.

With an image (the optional ``image`` input port: a ``/files/`` URL, a ``data:`` URI or a public
URL) the prompt is sent with the image as a ``data:`` URI part and the call uses the
``multimodal`` task's providers.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Literal

import orjson
from pydantic import Field

from flowai.errors import FlowAIError, NodeError
from flowai.ports import PortType
from flowai.providers.base import ChatRequest, Scope

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class LLMConfig(NodeConfig):
    provider: str = "auto"
    task: Literal["auto", "text", "multimodal"] = "auto"
    model: str = ""
    system: str = ""
    prompt: str = ""
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    json_output: bool = False
    image: str = ""


class LLMNode(Node):
    definition = NodeDef(
        type="llm",
        title=T("LLM", "大模型"),
        group="ai",
        description=T(
            "A chat completion through the provider router, streamed as it arrives; with an image, a multimodal call.",
            "通过供应商路由调用大模型对话，边生成边流式输出；带图片时走多模态任务。",
        ),
        task="text",
        config=LLMConfig,
        fields={
            "provider": FieldDef(
                T("Provider", "供应商"),
                T(
                    "'auto' walks the task's priority list; a name pins it",
                    "auto 按任务优先级依次尝试；填名字则固定用它",
                ),
                widget="provider",
            ),
            "task": FieldDef(
                T("Task", "任务"),
                T("'auto': multimodal when an image is given, else text", "auto：有图片时为多模态，否则为文本"),
                choices={
                    "auto": T("Automatic", "自动"),
                    "text": T("Text", "文本"),
                    "multimodal": T("Multimodal", "多模态"),
                },
            ),
            "model": FieldDef(
                T("Model", "模型"), T("Empty: the provider's default model", "留空：供应商的默认模型"), widget="model"
            ),
            "system": FieldDef(
                T("System prompt", "系统提示词"),
                T("How the model should behave (optional)", "告诉模型该如何表现（可选）"),
                widget="long_text",
            ),
            "prompt": FieldDef(
                T("Prompt", "提示词"),
                T(
                    "The message sent to the model; {{node.port}} inserts upstream values",
                    "发给模型的消息；{{node.port}} 插入上游的值",
                ),
                widget="long_text",
                required=True,
            ),
            "temperature": FieldDef(
                T("Temperature", "温度"),
                T("Lower: more focused and repeatable; higher: more varied", "越低越稳定、可重复；越高越多样"),
            ),
            "max_tokens": FieldDef(
                T("Max tokens", "最大 token 数"), T("Empty: the model's limit", "留空：模型自身的上限")
            ),
            "json_output": FieldDef(
                T("JSON output", "JSON 输出"), T("Ask for a JSON object and parse it", "要求模型回答 JSON 对象并解析")
            ),
            "image": FieldDef(
                T("Image", "图片"),
                T("An image sent with the prompt (URL or data: URI)", "随提示词发送的图片（URL 或 data: URI）"),
            ),
        },
        inputs=(Port("prompt", PortType.TEXT), Port("system", PortType.TEXT), Port("image", PortType.IMAGE)),
        outputs=(
            Port("text", PortType.TEXT, T("The answer", "回答"), title=T("Answer", "回答")),
            Port(
                "reasoning",
                PortType.TEXT,
                T("The model's reasoning, when it sends it", "模型给出的推理过程（若有）"),
                title=T("Reasoning", "推理过程"),
            ),
            Port(
                "json",
                PortType.JSON,
                T("The parsed answer (JSON output on)", "解析后的回答（开启 JSON 输出时）"),
                title=T("JSON", "JSON"),
            ),
            Port(
                "usage",
                PortType.JSON,
                T("Provider, model, tokens and cost", "供应商、模型、token 数与费用"),
                title=T("Usage", "用量"),
            ),
        ),
        aliases={"result": "text"},
        streams=True,
        cacheable=True,
        summary=("prompt", "model"),
    )

    async def run(self, ctx, config: LLMConfig) -> dict[str, Any]:
        messages = []
        if config.system:
            messages.append({"role": "system", "content": config.system})
        content: Any = config.prompt
        if config.image:
            content = [
                {"type": "text", "text": config.prompt},
                {"type": "image_url", "image_url": {"url": await _image_uri(ctx, config.image)}},
            ]
        messages.append({"role": "user", "content": content})
        task = config.task if config.task != "auto" else ("multimodal" if config.image else "text")
        request = ChatRequest(
            messages=messages,
            model=config.model,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            json_output=config.json_output,
        )
        text: list[str] = []
        reasoning: list[str] = []
        stream = None
        try:
            async with ctx.services.chat(request, provider=config.provider, task=task, scope=Scope.of(ctx)) as stream:
                async for chunk in stream:
                    if chunk.content:
                        text.append(chunk.content)
                    if chunk.reasoning:
                        reasoning.append(chunk.reasoning)
                    ctx.stream(chunk.content, chunk.reasoning)
        except (FlowAIError, asyncio.CancelledError) as exc:  # the trace still says whom it asked
            ctx.record_usage(_attempted(config, task, stream, exc))
            raise
        usage = stream.usage()
        ctx.record_usage(usage)
        answer = "".join(text)
        parsed = None
        if config.json_output:
            try:
                parsed = orjson.loads(answer)
            except orjson.JSONDecodeError as exc:
                raise NodeError(f"The model did not answer valid JSON: {exc}") from None
        return {"text": answer, "reasoning": "".join(reasoning) or None, "json": parsed, "usage": usage}


def _attempted(config: LLMConfig, task: str, stream: Any, exc: BaseException) -> dict[str, Any]:
    """The usage of a call that failed or was stopped: the provider and model it reached (or asked for)."""
    usage = dict(stream.usage()) if stream is not None else {}
    detail = exc.detail if isinstance(exc, FlowAIError) else None
    attempts = detail.get("attempts") if isinstance(detail, dict) else None
    provider = usage.get("provider") or getattr(exc, "provider", None)
    if not provider and isinstance(attempts, list) and attempts and isinstance(attempts[-1], dict):
        provider = attempts[-1].get("provider")  # every provider failed: the last one tried
    if not provider and config.provider not in ("", "auto"):
        provider = config.provider
    model = usage.get("model") or getattr(exc, "model", None) or config.model or None
    return {**usage, "provider": provider, "model": model, "task": task}


async def _image_uri(ctx, url: str) -> str:
    """The image as a data: URI (loaded through the media store, which checks URLs)."""
    media_store = getattr(ctx.services, "media", None)
    if media_store is None:
        if url.startswith(("data:", "https://")):
            return url
        raise NodeError("This LLM node cannot load its image here (no media store).")
    media = await media_store.load(url, owner_id=ctx.owner_id)
    if not media.content_type.startswith("image/"):
        raise NodeError(f"The LLM node's image input is not an image ({media.content_type}).")
    return f"data:{media.content_type};base64,{base64.b64encode(media.data).decode()}"
