"""The LLM node: a chat completion through the provider gateway, streamed as it arrives."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import ChatRequest

from .base import Node, NodeConfig


class LLMConfig(NodeConfig):
    provider: str = Field(default="auto", description="'auto' walks the text priority list; a name pins it")
    model: str = Field(default="", description="Empty: the provider's default model")
    system: str = ""
    prompt: str = ""
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    json_output: bool = Field(default=False, description="Ask for a JSON object and parse it")


class LLMNode(Node):
    type = "llm"
    title = "LLM"
    group = "ai"
    Config = LLMConfig
    aliases = {"result": "text"}
    streams = True
    cacheable = True

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"prompt": PortType.TEXT, "system": PortType.TEXT}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"text": PortType.TEXT, "reasoning": PortType.TEXT, "json": PortType.JSON, "usage": PortType.JSON}

    async def run(self, ctx, config: LLMConfig) -> dict[str, Any]:
        messages = []
        if config.system:
            messages.append({"role": "system", "content": config.system})
        messages.append({"role": "user", "content": config.prompt})
        request = ChatRequest(messages=messages, model=config.model, temperature=config.temperature,
                              max_tokens=config.max_tokens, json_output=config.json_output)
        text: list[str] = []
        reasoning: list[str] = []
        async with ctx.services.chat(request, provider=config.provider) as stream:
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
