"""Replicate as a multimodal chat provider: a vision-language model answers image + text.

The model is chosen by the admin (``[models.replicate] multimodal = "owner/name:version"`` in
``providers.toml``, or ``REPLICATE_MULTIMODAL_MODEL``); without one Replicate is not a
multimodal candidate and the router's error says exactly that. The chat's text parts become the
model's ``prompt`` (earlier turns as ``User:`` / ``Assistant:`` lines, the system prompt
first), the last image part its ``image`` (an https URL as is; a data URI as is when small,
else uploaded to Replicate's Files API). ``max_tokens`` and ``temperature`` are sent when the
model's input schema has them (LLaVA-style models do). The prediction runs like any other
(``Prefer: wait``, then polling; cancelled with the caller); its text output (a list of tokens,
as Replicate's language models answer) is one chunk of the stream.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from flowai.errors import FlowAIError, ProviderError
from flowai.mediatypes import decode_data_uri

from .base import ChatChunk, ChatRequest, Media, Usage
from .replicate import DATA_URI_MAX, Replicate

MAX_IMAGE = 100 * 1024 * 1024  # the Files API's limit
NO_MODEL = (
    "has a key but no multimodal model: choose a vision-language model in providers.toml "
    '([models.replicate] multimodal = "owner/name:version") or set REPLICATE_MULTIMODAL_MODEL'
)


class ReplicateChat(Replicate):
    """The Replicate family with the multimodal chat task (``stream_chat``)."""

    def serves(self, task: str) -> bool:
        """Image always; multimodal only with a chosen vision-language model."""
        return self.unserved(task) is None

    def unserved(self, task: str) -> str | None:
        """Why it cannot serve ``task`` as configured (None: it can)."""
        if task == "multimodal" and not self.models.get("multimodal"):
            return NO_MODEL
        return None

    @asynccontextmanager
    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[_Answer]:
        model = request.model or self.models.get("multimodal")
        if not model:
            raise ProviderError(f"{self.name} {NO_MODEL}", provider=self.name, retryable=False)
        prompt, image = _prompt_and_image(request.messages)
        inputs: dict[str, Any] = {"prompt": prompt}
        if image:
            inputs["image"] = await self._image_input(image)
        schema, _ = await self.schemas_or_none(model)
        known = (schema or {}).get("properties") or {}
        if request.max_tokens is not None and "max_tokens" in known:
            inputs["max_tokens"] = request.max_tokens
        if request.temperature is not None and "temperature" in known:
            inputs["temperature"] = request.temperature
        prediction = await self.predict(model, inputs)
        output = prediction.get("output")
        text = "".join(str(t) for t in output) if isinstance(output, list) else str(output or "")
        seconds = (prediction.get("metrics") or {}).get("predict_time")
        usage = Usage(self.name, model, task="multimodal", seconds=float(seconds) if seconds is not None else None)
        yield _Answer(text, usage)

    async def _image_input(self, url: str) -> str:
        if not url.startswith("data:") or len(url) < DATA_URI_MAX:
            return url
        try:
            media = Media(*decode_data_uri(url, MAX_IMAGE))
        except FlowAIError as exc:
            raise ProviderError(exc.message, provider=self.name, retryable=False) from None
        return await self.file_input(media)


class _Answer:
    """A finished prediction's text as a chat stream of one chunk."""

    def __init__(self, text: str, usage: Usage):
        self.text = text
        self.usage = usage

    async def __aiter__(self) -> AsyncIterator[ChatChunk]:
        if self.text:
            yield ChatChunk(content=self.text)


def _prompt_and_image(messages: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The text of the conversation as one prompt, and the last image's URL."""
    system, turns, image = [], [], None
    for message in messages:
        content = message.get("content")
        parts = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
        texts = []
        for part in parts:
            if not isinstance(part, dict):
                continue
            if part.get("type") == "image_url":
                url = part.get("image_url")
                image = url.get("url") if isinstance(url, dict) else url
            elif part.get("text"):
                texts.append(str(part["text"]))
        text = "\n".join(texts)
        if message.get("role") == "system":
            system.append(text)
        elif text:
            turns.append((message.get("role") or "user", text))
    if len(turns) == 1:
        body = turns[0][1]
    else:
        body = "\n".join(f"{'Assistant' if role == 'assistant' else 'User'}: {text}" for role, text in turns)
    return "\n\n".join([*system, body]) if system else body, image
