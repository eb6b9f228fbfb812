"""The STT node: speech to text through the provider router, from an audio URL."""

from __future__ import annotations

from typing import Any

from flowai.errors import NodeError
from flowai.ports import PortType
from flowai.providers.base import Scope, TranscriptionRequest

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T


class STTConfig(NodeConfig):
    provider: str = "auto"
    model: str = ""
    language: str = ""
    audio: str = ""


class STTNode(Node):
    definition = NodeDef(
        type="stt",
        title=T("Speech to text", "语音识别"),
        group="media",
        description=T(
            "Speech to text through the provider router, from an audio URL.", "通过供应商路由把音频（URL）转写为文字。"
        ),
        task="stt",
        config=STTConfig,
        fields={
            "provider": FieldDef(
                T("Provider", "供应商"),
                T(
                    "'auto' walks the stt priority list; a name pins it",
                    "auto 按语音识别优先级依次尝试；填名字则固定用它",
                ),
                widget="provider",
            ),
            "model": FieldDef(
                T("Model", "模型"), T("Empty: the provider's default model", "留空：供应商的默认模型"), widget="model"
            ),
            "language": FieldDef(
                T("Language", "语言"),
                T("Language code such as 'en'; empty: detect", "语言代码，如 zh、en；留空：自动识别"),
            ),
            "audio": FieldDef(
                T("Audio", "音频"), T("The audio to transcribe (URL or data: URI)", "要转写的音频（URL 或 data: URI）")
            ),
        },
        inputs=(Port("audio", PortType.AUDIO),),
        outputs=(
            Port("text", PortType.TEXT, T("The transcript", "转写文本"), title=T("Transcript", "转写文本")),
            Port("language", PortType.TEXT, T("The language heard", "识别出的语言"), title=T("Language", "语言")),
            Port("usage", PortType.JSON, T("Provider, model and cost", "供应商、模型与费用"), title=T("Usage", "用量")),
        ),
        aliases={"result": "text"},
        cacheable=True,
        summary=("audio", "model"),
    )

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
