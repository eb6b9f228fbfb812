"""``Lockout``: a pure-ASGI middleware refusing API calls from a client address that failed
authentication too often (``flowai.access.throttle``), before the request reaches a handler.

Every 401 answered on the run API (``/v1/api/``) or the management API (``/api/v1/``) counts
against the caller's address; once locked out, the address gets 429 (code 42901) with
``Retry-After`` on every API path until its window has room again. Other paths (the UI) pass
untouched. The address is the connection's peer: spoofable headers such as
``X-Forwarded-For`` count only when uvicorn trusts the proxy that sent them
(``FORWARDED_ALLOW_IPS``, default 127.0.0.1).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowai.access.throttle import Throttle

RUN_API, MANAGE_API = "/v1/api/", "/api/v1/"


class Lockout:
    def __init__(self, app: ASGIApp, throttle: Throttle):
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith((RUN_API, MANAGE_API)):
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("unknown",))[0]
        retry = await self.throttle.retry_after("address", address)
        if retry is not None:
            await _refuse(send, retry, envelope=path.startswith(MANAGE_API))
            return

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await self.throttle.failed("address", address, what="authentications")
            await send(message)

        await self.app(scope, receive, observe)


async def _refuse(send: Send, retry: int, *, envelope: bool) -> None:
    body = {"code": 42901, "message": f"Too many failed authentications from this address; retry in {retry} s."}
    body.update({"data": None, "detail": None} if envelope else {"detail": None})
    raw = orjson.dumps(body)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(raw)).encode()),
        (b"retry-after", str(retry).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
