"""``create_app``: the API tier as a Starlette app (no NiceGUI), or its routes for a parent app."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route

from flowai.platform import Platform
from flowai.settings import Settings

from . import run_api, run_openapi
from .http import JSON, http_exception, server_error
from .lockout import Lockout
from .manage import create_manage_app
from .manage.files import routes as file_routes
from .metrics import metrics_route

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def not_found(request: Request) -> Response:
    """Any other path under the run API is a JSON 404 (405 with ``Allow`` for a known path with
    another method), never a redirect (``/run/0/`` would otherwise be redirected by the
    trailing-slash rule)."""
    allowed: set[str] = set()
    for route in (*run_api.routes, *run_openapi.routes, *file_routes):
        if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE:
            allowed |= route.methods or set()
    if allowed:
        return JSON(
            {"code": 40001, "message": "Method Not Allowed", "detail": None},
            status_code=405,
            headers={"Allow": ", ".join(sorted(allowed))},
        )
    return JSON({"code": 40401, "message": "Not found.", "detail": None}, status_code=404)


routes = [
    *run_api.routes,
    *run_openapi.routes,
    *file_routes,
    Route("/v1/api/{rest:path}", not_found, methods=ANY_METHOD),
]
# each handler takes its own exception class (a precision Starlette's handler type cannot express)
exception_handlers: dict[Any, Callable[..., Any]] = {HTTPException: http_exception, Exception: server_error}


def tune_gc() -> None:
    """Server processes: keep the cyclic GC from stalling requests. Start-up objects leave its
    scans, young objects (each run makes many short-lived ones) are collected in bulk, and the
    whole heap is scanned rarely: full scans stalled every request by 100+ ms under load
    (bench throughput: p99 at c=16 went from ~150-250 ms to ~20 ms)."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 1_000)


M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
MMAP_THRESHOLD = 256 * 1024


def tune_malloc() -> None:
    """Server processes on glibc: give every buffer of 256 KiB or more (a large input, output or
    event) its own mapping, returned to the system when freed. By default glibc raises this
    threshold after the first such buffer is freed, and later ones land in the heap, which keeps
    the memory: 120 runs of a 0.9 MB input grew a server by ~470 MB with a fixed handful kept."""
    name = ctypes.util.find_library("c")
    if not name:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return


def lifespan_for(platform: Platform):
    @asynccontextmanager
    async def lifespan(app):
        app.state.platform = platform
        await platform.startup()
        tune_gc()
        tune_malloc()
        try:
            yield
        finally:
            await platform.shutdown()

    return lifespan


def mounts(platform: Platform) -> list[BaseRoute]:
    """Sub-apps beside the run API routes: the management API at /api/v1, Prometheus at /metrics."""
    return [
        metrics_route(platform, platform.settings.metrics_token),
        Mount("/api/v1", app=create_manage_app(platform)),
    ]


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> Starlette:
    platform = platform or Platform(settings or Settings.from_env())
    app = Starlette(
        routes=[*routes, *mounts(platform)],
        exception_handlers=exception_handlers,
        middleware=[Middleware(Lockout, throttle=platform.throttle)],
        lifespan=lifespan_for(platform),
    )
    app.state.platform = platform
    return app


def app_from_env() -> Starlette:
    """Factory for ``uvicorn --factory`` (used by ``flowai api --workers N``)."""
    return create_app(Settings.from_env())
