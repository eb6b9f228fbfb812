"""The STT node: speech to text through the provider router, from an audio URL."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import Scope, TranscriptionRequest

from .base import Node, NodeConfig


class STTConfig(NodeConfig):
    provider: str = Field(default="auto", description="'auto' walks the stt priority list; a name pins it")
    model: str = Field(default="", description="Empty: the provider's default model")
    language: str = Field(default="", description="Language code such as 'en'; empty: detect")
    audio: str = Field(default="", description="The audio to transcribe (URL or data: URI)")


class STTNode(Node):
    type = "stt"
    title = "Speech to text"
    group = "media"
    Config = STTConfig
    aliases = {"result": "text"}
    cacheable = True

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"audio": PortType.AUDIO}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"text": PortType.TEXT, "language": PortType.TEXT, "usage": PortType.JSON}

    async def run(self, ctx, config: STTConfig) -> dict[str, Any]:
        if not config.audio:
            raise NodeError("The speech to text node has no audio: connect its audio port or give a URL.")
        media = await ctx.services.media.load(config.audio, owner_id=ctx.owner_id)
        if not media.content_type.startswith(("audio/", "video/")):
            raise NodeError(f"The speech to text input is not audio ({media.content_type}).")
        request = TranscriptionRequest(audio=media, language=config.language, model=config.model)
        result = await ctx.services.transcribe(request, provider=config.provider, scope=Scope.of(ctx))
        usage = result.usage.as_dict()
        ctx.record_usage(usage)
        return {"text": result.text, "language": result.language, "usage": usage}
