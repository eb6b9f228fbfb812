"""Result callbacks for async runs: a signed POST to the caller's URL, retried with backoff.

The body is JSON ``{"run_id", "workflow_id", "status", "output", "total_time", "error"}``.
``X-FlowAI-Signature: sha256=<hex>`` is HMAC-SHA256 of the exact body bytes under the API key's
signing secret (shown when the key is created). Verify it with::

    expected = hmac.new(signing_secret.encode(), body, hashlib.sha256).hexdigest()
    hmac.compare_digest("sha256=" + expected, request.headers["X-FlowAI-Signature"])
"""

from __future__ import annotations

import hashlib
import hmac
import logging

import httpx
import orjson
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from flowai.errors import InputError
from flowai.net.netcheck import check_public_url
from flowai.net.web import pinned
from flowai.runs.events import RunSucceeded

log = logging.getLogger("flowai.runs.callbacks")


class _Retry(Exception):
    """The receiver answered 429/5xx or could not be reached: try again later."""


class Callbacks:
    def __init__(
        self,
        http: httpx.AsyncClient,
        keys,
        *,
        allow_private: bool = False,
        attempts: int = 6,
        initial_wait: float = 1.0,
        max_wait: float = 60.0,
    ):
        self.http = http
        self.keys = keys
        self.allow_private = allow_private
        self.attempts = attempts
        self.initial_wait = initial_wait
        self.max_wait = max_wait

    async def check(self, url: str) -> str | None:
        """Refuse a private target (unless allowed); the approved address, to connect to."""
        return await check_public_url(url, allow_private=self.allow_private, what="callback_url")

    def attach(self, handle, url: str) -> None:
        async def deliver(h) -> None:
            await self.deliver(h, url)

        handle.on_done.append(deliver)

    async def deliver(self, handle, url: str) -> bool:
        last = handle.events[-1] if handle.events else None
        error = None
        if handle.error is not None:
            error = {"code": handle.error.code, "message": handle.error.message}
        elif handle.status == "cancelled":
            error = {"code": 50001, "message": "The run was cancelled."}
        body = orjson.dumps(
            {
                "run_id": handle.id,
                "workflow_id": handle.workflow_id,
                "status": handle.status,
                "output": handle.output,
                "total_time": last.total_time if isinstance(last, RunSucceeded) else None,
                "error": error,
            }
        )
        secret = self.keys.signing_secret(handle.key_id) if handle.key_id else ""
        headers = {
            "Content-Type": "application/json",
            "X-FlowAI-Run-Id": handle.id,
            "X-FlowAI-Signature": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        }
        try:
            backoff = wait_exponential_jitter(multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait)
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=backoff,
                reraise=True,
                retry=retry_if_exception_type(_Retry),
            ):
                with attempt:
                    address = await self.check(url)  # again at delivery: the name may resolve elsewhere now
                    target, sent_headers, extensions = pinned(url, address, headers)
                    try:
                        resp = await self.http.post(
                            target,
                            content=body,
                            headers=sent_headers,
                            timeout=10,
                            follow_redirects=False,
                            extensions=extensions,
                        )
                    except httpx.HTTPError as exc:
                        raise _Retry(type(exc).__name__) from None
                    if resp.status_code == 429 or resp.status_code >= 500:
                        raise _Retry(f"HTTP {resp.status_code}")
            log.info("callback for run %s delivered: HTTP %s", handle.id, resp.status_code)
            return 200 <= resp.status_code < 300
        except (_Retry, InputError) as exc:
            log.warning("callback for run %s to %s abandoned: %s", handle.id, url, exc)
            return False
