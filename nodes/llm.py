"""The LLM node: a chat completion through the provider router, streamed as it arrives.

With an image (the optional ``image`` input port: a ``/files/`` URL, a ``data:`` URI or a public
URL) the prompt is sent with the image as a ``data:`` URI part and the call uses the
``multimodal`` task's providers.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import orjson
from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import ChatRequest, Scope

from .base import Node, NodeConfig


class LLMConfig(NodeConfig):
    provider: str = Field(default="auto", description="'auto' walks the task's priority list; a name pins it")
    task: Literal["auto", "text", "multimodal"] = Field(
        default="auto", description="'auto': multimodal when an image is given, else text"
    )
    model: str = Field(default="", description="Empty: the provider's default model")
    system: str = ""
    prompt: str = ""
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    json_output: bool = Field(default=False, description="Ask for a JSON object and parse it")
    image: str = Field(default="", description="An image sent with the prompt (URL or data: URI)")


class LLMNode(Node):
    type = "llm"
    title = "LLM"
    group = "ai"
    Config = LLMConfig
    aliases = {"result": "text"}
    streams = True
    cacheable = True

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"prompt": PortType.TEXT, "system": PortType.TEXT, "image": PortType.IMAGE}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"text": PortType.TEXT, "reasoning": PortType.TEXT, "json": PortType.JSON, "usage": PortType.JSON}

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
        async with ctx.services.chat(request, provider=config.provider, task=task, scope=Scope.of(ctx)) as stream:
            async for chunk in stream:
                if chunk.content:
                    text.append(chunk.content)
                if chunk.reasoning:
                    reasoning.append(chunk.reasoning)
                ctx.stream(chunk.content, chunk.reasoning)
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
