"""The small interfaces a provider family implements, one per task type.

Task types: ``text`` and ``multimodal`` (chat; multimodal messages carry image
parts), ``image`` (text→image, optional reference image), ``tts`` (text→audio) and ``stt``
(audio→text). A provider family class implements the protocols of the tasks it serves:

    ChatProvider.stream_chat(ChatRequest)       -> async context manager of a ChatStream
    ImageProvider.generate_image(ImageRequest)  -> ImageResult
    SpeechProvider.synthesize(SpeechRequest)    -> AudioResult
    TranscriptionProvider.transcribe(TranscriptionRequest) -> Transcript

Every failure of an upstream call is raised as ``flowai.errors.ProviderError`` carrying the
provider name, the HTTP status, ``retry_after`` (seconds) and ``retryable`` (True for 429 /
5xx / timeouts / connection errors; False for a 4xx caused by the request, a content
filter, or a non-retryable quota/billing error). The router decides about fallback; a
family client never retries or falls back by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TASKS = ("text", "image", "stt", "tts", "multimodal")


@dataclass(slots=True)
class Usage:
    """What one call cost: the provider and model that served it, and its metered units."""

    provider: str
    model: str
    task: str = "text"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    characters: int | None = None  # tts: characters synthesised
    seconds: float | None = None  # stt: seconds of audio; video: seconds generated
    images: int | None = None  # image: images produced
    cost: float | None = None  # USD estimate (the router fills it from the price table if None)
    fallbacks: list[dict[str, Any]] = field(default_factory=list)  # earlier attempts: provider, reason, status

    def as_dict(self) -> dict[str, Any]:
        total = None
        if self.prompt_tokens is not None or self.completion_tokens is not None:
            total = (self.prompt_tokens or 0) + (self.completion_tokens or 0)
        out = {
            "provider": self.provider,
            "model": self.model,
            "task": self.task,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": total,
            "cost": self.cost,
            "fallbacks": self.fallbacks,
        }
        for name in ("characters", "seconds", "images"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out


ChatUsage = Usage  # the name the chat code grew up with


@dataclass(frozen=True, slots=True)
class Media:
    """Bytes of an image, audio or video file with their MIME type (``image/png``, ``audio/mpeg``)."""

    data: bytes
    content_type: str


# -- chat (text, multimodal) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """OpenAI-shaped messages. A multimodal user message has ``content`` as a list of parts:
    ``{"type": "text", "text": ...}`` and ``{"type": "image_url", "image_url": {"url": ...}}``
    (an https URL or a ``data:<mime>;base64,...`` URI). Families translate to their own shape."""

    messages: list[dict[str, Any]]
    model: str = ""
    temperature: float | None = None
    max_tokens: int | None = None
    json_output: bool = False


@dataclass(frozen=True, slots=True)
class ChatChunk:
    content: str | None = None
    reasoning: str | None = None


class ChatStream(Protocol):
    usage: Usage  # filled in while streaming (tokens arrive with the last chunk)

    def __aiter__(self) -> AsyncIterator[ChatChunk]: ...


@runtime_checkable
class ChatProvider(Protocol):
    name: str

    def stream_chat(self, request: ChatRequest) -> AbstractAsyncContextManager[ChatStream]:
        """Open a streaming chat call. Errors before the first chunk raise on enter or on the
        first ``anext``; errors after it raise ProviderError(retryable=False) while iterating."""


# -- image -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageRequest:
    prompt: str
    model: str = ""  # empty: the provider's default image model
    negative_prompt: str = ""
    aspect_ratio: str = "1:1"
    n: int = 1
    seed: int | None = None
    reference_image: Media | None = None  # image-to-image / editing source
    params: dict[str, Any] = field(default_factory=dict)  # provider-specific extras


@dataclass(slots=True)
class ImageResult:
    images: list[Media]
    usage: Usage


@runtime_checkable
class ImageProvider(Protocol):
    name: str

    async def generate_image(self, request: ImageRequest) -> ImageResult: ...


# -- speech ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    text: str
    voice: str = ""  # empty: the provider's default voice
    model: str = ""
    format: str = "mp3"
    speed: float | None = None


@dataclass(slots=True)
class AudioResult:
    audio: Media
    usage: Usage


@runtime_checkable
class SpeechProvider(Protocol):
    name: str

    async def synthesize(self, request: SpeechRequest) -> AudioResult: ...


@dataclass(frozen=True, slots=True)
class TranscriptionRequest:
    audio: Media
    language: str = ""  # empty: detect
    model: str = ""


@dataclass(slots=True)
class Transcript:
    text: str
    usage: Usage
    language: str | None = None


@runtime_checkable
class TranscriptionProvider(Protocol):
    name: str

    async def transcribe(self, request: TranscriptionRequest) -> Transcript: ...


# -- who a call is for -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """The run a provider call belongs to: budgets are per workflow, usage is attributed to it."""

    workflow_id: str | None = None
    owner_id: int | None = None
    run_id: str | None = None
    node_id: str | None = None

    @classmethod
    def of(cls, ctx: Any) -> Scope:
        """The scope of a running node (its ``NodeContext``)."""
        return cls(
            getattr(ctx, "workflow_id", None),
            getattr(ctx, "owner_id", None),
            getattr(ctx, "run_id", None),
            getattr(ctx, "node_id", None),
        )


@runtime_checkable
class Checkable(Protocol):
    async def check(self) -> str:
        """A cheap authenticated call (list models, account info) for "test connection";
        returns a short human description, raises ProviderError on failure."""


TASK_INTERFACES: dict[str, type] = {
    "text": ChatProvider,
    "multimodal": ChatProvider,
    "image": ImageProvider,
    "tts": SpeechProvider,
    "stt": TranscriptionProvider,
}
_SERVES: dict[tuple[type, str], bool] = {}


def serves(client: object, task: str) -> bool:
    """Whether a provider client implements the interface of a task type (cached per class)."""
    key = (type(client), task)
    found = _SERVES.get(key)
    if found is None:
        interface = TASK_INTERFACES.get(task)
        found = _SERVES[key] = interface is not None and isinstance(client, interface)
    return found


def task_call(client: object, task: str) -> Callable[[Any], Any]:
    """The client's call for an image, tts or stt task, through that task's interface."""
    if isinstance(client, ImageProvider) and task == "image":
        return client.generate_image
    if isinstance(client, SpeechProvider) and task == "tts":
        return client.synthesize
    if isinstance(client, TranscriptionProvider) and task == "stt":
        return client.transcribe
    raise TypeError(f"{type(client).__name__} does not serve the {task} task")
