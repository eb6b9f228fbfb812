"""What every provider family client shares: its constructor, and HTTP failures as ProviderErrors.

A family is a thin class over the shared ``httpx.AsyncClient``. It subclasses ``Family``, says
how its error bodies read (``error_of``), and calls ``request`` / ``open_stream``; every
failure leaves those as a ``ProviderError``:

    transport error (connect, read, timeout)  -> retryable, no status
    408 / 429 / 5xx / 529                     -> retryable, ``retry_after`` from the headers
    any other 4xx                             -> not retryable
    a code the family lists in ``fatal``      -> not retryable, whatever the status (quota, billing)

Streaming chat families (Anthropic, Cohere, Gemini) ``post_sse`` their request, read it with
``json_events`` (one place says "malformed stream event") in a ``ChatEvents`` subclass, and end
a broken stream with ``midstream_error`` or ``unfinished``.

Polling families (AssemblyAI, Gladia) use ``poll``: a loop bounded by a timeout, its interval
growing from ``options["poll_interval"]`` (tests make it tiny) to ``options["poll_max_interval"]``.
"""

from __future__ import annotations

import asyncio
import email.utils
import mimetypes
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
import orjson
from httpx_sse import EventSource, ServerSentEvent

from flowai.errors import ProviderError
from flowai.mediatypes import EXTENSIONS

from .base import ChatRequest, ImageRequest, ImageResult, Media, Usage

SSE_JSON = {"Accept": "text/event-stream", "Content-Type": "application/json"}  # JSON in, SSE out
_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+);base64,(.*)$", re.S)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retryable_status(status: int) -> bool:
    return status in (408, 425, 429) or status >= 500


def transport_error(name: str, exc: httpx.TransportError) -> ProviderError:
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(f"{name} timed out ({type(exc).__name__}).", provider=name)
    return ProviderError(f"{name} connection failed: {type(exc).__name__}.", provider=name)


async def gather(*aws: Awaitable[Any]) -> list[Any]:
    """Await concurrently; on the first failure cancel the rest and raise that failure itself."""
    try:
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(aw) for aw in aws]
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    return [t.result() for t in tasks]


def filename(stem: str, content_type: str) -> str:
    """A file name whose extension matches the type: some APIs read the format from it."""
    return stem + (EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or "")


def json_of(resp: httpx.Response) -> Any:
    """The response body as JSON, or None when it is not JSON."""
    try:
        return resp.json()
    except ValueError:
        return None


def data_uri(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a ``data:...;base64,`` URI; None for any other URL."""
    m = _DATA_URI.match(url)
    return (m.group(1), m.group(2)) if m else None


def only_set(**fields: Any) -> dict[str, Any]:
    """The fields whose value is not None: optional request settings, left out when unset."""
    return {k: v for k, v in fields.items() if v is not None}


def sampling(request: ChatRequest) -> dict[str, Any]:
    """The chat request's settings under OpenAI's field names, only those set (Cohere v2 shares the names)."""
    return only_set(
        temperature=request.temperature,
        max_tokens=request.max_tokens,
        response_format={"type": "json_object"} if request.json_output else None,
    )


class Family:
    """Base of a protocol family client: ``Family(name, *, base_url, api_key, client, models, options)``."""

    DEFAULT_BASE_URL: ClassVar[str] = ""
    DEFAULT_MODELS: ClassVar[dict[str, str]] = {}  # task -> model used when neither request nor config names one
    fatal: ClassVar[frozenset[str]] = frozenset()  # error codes never worth retrying (quota, billing, filter)

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        client: httpx.AsyncClient,
        models: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
    ):
        self.name = name
        self.base_url = (base_url or self.DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key
        self.client = client
        self.models = {**self.DEFAULT_MODELS, **{k: v for k, v in (models or {}).items() if v}}
        self.options = options or {}
        self.poll_interval = float(self.options.get("poll_interval") or 0.5)  # first wait; grows x1.5
        self.poll_max_interval = max(self.poll_interval, float(self.options.get("poll_max_interval") or 5.0))
        self.poll_timeout = float(self.options.get("poll_timeout") or 900.0)

    def model_for(self, task: str, requested: str = "") -> str:
        return requested or self.models.get(task, "")

    # -- errors ----------------------------------------------------------------------------------

    def error_of(self, body: Any) -> tuple[str | None, str | None]:
        """(message, code) from an error body of this provider; override per family."""
        if isinstance(body, dict):
            err = body.get("error", body)
            if isinstance(err, dict):
                return err.get("message"), err.get("code") or err.get("type")
            if isinstance(err, str):
                return err, None
            if isinstance(body.get("message"), str):
                return body["message"], None
        return None, None

    def http_error(self, resp: httpx.Response) -> ProviderError:
        message, code = self.error_of(json_of(resp))
        status = resp.status_code
        if not message:
            text = resp.text.strip() if resp.headers.get("content-type", "").startswith("text/") else ""
            message = text[:300] or resp.reason_phrase or "error"
        retryable = retryable_status(status) and code not in self.fatal
        return ProviderError(
            f"{self.name} answered HTTP {status}: {message}",
            provider=self.name,
            http_status=status,
            retry_after=retry_after(resp.headers),
            retryable=retryable,
            detail={"code": code} if code else None,
        )

    def fail(self, message: str, *, retryable: bool = False, status: int | None = None) -> ProviderError:
        """A failure the provider reported inside a successful answer (filtered, job error, ...)."""
        return ProviderError(f"{self.name}: {message}", provider=self.name, http_status=status, retryable=retryable)

    def need(self, body: Any, key: str) -> Any:
        """``body[key]``, or a retryable ProviderError saying the answer lacked it."""
        value = body.get(key) if isinstance(body, dict) else None
        if value in (None, ""):
            raise self.fail(f"the answer lacked {key!r}.", retryable=True)
        return value

    # -- HTTP ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request; a status >= 400 or a transport failure raises ProviderError."""
        url = self.url(path)
        auth = self.auth_headers() if _same_origin(url, self.base_url) else {}  # a key never leaves its API
        try:
            resp = await self.client.request(method, url, headers={**auth, **(headers or {})}, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(self.name, exc) from None
        if resp.status_code >= 400:
            raise self.http_error(resp)
        return resp

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = await self.request(method, path, **kwargs)
        body = json_of(resp)
        if body is None:
            raise self.fail(
                f"answered HTTP {resp.status_code} with a body that is not JSON.",
                retryable=True,
                status=resp.status_code,
            )
        return body

    async def image_per_call(
        self, model: str, request: ImageRequest, one: Callable[[int | None], Awaitable[Media]]
    ) -> ImageResult:
        """``request.n`` images (at least one) from an API that makes one a call, called concurrently:
        ``one(seed)``, the seed being the request's plus the image's index (None without a seed)."""
        seeds = [None if request.seed is None else request.seed + i for i in range(max(1, request.n))]
        images = await gather(*(one(seed) for seed in seeds))
        return ImageResult(images, Usage(self.name, model, task="image", images=len(images)))

    @asynccontextmanager
    async def open_stream(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> AsyncIterator[httpx.Response]:
        """A streamed response, its status checked; transport errors inside the block are mapped too."""
        try:
            async with self.client.stream(
                method, self.url(path), headers={**self.auth_headers(), **(headers or {})}, **kwargs
            ) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise self.http_error(resp)
                yield resp
        except httpx.TransportError as exc:
            raise transport_error(self.name, exc) from None

    async def events(self, resp: httpx.Response) -> AsyncIterator[ServerSentEvent]:
        """The SSE events of a response (comments such as ``: OPENROUTER PROCESSING`` are skipped)."""
        try:
            async for sse in EventSource(resp).aiter_sse():
                yield sse
        except httpx.TransportError as exc:
            raise transport_error(self.name, exc) from None

    @asynccontextmanager
    async def post_sse(self, path: str, body: dict[str, Any], **kwargs: Any) -> AsyncIterator[httpx.Response]:
        """POST ``body`` as JSON and stream the answer's server-sent events (checked as ``open_stream``)."""
        async with self.open_stream("POST", path, content=orjson.dumps(body), headers=SSE_JSON, **kwargs) as resp:
            yield resp

    async def json_events(
        self, resp: httpx.Response, *, ignore: Collection[str] = ()
    ) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """(event name, JSON object) of each SSE event; events without data, or whose data is in
        ``ignore``, are passed over; data that is not a JSON object raises a non-retryable ProviderError."""
        async for sse in self.events(resp):
            if not sse.data or sse.data in ignore:
                continue
            try:
                data = orjson.loads(sse.data)
            except orjson.JSONDecodeError:
                data = None
            if not isinstance(data, dict):
                raise ProviderError(f"{self.name} sent a malformed stream event.", provider=self.name, retryable=False)
            yield sse.event, data

    def midstream_error(self, message: Any, *, retryable: bool, status: int | None = None) -> ProviderError:
        """An error event inside a stream that began with HTTP 200."""
        return ProviderError(
            f"{self.name} failed mid-stream: {message}", provider=self.name, http_status=status, retryable=retryable
        )

    def unfinished(self, *, sent: bool) -> ProviderError:
        """The stream ended without its closing event: retryable while nothing was passed on."""
        return ProviderError(
            f"{self.name} closed the stream before it finished.", provider=self.name, retryable=not sent
        )

    # -- polling ---------------------------------------------------------------------------------

    async def poll(self, fetch: Callable[[], Awaitable[dict]], done: Callable[[dict], bool], *, what: str) -> dict:
        """Call ``fetch`` until ``done(answer)``: first after ``poll_interval`` seconds, then 1.5 times
        longer each time up to ``poll_max_interval`` (short jobs end fast, long ones are not
        hammered); bounded by ``poll_timeout``."""
        deadline = time.monotonic() + self.poll_timeout
        interval = self.poll_interval
        while True:
            answer = await fetch()
            if done(answer):
                return answer
            if time.monotonic() + interval > deadline:
                raise ProviderError(
                    f"{self.name}: {what} did not finish within {self.poll_timeout:g} s.", provider=self.name
                )
            await asyncio.sleep(interval)
            interval = min(interval * 1.5, self.poll_max_interval)


class ChatEvents:
    """A streamed chat answer: the family that opened it, its response, and the ``Usage`` it fills
    in as events arrive. A family subclasses it with an ``__aiter__`` yielding ``ChatChunk``."""

    def __init__(self, family: Family, resp: httpx.Response, usage: Usage):
        self.family, self.resp, self.usage = family, resp, usage


def _same_origin(url: str, base_url: str) -> bool:
    a, b = httpx.URL(url), httpx.URL(base_url)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)
