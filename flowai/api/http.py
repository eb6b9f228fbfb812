"""Shared HTTP helpers: error responses, bounded JSON bodies, client-disconnect watching."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from flowai.errors import FlowAIError, InputError, RateLimitedError, TooLargeError
from flowai.platform import Platform

log = logging.getLogger("flowai.api")

STATUS_CODES = {400: 40001, 401: 40101, 403: 40301, 404: 40401, 405: 40001, 413: 40003, 429: 42901}


def platform_of(conn: HTTPConnection) -> Platform:
    """The platform the app was built with (``create_app`` puts it on the app's state)."""
    platform: Platform = conn.app.state.platform
    return platform


class JSON(Response):
    """JSON with UTF-8 kept as is (not \\u-escaped), via orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_response(exc: FlowAIError, headers: dict[str, str] | None = None) -> JSON:
    headers = dict(headers or {})
    retry_after: float = getattr(exc, "retry_after", None) or 0
    if isinstance(exc, RateLimitedError) or (exc.status == 429 and retry_after):
        headers["Retry-After"] = str(int(retry_after))  # a rate limit, or a spent workflow budget
    return JSON(exc.body(), status_code=exc.status, headers=headers)


async def read_bounded(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 (40003) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise InputError("Invalid Content-Length header.")
        if int(declared) > limit:
            raise TooLargeError(f"The request body is larger than {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    """The body parsed as JSON whatever its Content-Type says; 413 past ``limit`` bytes."""
    raw = await read_bounded(request, limit)
    if not raw.strip():
        raise InputError('The request body is empty; send a JSON object such as {"input": {...}}.')
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"The request body is not valid JSON: {exc.msg} (at byte {exc.pos}).") from None


async def wait_disconnect(request: Request) -> None:
    """Return when the client goes away (call after the body has been read)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def http_exception(request: Request, exc: HTTPException) -> Response:
    code = STATUS_CODES.get(exc.status_code, 50001)
    message = "Not found." if exc.status_code == 404 else str(exc.detail)
    body = {"code": code, "message": message, "detail": None}
    if request.url.path.startswith("/api/v1/"):  # a path the /api/v1 mount could not take: its envelope
        body["data"] = None
    return JSON(body, status_code=exc.status_code, headers=exc.headers)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSON({"code": 50001, "message": "Internal server error.", "detail": None}, status_code=500)
