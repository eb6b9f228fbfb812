"""The TTS node: text to speech through the provider router; the audio is stored and its URL output."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import Scope, SpeechRequest

from .base import Node, NodeConfig


class TTSConfig(NodeConfig):
    provider: str = Field(default="auto", description="'auto' walks the tts priority list; a name pins it")
    model: str = Field(default="", description="Empty: the provider's default voice model")
    voice: str = Field(default="", description="The provider's voice id; empty: its default voice")
    text: str = ""
    format: Literal["mp3", "wav", "ogg", "flac"] = "mp3"
    speed: float | None = Field(default=None, gt=0, le=4, description="Empty: normal speed")


class TTSNode(Node):
    type = "tts"
    title = "Text to speech"
    group = "media"
    Config = TTSConfig

    def input_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"text": PortType.TEXT}

    def output_ports(self, config: dict[str, Any]) -> dict[str, PortType]:
        return {"audio": PortType.AUDIO, "usage": PortType.JSON}

    async def run(self, ctx, config: TTSConfig) -> dict[str, Any]:
        if not config.text.strip():
            raise NodeError("The text to speech node has no text to say.")
        request = SpeechRequest(
            text=config.text, voice=config.voice, model=config.model, format=config.format, speed=config.speed
        )
        result = await ctx.services.speech(request, provider=config.provider, scope=Scope.of(ctx))
        url = await ctx.services.media.save(result.audio, owner_id=ctx.owner_id)
        usage = result.usage.as_dict()
        ctx.record_usage(usage)
        return {"audio": url, "usage": usage}
