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

What callers see of a failure is ours, never the upstream's body: ``{provider} answered HTTP
{status}: {safe message}`` where the safe message is the provider's own text only when it is
plain prose (letters and punctuation, short, no token-like words), else a phrase for its error
class (``error_class``); a 401/403 never carries upstream text. The upstream text goes to the
server log with anything key-like redacted (``redact``); a refused credential logs a warning.

Files a provider returns by URL are fetched by ``fetch_output`` (into memory) or ``stream_output``
(chunk by chunk to a writer: a generated video goes to disk as it downloads): through the
SSRF-checked, pinned, size-capped ``WebClient`` (``FLOWAI_MAX_MEDIA_BYTES``); only the provider's own
configured origin is trusted.

Polling families (AssemblyAI, Gladia) use ``poll``: a loop bounded by a timeout, its interval
growing from ``options["poll_interval"]`` (tests make it tiny) to ``options["poll_max_interval"]``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import mimetypes
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Collection, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
import orjson
from httpx_sse import EventSource, ServerSentEvent

from flowai.errors import FlowAIError, ProviderError
from flowai.mediatypes import EXTENSIONS, decode_data_uri, sniff
from flowai.net.web import WebClient

from .base import ChatRequest, ImageRequest, ImageResult, Media, Usage

log = logging.getLogger("flowai.providers")
SSE_JSON = {"Accept": "text/event-stream", "Content-Type": "application/json"}  # JSON in, SSE out
DEFAULT_MAX_MEDIA_BYTES = 2 * 1024**3  # FLOWAI_MAX_MEDIA_BYTES: one file a provider returns
_DATA_URI = re.compile(r"^data:([\w.+-]+/[\w.+-]+);base64,(.*)$", re.S)
_KEYLIKE = re.compile(
    r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"  # an Authorization header echoed back
    r"|(?i:api[_-]?key|apikey|secret|password|token|authorization)[\"']?\s*[:=]\s*[\"']?(?:(?i:bearer|basic)\s+)?[^\s\"',;]+"
    r"|\b(?:sk|pk|rk|gsk|xai|r8|hf|fai|key)[-_][\w-]{4,}"  # provider key shapes (sk-…, r8_…, hf_…, fai_…)
    r"|\bAIza[\w-]{10,}"
    r"|[A-Za-z0-9+/_=-]{32,}"  # any long opaque token
)
_PROSE = re.compile(r"^[A-Za-z][A-Za-z ,.:'()!?]{0,119}$")  # no digits, no _ - / = (keys and paths have them)
_CODE = re.compile(r"^[A-Za-z][A-Za-z_.]{0,63}$")
PHRASES = {
    "provider_auth_failed": "the provider refused its credential",
    "payment_required": "the provider's account needs payment or credit",
    "rate_limited": "rate limited",
    "server_error": "the provider had an internal error",
    "timeout": "the provider timed out",
    "bad_request": "the provider refused the request",
}


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


def error_class(status: int | None) -> str:
    """The class of a provider failure callers may see: ``provider_auth_failed``, ``rate_limited``, ..."""
    if status is None:
        return "unavailable"  # timeout, connection failure, malformed answer
    if status in (401, 403):
        return "provider_auth_failed"
    if status == 402:
        return "payment_required"
    if status == 429:
        return "rate_limited"
    if status == 408:
        return "timeout"
    return "server_error" if status >= 500 else "bad_request"


def redact(text: str, *secrets: str | None) -> str:
    """``text`` for the server log: the given secrets and anything key-like replaced, at most 2,000 chars."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)[:2000]


def safe_message(text: str | None, *, secrets: tuple[str | None, ...] = ()) -> str | None:
    """The upstream's message when it is plain prose a caller may see, else None."""
    text = (text or "").strip()
    if not _PROSE.match(text) or any(len(word) > 24 for word in text.split()):
        return None
    if any(s and s in text for s in secrets) or _KEYLIKE.search(text):
        return None
    return text


def safe_code(code: Any) -> str | None:
    """An upstream error code (``insufficient_quota``) when it is a plain identifier."""
    code = str(code) if code is not None else ""
    return code if _CODE.match(code) and not _KEYLIKE.search(code) else None


def transport_error(name: str, exc: httpx.HTTPError) -> ProviderError:
    """A failure below HTTP: retryable; ``detail.not_sent`` when the request never left (a failed connect)."""
    not_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
    if isinstance(exc, httpx.TimeoutException):
        message = f"{name} timed out ({type(exc).__name__})."
    else:
        message = f"{name} connection failed: {type(exc).__name__}."
    return ProviderError(message, provider=name, detail={"not_sent": True} if not_sent else None)


async def gather(*aws: Coroutine[Any, Any, Any]) -> list[Any]:
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
        allow_private: bool = False,
        max_media_bytes: int | None = None,
    ):
        self.name = name
        self.base_url = (base_url or self.DEFAULT_BASE_URL).rstrip("/")
        self.api_key = api_key
        self.client = client
        self.web = WebClient(client, allow_private=allow_private, max_bytes=max_media_bytes or DEFAULT_MAX_MEDIA_BYTES)
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
        """The failure callers see (status, class, a safe message); the upstream text goes to the log."""
        message, code = self.error_of(json_of(resp))
        status = resp.status_code
        retryable = retryable_status(status) and code not in self.fatal
        kind = error_class(status)
        if status == 403 and code in self.fatal:  # not the key: e.g. Stability's 403 content_moderation
            kind = "bad_request"
        self.log_upstream(f"answered HTTP {status}", resp.text, auth=kind == "provider_auth_failed")
        safe = None if kind == "provider_auth_failed" else safe_message(message, secrets=(self.api_key,))
        code = safe_code(code)
        text = (safe or PHRASES[kind]).rstrip(".") + (f" ({code})" if code else "") + "."
        return ProviderError(
            f"{self.name} answered HTTP {status}: {text}",
            provider=self.name,
            http_status=status,
            retry_after=retry_after(resp.headers),
            retryable=retryable,
            detail={"code": code} if code else None,
            kind=kind,
        )

    def log_upstream(self, what: str, text: str, *, auth: bool = False) -> None:
        """The provider's own words, for the admin: key-like parts redacted; a refused credential warns."""
        text = redact(text.strip(), self.api_key)
        if auth:
            log.warning(
                "%s %s: its credential was refused; check the key on the Providers page. It said: %s",
                self.name,
                what,
                text,
            )
        else:
            log.info("%s %s: %s", self.name, what, text)

    def fail(self, message: str, *, retryable: bool = False, status: int | None = None) -> ProviderError:
        """A failure the provider reported inside a successful answer (filtered, job error, ...);
        anything key-like in what it said is redacted."""
        return ProviderError(
            f"{self.name}: {redact(message, self.api_key)}", provider=self.name, http_status=status, retryable=retryable
        )

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
        self, model: str, request: ImageRequest, one: Callable[[int | None], Coroutine[Any, Any, Media]]
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

    async def events(self, resp: httpx.Response) -> AsyncGenerator[ServerSentEvent, None]:
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
        """An error event inside a stream that began with HTTP 200 (its text as ``http_error`` treats it)."""
        self.log_upstream("failed mid-stream", str(message))
        safe = safe_message(str(message), secrets=(self.api_key,)) or "the provider reported an error"
        return ProviderError(
            f"{self.name} failed mid-stream: {safe}", provider=self.name, http_status=status, retryable=retryable
        )

    def unfinished(self, *, sent: bool) -> ProviderError:
        """The stream ended without its closing event: retryable while nothing was passed on."""
        return ProviderError(
            f"{self.name} closed the stream before it finished.", provider=self.name, retryable=not sent
        )

    # -- files the provider returns ---------------------------------------------------------------

    async def fetch_output(self, url: str) -> Media:
        """A file the provider answered with, by URL or data: URI. Its own configured origin is trusted
        (and gets the key); any other URL passes the SSRF check at every hop, is pinned to the checked
        address and capped at ``max_media_bytes``. A refused URL is a non-retryable ProviderError."""
        try:
            if url.startswith("data:"):
                return Media(*decode_data_uri(url, self.web.max_bytes))
            auth = self.auth_headers() if _same_origin(url, self.base_url) else {}
            resp = await self.web.request(
                "GET", url, headers=auth, what="provider output URL", trusted=self.base_url, timeout=300.0
            )
        except FlowAIError as exc:
            raise ProviderError(
                f"{self.name} answered with an output file that was refused: {exc.message}",
                provider=self.name,
                retryable=False,
            ) from None
        if resp.status >= 400:
            raise ProviderError(
                f"{self.name}: downloading an output file answered HTTP {resp.status}.",
                provider=self.name,
                http_status=resp.status,
                retryable=resp.status >= 500,
            )
        return Media(resp.body, sniff(resp.body[:64]) or resp.content_type or "application/octet-stream")

    async def stream_output(self, url: str, write: Callable[[bytes], Awaitable[None]]) -> str:
        """Like ``fetch_output``, but the file goes to ``write`` chunk by chunk as it downloads (a
        generated video is never held whole); returns the type the provider declared. A status >= 400
        writes nothing and raises (retryable for a 5xx)."""
        try:
            if url.startswith("data:"):
                media = Media(*decode_data_uri(url, self.web.max_bytes))
                await write(media.data)
                return media.content_type
            auth = self.auth_headers() if _same_origin(url, self.base_url) else {}
            status, kind = await self.web.download(
                url, write, headers=auth, what="provider output URL", trusted=self.base_url, timeout=300.0
            )
        except FlowAIError as exc:
            raise ProviderError(
                f"{self.name} answered with an output file that was refused: {exc.message}",
                provider=self.name,
                retryable=False,
            ) from None
        if status >= 400:
            raise ProviderError(
                f"{self.name}: downloading an output file answered HTTP {status}.",
                provider=self.name,
                http_status=status,
                retryable=status >= 500,
            )
        return kind

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
    try:
        a, b = httpx.URL(url), httpx.URL(base_url)
    except httpx.InvalidURL:
        return False
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)
