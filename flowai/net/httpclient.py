"""The shared outbound HTTP client: its settings, and a connection pool that reuses keep-alive
connections when many calls start at once.

httpcore 1.0.9's pool has three costs that show when 50 LLM calls leave together
(bench/critical_path.py, FlowAI issue 6):

- an idle HTTP/1.1 connection stays "available" from the moment it is handed to a queued request
  until that request starts on it, so one pass hands the same idle connection to every request
  queued in it; all but one then fail with ``ConnectionNotAvailable`` and wait for the next
  pass, which comes only when some response closes: 50 calls on 50 warm connections ran in two
  or more waves (encode/httpcore#1110, the review of #1111; fixed the same way in httpx2 #1075);
- every pass asks every idle connection whether it has expired, and for an idle one that is a
  ``poll()`` of its socket: passes x idle connections system calls;
- the surplus keep-alive check counts all connections, not the idle ones.

:class:`ReusingPool` keeps httpcore's pool and overrides only its assignment pass: a connection
handed to a request is not handed to another, an idle connection's socket is checked when it is
about to be reused (and in a full sweep at most once a second), and only idle connections count
against ``max_keepalive_connections``.
"""

from __future__ import annotations

import functools
import ssl
import time

import httpcore
import httpx

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
SWEEP_EVERY = 1.0  # seconds between full checks of the idle connections' sockets
TESTED_HTTPCORE = "1.0."  # another httpcore keeps its own pool (tests/test_perf_pool.py checks this one)


def make_client(**kwargs) -> httpx.AsyncClient:
    """The outbound client FlowAI uses for providers, media downloads, HTTP nodes and callbacks.

    It keeps no cookies: it is shared by every account, so a cookie one answer set would ride on
    other accounts' calls (and reading ``Set-Cookie`` costs ~10% of a small streamed call's CPU).
    """
    kwargs.setdefault("verify", tls_context())
    client = httpx.AsyncClient(timeout=kwargs.pop("timeout", TIMEOUT), limits=kwargs.pop("limits", LIMITS), **kwargs)
    client._cookies = NoCookies()  # the public setter would copy it into a plain Cookies
    reuse_connections(client)
    return client


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate-verifying TLS context every outbound client shares: httpx's default (certifi's
    roots, or ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` as set when it is first made), built once per
    process. Building one parses the whole root bundle (~18 ms of CPU), which httpx does for every
    client it makes; a context is safe to share between clients and threads."""
    return httpx.create_ssl_context()


class NoCookies(httpx.Cookies):
    """A cookie store that never stores: ``Set-Cookie`` in answers is ignored."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


def reuse_connections(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Give the client's default transport a :class:`ReusingPool` (proxy and HTTP/2 pools are left alone)."""
    transport = getattr(client, "_transport", None)
    pool = getattr(transport, "_pool", None)
    if not httpcore.__version__.startswith(TESTED_HTTPCORE):  # the pass overridden is httpcore's private code
        return client
    if type(pool) is httpcore.AsyncConnectionPool and not pool._http2:  # HTTP/1.1: one request per connection
        pool.__class__ = ReusingPool  # same state, only the assignment pass differs
    return client


class ReusingPool(httpcore.AsyncConnectionPool):
    _swept_at = 0.0

    def _assign_requests_to_connections(self) -> list:
        # Called on every request start and every response close, so it stays linear and skips the
        # work nobody needs: with nothing queued and no sweep due, only the keep-alive limit matters.
        closing: list = []
        now = time.monotonic()
        sweep = now - self._swept_at >= SWEEP_EVERY
        queued = [r for r in self._requests if r.connection is None]
        if not (queued or sweep or len(self._connections) > self._max_keepalive_connections):
            return closing
        if sweep:
            self._swept_at = now
        taken = {id(r.connection) for r in self._requests if r.connection is not None}
        full = len(self._connections) >= self._max_connections
        idle: list = []  # idle connections no request holds, oldest first
        for connection in list(self._connections):
            if connection.is_idle():
                if id(connection) in taken:
                    continue
                if (sweep and connection.has_expired()) or len(idle) >= self._max_keepalive_connections:
                    self._connections.remove(connection)
                    closing.append(connection)
                else:
                    idle.append(connection)
            elif (sweep or full) and connection.is_closed():  # else it waits for the next sweep
                self._connections.remove(connection)
        for pool_request in queued:
            origin = pool_request.request.url.origin
            connection = self._reusable(idle, origin, closing)
            if connection is None:
                if len(self._connections) >= self._max_connections:
                    if not idle:
                        continue  # stays queued until a connection is released
                    oldest = idle.pop(0)  # another origin's: make room
                    self._connections.remove(oldest)
                    closing.append(oldest)
                connection = self.create_connection(origin)
                self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def _reusable(self, idle: list, origin, closing: list):
        """An idle connection to ``origin`` whose socket is still good (taken out of ``idle``), the
        newest first; expired ones found on the way are closed."""
        for i in range(len(idle) - 1, -1, -1):
            connection = idle[i]
            if not connection.can_handle_request(origin):
                continue
            del idle[i]
            if connection.has_expired():  # the server closed it, or its keep-alive ran out
                self._connections.remove(connection)
                closing.append(connection)
                continue
            return connection
        return None
