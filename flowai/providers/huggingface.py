"""Hugging Face Inference Providers (providers.md B4) through ``router.huggingface.co``.

Text-to-image: ``POST /hf-inference/models/{repo}`` with ``{"inputs", "parameters"}`` answers
image bytes. Speech recognition (Whisper): the same route with raw audio answers ``{"text"}``.
Chat: the router's OpenAI-compatible ``/v1``. Errors are ``{"error": "..."}``; a 503 while a
model loads carries ``estimated_time``, used as the retry delay.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from flowai.mediatypes import sniff

from . import audio
from .base import ChatRequest, ImageRequest, ImageResult, Media, Transcript, TranscriptionRequest, Usage
from .family import Family, json_of
from .openai_compat import OpenAICompatible

# aspect ratio -> (width, height) near one megapixel, multiples of 64
DIMENSIONS = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "4:3": (1152, 896),
    "3:4": (896, 1152),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "21:9": (1536, 640),
    "9:21": (640, 1536),
}


class HuggingFace(Family):
    DEFAULT_BASE_URL = "https://router.huggingface.co"
    DEFAULT_MODELS = {
        "text": "meta-llama/Llama-3.1-8B-Instruct",
        "image": "black-forest-labs/FLUX.1-schnell",
        "stt": "openai/whisper-large-v3",
    }

    def __init__(self, name: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self.chat = OpenAICompatible(
            name,
            base_url=self.base_url + "/v1",
            api_key=self.api_key,
            client=self.client,
            models={"text": self.models.get("text", "")},
            options=self.options,
        )

    def http_error(self, resp: httpx.Response):
        err = super().http_error(resp)
        body = json_of(resp)
        if err.retry_after is None and isinstance(body, dict) and isinstance(body.get("estimated_time"), (int, float)):
            err.retry_after = float(body["estimated_time"])
        return err

    async def check(self) -> str:
        return await self.chat.check()

    def stream_chat(self, request: ChatRequest):
        return self.chat.stream_chat(request)

    def _route(self, repo: str) -> str:
        return f"/hf-inference/models/{repo}"

    async def generate_image(self, request: ImageRequest) -> ImageResult:
        model = self.model_for("image", request.model)
        width, height = DIMENSIONS.get(request.aspect_ratio, (1024, 1024))
        parameters: dict[str, Any] = {"width": width, "height": height, **request.params}
        if request.negative_prompt:
            parameters["negative_prompt"] = request.negative_prompt

        async def one(seed: int | None) -> Media:
            p = dict(parameters)
            if seed is not None:
                p["seed"] = seed
            resp = await self.request(
                "POST",
                self._route(model),
                json={"inputs": request.prompt, "parameters": p},
                headers={"Accept": "image/png"},
            )
            kind = sniff(resp.content[:64])
            if not kind or not kind.startswith("image/"):
                raise self.fail("the answer was not an image.", retryable=True, status=resp.status_code)
            return Media(resp.content, kind)

        return await self.image_per_call(model, request, one)

    async def transcribe(self, request: TranscriptionRequest) -> Transcript:
        model = self.model_for("stt", request.model)
        media = request.audio
        if request.language:  # JSON form, so generation options can ride along
            resp = await self.request(
                "POST",
                self._route(model),
                json={
                    "inputs": base64.b64encode(media.data).decode(),
                    "parameters": {"generate_kwargs": {"language": request.language}},
                },
            )
        else:
            resp = await self.request(
                "POST", self._route(model), content=media.data, headers={"Content-Type": media.content_type}
            )
        body = json_of(resp)
        if isinstance(body, list) and body:
            body = body[0]
        if not isinstance(body, dict) or not isinstance(body.get("text"), str):
            raise self.fail("the transcription answer held no text.", retryable=True)
        return Transcript(
            body["text"].strip(),
            Usage(self.name, model, task="stt", seconds=audio.duration(media)),
            language=request.language or None,
        )
