"""Outbound HTTP made on behalf of a workflow (HTTP nodes, media URLs), behind the SSRF check.

Every target — and every redirect hop, which is followed by hand so each hop is checked — must
be a public http(s) address unless an admin allowed private ones (``FLOWAI_ALLOW_PRIVATE_URLS``).
Bodies are read with a size cap, so a huge answer stops at the limit; ``download`` hands a body
to a writer chunk by chunk (a generated video streamed to disk), never holding it whole.

``trusted`` names one origin (``scheme://host:port``) whose hops skip the address check: a
provider's own configured API, which an operator may run on a private address. A URL the
provider *returned* on any other origin — or a redirect from the trusted origin to another —
is checked like any workflow URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from flowai.errors import InputError, TooLargeError
from flowai.net.netcheck import check_public_url

MAX_REDIRECTS = 5
IDEMPOTENT = ("GET", "HEAD")
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key", "api-key"}


@dataclass(frozen=True, slots=True)
class WebResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    url: str

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip()


class WebClient:
    def __init__(self, client: httpx.AsyncClient, *, allow_private: bool = False, max_bytes: int = 10 * 1024 * 1024):
        self.client = client
        self.allow_private = allow_private
        self.max_bytes = max_bytes

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout: float = 30.0,
        follow_redirects: bool = True,
        what: str = "URL",
        trusted: str | None = None,
        max_bytes: int | None = None,
    ) -> WebResponse:
        async with self.open(
            method,
            url,
            headers=headers,
            content=content,
            timeout=timeout,
            follow_redirects=follow_redirects,
            what=what,
            trusted=trusted,
        ) as (resp, final):
            body = await self._read(resp, what, max_bytes or self.max_bytes)
            return WebResponse(resp.status_code, dict(resp.headers), body, final)

    async def download(
        self,
        url: str,
        write: Callable[[bytes], Awaitable[None]],
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 300.0,
        what: str = "URL",
        trusted: str | None = None,
        max_bytes: int | None = None,
    ) -> tuple[int, str]:
        """GET ``url`` (same checks as ``request``) and hand its body to ``write`` chunk by chunk, the
        cap checked on every chunk, never holding the whole body. Returns (status, content type); a
        status >= 400 writes nothing."""
        limit = max_bytes or self.max_bytes
        async with self.open("GET", url, headers=headers, timeout=timeout, what=what, trusted=trusted) as (resp, _):
            kind = resp.headers.get("content-type", "").split(";", 1)[0].strip()
            if resp.status_code >= 400:
                return resp.status_code, kind
            _check_declared(resp, what, limit)
            size = 0
            async for chunk in resp.aiter_bytes():  # read errors: mapped by ``open``
                size += len(chunk)
                if size > limit:
                    raise TooLargeError(f"The answer from the {what} is over {limit} bytes.")
                await write(chunk)
            return resp.status_code, kind

    @asynccontextmanager
    async def open(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        timeout: float = 30.0,
        follow_redirects: bool = True,
        what: str = "URL",
        trusted: str | None = None,
    ) -> AsyncIterator[tuple[httpx.Response, str]]:
        """The response (body not read) and its final URL, after the redirects, each hop checked.

        A GET or HEAD whose connection the server closed or reset before answering (a kept-alive
        connection it was closing as the request went out) is sent once more."""
        hop = 0
        again = method in IDEMPOTENT
        while hop <= MAX_REDIRECTS:
            if trusted is not None and _origin(url) == _origin(trusted):
                address = None  # the provider's own configured API: the operator's choice
            else:
                address = await check_public_url(url, allow_private=self.allow_private, what=what)
            target, pinned_headers, extensions = pinned(url, address, headers)
            answered = False
            try:
                async with self.client.stream(
                    method,
                    target,
                    headers=pinned_headers,
                    content=content,
                    timeout=timeout,
                    follow_redirects=False,
                    extensions=extensions,
                ) as resp:
                    answered = True
                    if follow_redirects and resp.is_redirect and "location" in resp.headers:
                        target = urljoin(url, resp.headers["location"])
                        if _origin(target) != _origin(url) and headers:  # as httpx's own redirects do
                            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
                        url = target
                        if resp.status_code in (301, 302, 303) and method != "HEAD":
                            method, content = "GET", None
                        hop += 1
                        continue
                    yield resp, url
                    return
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if answered or not again:
                    raise InputError(f"The {what} could not be reached ({type(exc).__name__}).") from None
                again = False  # once: a server that keeps closing is unreachable
            except httpx.InvalidURL:
                raise InputError(f"The {what} is not a valid URL.") from None
            except httpx.TimeoutException:
                raise InputError(f"The {what} did not answer within {timeout:g} s.") from None
            except httpx.HTTPError as exc:
                raise InputError(f"The {what} could not be reached ({type(exc).__name__}).") from None
        raise InputError(f"The {what} redirected more than {MAX_REDIRECTS} times.")

    async def _read(self, resp: httpx.Response, what: str, limit: int) -> bytes:
        _check_declared(resp, what, limit)
        chunks, size = [], 0
        async for chunk in resp.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise TooLargeError(f"The answer from the {what} is over {limit} bytes.")
            chunks.append(chunk)
        return b"".join(chunks)


def _check_declared(resp: httpx.Response, what: str, limit: int) -> None:
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"The answer from the {what} is over {limit} bytes.")


def _origin(url: str) -> tuple[str, str, int | None]:
    u = httpx.URL(url)
    return u.scheme, u.host, u.port


def pinned(url: str, address: str | None, headers: dict[str, str] | None) -> tuple[str, dict[str, str], dict]:
    """Connect to the address the SSRF check approved instead of resolving the name again (a
    rebinding DNS server could answer differently the second time); the name stays in the Host
    header and, for https, in SNI and the certificate check."""
    headers = dict(headers or {})
    if address is None:
        return url, headers, {}
    u = httpx.URL(url)
    if u.host == address:
        return url, headers, {}
    headers.setdefault("Host", u.netloc.decode("ascii"))
    extensions = {"sni_hostname": u.host} if u.scheme == "https" else {}
    return str(u.copy_with(host=address)), headers, extensions
