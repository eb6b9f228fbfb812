"""Two small network middlemen on 127.0.0.1 for client tests.

``CuttingProxy`` relays TCP both ways and cuts the first connection once the server has sent
``after`` occurrences of a marker (a dropped network, as the client sees it; with
``forward_last=False`` the answer is lost whole). ``Gateway`` is an
HTTP gateway in front of a server that answers the first requests with scripted statuses (a
throttling or failing proxy), then forwards everything.
"""

from __future__ import annotations

import socket
import threading
from collections import deque

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import ThreadServer


class CuttingProxy:
    def __init__(self, upstream_port: int, *, marker: bytes, after: int, forward_last: bool = True):
        """``forward_last``: whether the chunk holding the last marker reaches the client before the cut."""
        self.upstream_port, self.marker, self.after = upstream_port, marker, after
        self.forward_last = forward_last
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.requests: list[bytes] = []  # the head of each request relayed
        self.cuts = 0
        self._threads: list[threading.Thread] = []
        self._closed = False

    def __enter__(self) -> CuttingProxy:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc) -> None:
        self._closed = True
        self.listener.close()

    def _spawn(self, target, *args) -> None:
        t = threading.Thread(target=target, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            cut = len(self.requests) == 0
            self.requests.append(b"")
            index = len(self.requests) - 1
            self._spawn(self._up, client, upstream, index)
            self._spawn(self._down, upstream, client, cut)

    def _up(self, client: socket.socket, upstream: socket.socket, index: int) -> None:
        try:
            while data := client.recv(65536):
                if len(self.requests[index]) < 4096:
                    self.requests[index] += data
                upstream.sendall(data)
        except OSError:
            pass

    def _down(self, upstream: socket.socket, client: socket.socket, cut: bool) -> None:
        seen = b""
        try:
            while data := upstream.recv(65536):
                seen += data
                reached = cut and seen.count(self.marker) >= self.after
                if self.forward_last or not reached:
                    client.sendall(data)
                if reached:
                    self.cuts += 1
                    break
        except OSError:
            pass
        for s in (client, upstream):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class Gateway:
    """``script``: (status, headers) answered to the first requests, in order; then requests pass."""

    def __init__(self, upstream: str, script: list[tuple[int, dict[str, str]]]):
        self.upstream = upstream
        self.script = deque(script)
        self.seen: list[tuple[float, str, str | None]] = []  # (time, path, Idempotency-Key)
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["GET", "POST"])])
        self.server = ThreadServer(self.app)
        self.url = self.server.url

    def __enter__(self) -> Gateway:
        self.server.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.server.__exit__(*exc)

    async def _handle(self, request: Request) -> Response:
        import time

        self.seen.append((time.monotonic(), request.url.path, request.headers.get("idempotency-key")))
        if self.script:
            status, headers = self.script.popleft()
            body = {"code": 42901 if status == 429 else 50001, "message": f"Gateway says {status}.", "detail": None}
            return JSONResponse(body, status_code=status, headers=headers)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with httpx.AsyncClient(timeout=60) as client:
            resp = await client.request(
                request.method, self.upstream + request.url.path, headers=headers, content=await request.body()
            )
        keep = {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "x-run-id", "retry-after")}
        return Response(resp.content, status_code=resp.status_code, headers=keep)
