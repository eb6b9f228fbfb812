"""``create_app``: the API tier as a Starlette app (no NiceGUI), or its routes for a parent app."""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Mount, Route

from flowai.platform import Platform
from flowai.settings import Settings

from . import run_api
from .http import JSON, http_exception, server_error
from .lockout import Lockout
from .manage import create_manage_app
from .manage.files import routes as file_routes

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def not_found(request: Request) -> Response:
    """Any other path under the run API is a JSON 404 (405 for a known path with another method),
    never a redirect (``/run/0/`` would otherwise be redirected by the trailing-slash rule)."""
    if any(route.matches(request.scope)[0] != Match.NONE for route in (*run_api.routes, *file_routes)):
        return JSON({"code": 40001, "message": "Method Not Allowed", "detail": None}, status_code=405)
    return JSON({"code": 40401, "message": "Not found.", "detail": None}, status_code=404)


routes = [*run_api.routes, *file_routes, Route("/v1/api/{rest:path}", not_found, methods=ANY_METHOD)]
exception_handlers = {HTTPException: http_exception, Exception: server_error}


def tune_gc() -> None:
    """Server processes: keep the cyclic GC from stalling requests. Start-up objects leave its
    scans, young objects (each run makes many short-lived ones) are collected in bulk, and the
    whole heap is scanned rarely: full scans stalled every request by 100+ ms under load
    (bench throughput: p99 at c=16 went from ~150-250 ms to ~20 ms)."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 1_000)


def lifespan_for(platform: Platform):
    @asynccontextmanager
    async def lifespan(app):
        app.state.platform = platform
        await platform.startup()
        tune_gc()
        try:
            yield
        finally:
            await platform.shutdown()

    return lifespan


def mounts(platform: Platform) -> list[Mount]:
    """Sub-apps beside the run API routes: the management API at /api/v1."""
    return [Mount("/api/v1", app=create_manage_app(platform))]


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
