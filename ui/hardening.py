"""What the UI tier adds for the browser's safety: security headers on every NiceGUI response,
and query strings kept out of NiceGUI's log lines.

The content policy is what NiceGUI and the canvas need to work: NiceGUI inlines its start-up
script and compiles Vue templates in the browser ('unsafe-inline', 'unsafe-eval' for scripts),
Quasar and Tailwind inject styles. Everything else is locked to this origin: no framing by
other sites (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``), no plugins, no
``<base>`` rewriting, forms post only here; images and media may also come from https URLs
(provider outputs shown before they are stored).
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob: https:",
        "media-src 'self' data: blob: https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# (no X-Content-Type-Options: nosniff here: a NiceGUI resource the editor's run panel loads is
#  served with a type the browser then refuses, and the panel stops working -- tests/test_editor.py)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure-ASGI middleware: adds :data:`HEADERS` to every HTTP response that lacks them."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in present]
            await send(message)

        await self.app(scope, receive, with_headers)


_QUERY = re.compile(r"\?[^\s'\"]*")


class RedactQueries(logging.Filter):
    """Drops query strings from log lines (NiceGUI logs every 404 with its full URL, keys and
    file signatures included): ``/files/x?sig=...`` becomes ``/files/x?<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg, record.args = _QUERY.sub("?<redacted>", message), ()
        return True
