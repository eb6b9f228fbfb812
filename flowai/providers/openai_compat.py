"""OpenAI-compatible endpoints: chat completions (streamed), images, speech and transcriptions.

OpenAI itself and every server speaking its wire format (providers.md B1): Groq, Mistral,
Together, DeepInfra, Fireworks, OpenRouter, Perplexity, AI21, Gemini's compatibility endpoint,
Hugging Face's router, and self-hosted servers (Ollama, vLLM) through ``*_BASE_URL``.
``options["include_usage"] = False`` leaves out ``stream_options`` for servers that reject it.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson

from flowai.errors import ProviderError
from flowai.mediatypes import sniff

from . import audio
from .base import (
    AudioResult,
    ChatChunk,
    ChatRequest,
    ImageRequest,
    ImageResult,
    Media,
    SpeechRequest,
    Transcript,
    TranscriptionRequest,
    Usage,
)
from .family import ChatEvents, Family, filename, json_of, sampling

AUDIO_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
    "pcm": "audio/pcm",
}
# aspect ratio -> size, for the DALL-E 3 / gpt-image sizes; other models take the nearest square-ish size
SIZES = {
    "1:1": "1024x1024",
    "16:9": "1792x1024",
    "9:16": "1024x1792",
    "4:3": "1536x1024",
    "3:2": "1536x1024",
    "3:4": "1024x1536",
    "2:3": "1024x1536",
}
DRAIN_SECONDS = 0.5  # how long to wait for the end of a body after data: [DONE]


class OpenAICompatible(Family):
    DEFAULT_BASE_URL = "https://api.openai.com/v1"
    DEFAULT_MODELS = {
        "text": "gpt-4o-mini",
        "multimodal": "gpt-4o-mini",
        "image": "dall-e-3",
        "tts": "tts-1",
        "stt": "whisper-1",
    }
    fatal = frozenset({"insufficient_quota", "billing_hard_limit_reached", "content_policy_violation"})

    def __init__(self, name: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.default_model = self.models["text"]
        self.include_usage = self.options.get("include_usage", True) not in (False, "false", "0")

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        message, code = super().error_of(body)
        return message, (str(code) if code is not None else None)

    async def check(self) -> str:
        body = await self.request_json("GET", "/models")
        return f"{len(body.get('data') or [])} models available"

    async def list_models(self) -> list[str]:
        """The ids of the models the server serves (``GET /models``)."""
        body = await self.request_json("GET", "/models")
        return [str(m["id"]) for m in (body.get("data") or []) if isinstance(m, dict) and m.get("id")]

    # -- chat ------------------------------------------------------------------------------------

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[_Stream]:
        model = request.model or self.default_model
        body: dict = {"model": model, "messages": request.messages, "stream": True, **sampling(request)}
        if self.include_usage:
            body["stream_options"] = {"include_usage": True}
        async with self.post_sse("/chat/completions", body) as resp:
            yield _Stream(self, resp, Usage(self.name, model))

    # -- image -----------------------------------------------------------------------------------

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        model = self.model_for("image", request.model)
        params = dict(request.params)
        fields: dict[str, Any] = {
            "model": model,
            "prompt": request.prompt,
            "n": request.n,
            "size": params.pop("size", None) or SIZES.get(request.aspect_ratio, "1024x1024"),
        }
        if not model.startswith("gpt-image"):  # gpt-image models always answer b64_json and refuse the field
            fields["response_format"] = "b64_json"
        if request.negative_prompt:
            fields["negative_prompt"] = request.negative_prompt
        if request.seed is not None:
            fields["seed"] = request.seed
        fields.update(params)
        if request.reference_image is not None:
            ref = request.reference_image
            name = filename("image", ref.content_type)
            form = {k: (None, str(v)) for k, v in fields.items() if v is not None}
            resp = await self.request(
                "POST", "/images/edits", files={**form, "image": (name, ref.data, ref.content_type)}
            )
        else:
            resp = await self.request("POST", "/images/generations", json=fields)
        images = [await self._image(item) for item in (json_of(resp) or {}).get("data") or []]
        if not images:
            raise self.fail("the image answer held no image.")
        return ImageResult(images, Usage(self.name, model, task="image", images=len(images)))

    async def _image(self, item: dict) -> Media:
        if item.get("b64_json"):
            data = base64.b64decode(item["b64_json"])
        elif isinstance(item.get("url"), str):
            fetched = await self.fetch_output(item["url"])  # SSRF-checked unless on the API's own origin
            return Media(fetched.data, sniff(fetched.data[:64]) or "image/png")
        else:
            raise self.fail("an image in the answer had neither b64_json nor url.")
        return Media(data, sniff(data[:64]) or "image/png")

    # -- speech ----------------------------------------------------------------------------------

    async def synthesize(self, request: SpeechRequest) -> AudioResult:
        model = self.model_for("tts", request.model)
        body: dict[str, Any] = {
            "model": model,
            "input": request.text,
            "voice": request.voice or "alloy",
            "response_format": request.format or "mp3",
        }
        if request.speed is not None:
            body["speed"] = request.speed
        resp = await self.request("POST", "/audio/speech", json=body)
        declared = resp.headers.get("content-type", "").split(";")[0].strip()
        content_type = sniff(resp.content[:64]) or AUDIO_TYPES.get(body["response_format"]) or declared
        return AudioResult(
            Media(resp.content, content_type), Usage(self.name, model, task="tts", characters=len(request.text))
        )

    async def transcribe(self, request: TranscriptionRequest) -> Transcript:
        model = self.model_for("stt", request.model)
        verbose = model.startswith("whisper")  # verbose_json carries duration and language
        form: dict[str, Any] = {
            "model": (None, model),
            "response_format": (None, "verbose_json" if verbose else "json"),
        }
        if request.language:
            form["language"] = (None, request.language)
        media = request.audio
        name = filename("audio", media.content_type)
        body = json_of(
            await self.request(
                "POST", "/audio/transcriptions", files={**form, "file": (name, media.data, media.content_type)}
            )
        )
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise self.fail("the transcription answer held no text.", retryable=True)
        seconds = body.get("duration")
        if seconds is None and isinstance(body.get("usage"), dict) and body["usage"].get("type") == "duration":
            seconds = body["usage"].get("seconds")
        if seconds is None:
            seconds = audio.duration(media)
        return Transcript(
            body["text"],
            Usage(self.name, model, task="stt", seconds=seconds),
            language=body.get("language") or request.language or None,
        )


class _Stream(ChatEvents):
    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        events = self.family.events(self.resp)
        try:
            finished = sent = False
            async for sse in events:
                data = sse.data
                if data == "[DONE]":
                    finished = True
                    await _drain(events)
                    break
                if not data:
                    continue
                try:
                    obj = orjson.loads(data)
                except orjson.JSONDecodeError:
                    obj = None
                if not isinstance(obj, dict):
                    raise ProviderError(
                        f"{self.family.name} sent a malformed stream event.", provider=self.family.name, retryable=False
                    )
                if sse.event == "error" or "error" in obj:  # OpenRouter: HTTP 200, then an error event
                    err = obj.get("error", obj)
                    msg = err.get("message") if isinstance(err, dict) else str(err)
                    raise self.family.midstream_error(msg, retryable=not sent)
                if obj.get("usage"):
                    u = obj["usage"]
                    self.usage.prompt_tokens = u.get("prompt_tokens")
                    self.usage.completion_tokens = u.get("completion_tokens")
                    if u.get("estimated_cost") is not None:  # DeepInfra
                        self.usage.cost = u["estimated_cost"]
                if obj.get("model"):
                    self.usage.model = obj["model"]
                for choice in obj.get("choices") or ():
                    delta = choice.get("delta") or {}
                    content = delta.get("content")
                    reasoning = delta.get("reasoning_content") or delta.get("reasoning")
                    if content or reasoning:
                        yield ChatChunk(content or None, reasoning or None)
                        if not sent:  # the first delta has been passed on: let its reader send it
                            sent = True  # before we parse the rest of what arrived with it
                            await asyncio.sleep(0)
                    if choice.get("finish_reason"):
                        finished = True
            if not finished:
                raise self.family.unfinished(sent=sent)
        finally:
            await events.aclose()  # now, not whenever the garbage collector finalizes it


async def _drain(events: AsyncIterator) -> None:
    """Read what follows ``[DONE]`` (the end of the chunked body, usually in the same packet) so the
    connection goes back to the pool instead of being closed; a server that keeps the body open
    past ``DRAIN_SECONDS`` only costs its connection."""
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for _ in events:
                pass
    except (TimeoutError, ProviderError):
        pass
