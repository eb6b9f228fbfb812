"""The sans-IO part of the client: request bodies, answers to results or typed errors, the retry
policy, the SSE decoder, and finding and naming the files a run produced. No I/O happens here."""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ._errors import FlowAIError, RateLimitedError, TransportError, error_for
from ._types import ErrorEvent, Event, MsgEvent, OutputEvent, RunResult, RunStatus, StreamEvent

RUN_PATH = "/v1/api/workflow/run/{workflow_id}"
STATUS_PATH = "/v1/api/workflow/runs/{run_id}"
EVENTS_PATH = "/v1/api/workflow/runs/{run_id}/events"
FILE_URL = re.compile(r"^(?:https?://[^/\s]+)?/files/([0-9a-f]{32})(?:\?[^\s]*)?$")
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/svg+xml": "svg",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "application/pdf": "pdf",
    "application/json": "json",
    "text/plain": "txt",
    "text/markdown": "md",
    "text/csv": "csv",
}


def run_body(
    run_input: Mapping[str, Any],
    *,
    version: int | None = None,
    stream: bool = False,
    detail: bool = False,
    async_: bool = False,
    callback_url: str | None = None,
) -> dict[str, Any]:
    """The body of ``POST /v1/api/workflow/run/{id}``: only the fields that differ from the defaults."""
    body: dict[str, Any] = {"input": dict(run_input)}
    if version is not None:
        body["version"] = version
    if stream:
        body["stream"] = True
    if detail:
        body["detail"] = True
    if async_:
        body["async"] = True
    if callback_url:
        body["callback_url"] = callback_url
    return body


# -- answers -------------------------------------------------------------------------------------


def retry_after(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (a number or an HTTP date), None when absent or unreadable."""
    raw = (headers.get("retry-after") or "").strip()
    if not raw:
        return None
    try:
        return max(float(raw), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def error_from(status: int, headers: Mapping[str, str], content: bytes, run_id: str | None = None) -> FlowAIError:
    """The typed error of a non-2xx answer (the API's ``{"code", "message", "detail"}`` when it is one)."""
    try:
        body = json.loads(content) if content else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), int) and isinstance(body.get("message"), str):
        code, message, detail = body["code"], body["message"], body.get("detail")
    else:
        text = content[:200].decode("utf-8", "replace").strip()
        code, message, detail = None, f"HTTP {status}" + (f": {text}" if text else ""), None
    return error_for(
        code, status, message, detail=detail, run_id=run_id or headers.get("x-run-id"), retry_after=retry_after(headers)
    )


def result_from(body: Any, run_id: str | None) -> RunResult:
    if not isinstance(body, dict) or "output" not in body:
        raise FlowAIError("The server's answer has no 'output'.", detail=body, run_id=run_id)
    output = body["output"]
    return RunResult(output, body.get("total_time"), body.get("run_id") or run_id, body.get("usage"), files_in(output))


def status_from(body: Any) -> RunStatus:
    if not isinstance(body, dict) or "status" not in body:
        raise FlowAIError("The server's answer has no run 'status'.", detail=body)
    return RunStatus(body["run_id"], body["status"], body.get("output"), body.get("total_time"), body.get("error"))


def result_of_status(status: RunStatus) -> RunResult:
    """A finished async run's result, or its error raised."""
    if status.status == "completed":
        return RunResult(status.output, status.total_time, status.run_id, None, files_in(status.output))
    error = status.error or {}
    raise error_for(
        error.get("code") or 50001,
        0,
        error.get("message") or f"The run ended {status.status}.",
        detail=error.get("detail"),
        run_id=status.run_id,
    )


# -- retries -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry 429 and 5xx answers and failed connections, ``max_retries`` times, waiting ``Retry-After``
    when the server gives it, else ``backoff * 2**attempt`` (jittered, at most ``max_backoff``).
    A ``Retry-After`` longer than ``max_retry_after`` is not waited for: the error is raised."""

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0

    def delay(self, attempt: int, error: FlowAIError) -> float | None:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0), or None: give up."""
        if attempt >= self.max_retries or not retryable(error):
            return None
        if error.retry_after is not None:
            return error.retry_after if error.retry_after <= self.max_retry_after else None
        base = min(self.max_backoff, self.backoff * 2**attempt)
        return base * (0.5 + random.random() / 2)


def retryable(error: FlowAIError) -> bool:
    if isinstance(error, TransportError):
        return True
    if isinstance(error, RateLimitedError):
        return error.code == 42901  # a spent daily budget (42902) does not come back by retrying
    return error.status >= 500


# -- server-sent events ---------------------------------------------------------------------------


class SSEDecoder:
    """Lines in, events out (the SSE format: ``id:``, ``event:``, ``data:`` lines, a blank line ends one;
    ``:`` comments such as pings are skipped)."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> Event | None:
        if not line:
            event, data, id_ = self._event, self._data, self._id
            self._event, self._data, self._id = "", [], None
            return event_from(event or "message", "\n".join(data), id_) if data else None
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            self._id = value
        return None


def event_from(name: str, data: str, id_: str | None) -> Event | None:
    """A typed event of FlowAI's stream; None for events of other names."""
    try:
        d = json.loads(data)
    except ValueError:
        raise FlowAIError(f"An event's data is not JSON: {data[:100]!r}") from None
    seq = int(id_) if id_ and id_.isdigit() else None
    if name == "msg":
        return MsgEvent(d.get("Node"), d.get("Msg", ""), d.get("Type", ""), d.get("Data"), seq)
    if name == "stream":
        return StreamEvent(d.get("Content") or "", d.get("Node"), d.get("Reasoning"), seq)
    if name == "output":
        return OutputEvent(d.get("output"), d.get("total_time"), d.get("run_id"), d.get("usage"), seq)
    if name == "error":
        return ErrorEvent(d.get("Node"), int(d.get("code") or 50001), d.get("message", ""), seq)
    return None


def raise_for_event(event: ErrorEvent, run_id: str | None) -> None:
    raise error_for(event.code, 0, event.message, node=event.node, run_id=run_id)


# -- files ---------------------------------------------------------------------------------------


def files_in(value: Any) -> list[str]:
    """The file URLs a run produced (the server's ``/files/<id>`` links), in order, each once."""
    found: dict[str, None] = {}

    def walk(v: Any) -> None:
        if isinstance(v, str):
            if FILE_URL.match(v):
                found.setdefault(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)

    walk(value)
    return list(found)


def extension(content_type: str | None, url: str = "") -> str:
    """A file extension (no dot) from a Content-Type, else from the URL's path, else ``bin``."""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in EXTENSIONS:
        return EXTENSIONS[mime]
    suffix = urlsplit(url).path.rpartition("/")[2].rpartition(".")[2]
    return suffix.lower() if suffix and suffix.isalnum() and len(suffix) <= 5 else "bin"


def file_id(url: str) -> str:
    m = FILE_URL.match(url)
    return m.group(1) if m else urlsplit(url).path.rstrip("/").rpartition("/")[2] or "file"


class _Attrs(dict):
    """A dict whose keys read as attributes too, so a name template may say ``{input.name}``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def format_name(template: str, *, index: int, input: Mapping[str, Any], ext: str, n: int = 0, **extra: Any) -> str:
    """A file name from a template: ``{index}``, ``{input.<field>}`` (or ``{input[<field>]}``), ``{ext}``,
    ``{n}`` (the file's number within its run, from 0) and any ``extra``. Raises ValueError on a
    template naming something that does not exist."""
    try:
        return template.format(index=index, input=_Attrs(input), ext=ext, n=n, **extra)
    except (KeyError, AttributeError, IndexError, ValueError) as exc:
        raise ValueError(f"The name template {template!r} cannot be filled: {exc!r}") from None


def numbered(name: str, n: int) -> str:
    """The name of a run's ``n``-th file when the template has no ``{n}``: ``a.png``, ``a_1.png``, ..."""
    if n == 0:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}_{n}.{ext}" if dot and stem else f"{name}_{n}"
