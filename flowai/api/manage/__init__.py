"""The management API (docs/management-api.md) at ``/api/v1``: a FastAPI sub-app with OpenAPI docs.

Each resource has its own router module. The sub-app is mounted on the parent app by
``flowai.api.app`` (``flowai api``) and ``ui.server`` (``flowai serve``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from flowai.api.openapi import install as install_openapi

from . import auth, batches, files, keys, providers, runs, studio, workflows
from .common import allow_table, install_error_handlers
from .guard import BodyGuard


def create_manage_app(platform) -> FastAPI:
    app = FastAPI(
        title="FlowAI management API",
        version="1",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        description="Workflows, versions, runs, files and API keys. Sign in at POST /auth/login, "
        "then send `Authorization: Bearer <token>`. Answers use the envelope "
        '`{"code": 0, "message": "success", "data": ...}`.',
    )
    app.state.platform = platform
    install_error_handlers(app)
    routers = [module.router for module in (auth, workflows, keys, files, runs, batches, providers, studio)]
    for router in routers:
        app.include_router(router)
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
    app.state.allow = allow_table(routes)
    install_openapi(app, platform.registry, routes)
    app.add_middleware(BodyGuard, platform=platform)
    return app
