"""The management API (DESIGN.md §4) at ``/api/v1``: a FastAPI sub-app with OpenAPI docs.

Each resource has its own router module. The sub-app is mounted on the parent app by
``flowai.api.app`` (``flowai api``) and ``ui.server`` (``flowai serve``).
"""

from __future__ import annotations

from fastapi import FastAPI

from . import auth, batches, files, keys, providers, runs, workflows
from .common import install_error_handlers
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
    for module in (auth, workflows, keys, files, runs, batches, providers):
        app.include_router(module.router)
    app.add_middleware(BodyGuard, platform=platform)
    return app
