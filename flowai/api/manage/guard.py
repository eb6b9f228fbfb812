"""``BodyGuard``: authenticate first, then read a bounded body — for every management route.

A pure-ASGI middleware on the ``/api/v1`` sub-app. A request that carries a body (a
Content-Length above 0, or chunked) is refused with 401 (40101) before a byte of it is read
unless it has a valid bearer token — except ``POST /auth/login``, which has no token yet and
gets a small limit instead. The body is then capped: a declared Content-Length over the limit
is refused at once, and the bytes are counted as the route reads them, so a chunked body is
cut off at the limit too (413, 40003). ``POST /files`` uploads have their own, larger limit.
"""

from __future__ import annotations

import re

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .common import bearer_user

# the studio's uploads (flowai/api/manage/studio.py) take the upload limit too
UPLOADS = re.compile(r"^/workflow/(script/upload|assets/[^/]+/upload)$")

LOGIN = "/auth/login"
LOGIN_LIMIT = 16 * 1024  # a username and a password
UPLOAD_SLACK = 1024 * 1024  # multipart framing and form fields beside the file


class BodyGuard:
    def __init__(self, app: ASGIApp, platform):
        self.app = app
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        if declared is not None and not declared.strip().isdigit():
            await _answer(send, 400, 40001, "Invalid Content-Length header.")
            return
        if not chunked and (declared is None or int(declared) == 0):
            await self.app(scope, receive, send)  # no body: the route authenticates as usual
            return
        path = _route_path(scope)
        if path != LOGIN:
            token = headers.get("authorization", "")
            scheme, _, credentials = token.partition(" ")
            user = await run_in_threadpool(bearer_user, self.platform, credentials.strip()) if credentials else None
            if scheme.lower() != "bearer" or user is None:
                await _answer(
                    send,
                    401,
                    40101,
                    "Sign in first: send 'Authorization: Bearer <token>' from POST /api/v1/auth/login.",
                    {"WWW-Authenticate": "Bearer"},
                )
                return
        settings = self.platform.settings
        limit = (
            LOGIN_LIMIT
            if path == LOGIN
            else settings.max_upload_bytes + UPLOAD_SLACK
            if path == "/files" or UPLOADS.match(path)
            else settings.max_body_bytes
        )
        if declared is not None and int(declared) > limit:
            await _answer(send, 413, 40003, f"The request body is larger than {limit} bytes.")
            return
        seen = 0

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, f"The request body is larger than {limit} bytes.")
            return message

        await self.app(scope, bounded, send)


def _route_path(scope: Scope) -> str:
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _answer(send: Send, status: int, code: int, message: str, extra: dict[str, str] | None = None) -> None:
    raw = orjson.dumps({"code": code, "message": message, "data": None, "detail": None})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
