"""The TTS node: text to speech through the provider router; the audio is stored and its URL output."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import Scope, SpeechRequest

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class TTSConfig(NodeConfig):
    provider: str = "auto"
    model: str = ""
    voice: str = ""
    text: str = ""
    format: Literal["mp3", "wav", "ogg", "flac"] = "mp3"
    speed: float | None = Field(default=None, gt=0, le=4)


class TTSNode(Node):
    definition = NodeDef(
        type="tts",
        title=T("Text to speech", "语音合成"),
        group="media",
        description=T(
            "Text to speech through the provider router; the audio is stored and its URL output.",
            "通过供应商路由把文字合成为语音；音频会被保存并输出其 URL。",
        ),
        task="tts",
        config=TTSConfig,
        fields={
            "provider": FieldDef(
                T("Provider", "供应商"),
                T(
                    "'auto' walks the tts priority list; a name pins it",
                    "auto 按语音合成优先级依次尝试；填名字则固定用它",
                ),
                widget="provider",
            ),
            "model": FieldDef(
                T("Model", "模型"),
                T("Empty: the provider's default voice model", "留空：供应商的默认语音模型"),
                widget="model",
            ),
            "voice": FieldDef(
                T("Voice", "音色"),
                T("The provider's voice id; empty: its default voice", "供应商的音色 ID；留空：默认音色"),
            ),
            "text": FieldDef(
                T("Text", "文本"),
                T("The text to speak, e.g. {{llm.text}}", "要朗读的文本，例如 {{llm.text}}"),
                widget="long_text",
                required=True,
            ),
            "format": FieldDef(T("Audio format", "音频格式"), T("The audio file's format", "生成的音频文件格式")),
            "speed": FieldDef(T("Speed", "语速"), T("Empty: normal speed", "留空：正常语速")),
        },
        inputs=(Port("text", PortType.TEXT),),
        outputs=(
            Port("audio", PortType.AUDIO, T("The stored audio's URL", "已保存音频的 URL"), title=T("Audio", "音频")),
            Port("usage", PortType.JSON, T("Provider, model and cost", "供应商、模型与费用"), title=T("Usage", "用量")),
        ),
        cacheable=True,
        summary=("text", "model"),
    )

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
