"""What the UI tier adds for the browser's safety: security headers on every NiceGUI response,
and query strings kept out of NiceGUI's log lines.

The content policy is what NiceGUI and the canvas are known to work under: scripts only from
this origin (NiceGUI inlines its start-up script and compiles Vue templates in the browser, hence
'unsafe-inline' and 'unsafe-eval'), no plugins, no ``<base>`` rewriting, forms post only here,
and no framing by other sites (``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``).
Restricting styles, images, fonts, media and workers too (``default-src 'self'`` with the
matching exceptions) raised no policy violation but broke the editor's run panel in
tests/test_editor.py, so those are left open for now.
"""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# (no X-Content-Type-Options: nosniff for now: with it tests/test_editor.py's run-panel test failed;
#  left out until that is understood)
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
