"""What every management route shares: the envelope, pagination, the signed-in user, errors.

Answers are ``{"code": 0, "message": "success", "data": ...}``; errors use the same envelope
with the codes of docs/run-api.md and docs/management-api.md and ``data: null`` (plus ``detail`` where there is one).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from flowai.access.auth import read_token
from flowai.access.users import Account as User  # the signed-in account
from flowai.api.http import JSON, STATUS_CODES, platform_of
from flowai.errors import AuthError, FlowAIError

log = logging.getLogger("flowai.manage")
_bearer = HTTPBearer(auto_error=False, description="A token from POST /api/v1/auth/login")


def ok(data: Any = None, status_code: int = 200) -> JSON:
    return JSON({"code": 0, "message": "success", "data": data}, status_code=status_code)


def fail(code: int, message: str, status_code: int, detail: Any = None, headers=None) -> JSON:
    return JSON(
        {"code": code, "message": message, "data": None, "detail": detail}, status_code=status_code, headers=headers
    )


class Page:
    """``page`` (from 1) and ``page_size`` query parameters, and the list answer they shape."""

    def __init__(self, page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(20, ge=1, le=200)):
        self.page, self.page_size = page, page_size

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def answer(self, items: list, total: int) -> dict:
        return {"items": items, "total": total, "page": self.page, "page_size": self.page_size}


def bearer_user(platform, token: str | None) -> User | None:
    """The account a bearer token belongs to: signed, unexpired, and of the account's current
    token version (sign-out-everywhere and password changes bump it); None otherwise."""
    claims = read_token(platform.settings.secret_key, token) if token else None
    if claims is None:
        return None
    user = platform.users.account(claims[0])
    return user if user is not None and user.token_version == claims[1] else None


def current_user(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> User:
    if credentials is None:
        raise AuthError("Missing 'Authorization: Bearer <token>' header; sign in at POST /api/v1/auth/login.")
    user = bearer_user(platform_of(request), credentials.credentials)
    if user is None:
        raise AuthError("The token is invalid, revoked or expired; sign in again.")
    return user


def allow_table(routes: list[APIRoute]) -> list[tuple[re.Pattern, set[str]]]:
    """Each path template (in routing order) with the methods of all its routes."""
    table: dict[str, set[str]] = {}
    for route in routes:
        table.setdefault(route.path, set()).update(route.methods or ())
    return [(compile_path(path)[0], methods) for path, methods in table.items()]


def allowed(request: Request) -> str:
    """The methods of the path, for 405's ``Allow`` (as documented: those of the first template that
    matches it). Starlette's names the first matching route's only; here a path's methods are
    routes of their own."""
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    methods: set[str] = next((ms for pattern, ms in request.app.state.allow if pattern.match(path)), set())
    return ", ".join(sorted(methods))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FlowAIError)
    async def _flowai(request: Request, exc: FlowAIError):
        headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") and exc.status == 429 else None
        return fail(exc.code, exc.message, exc.status, exc.detail, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        problems = [{"loc": [str(p) for p in e["loc"]], "message": e["msg"]} for e in exc.errors()]
        first = problems[0] if problems else {"loc": [], "message": "invalid request"}
        where = ".".join(first["loc"][1:] or first["loc"])
        return fail(40001, f"Invalid request: {where}: {first['message']}.", 400, problems)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        code = STATUS_CODES.get(exc.status_code, 50001)
        message = "Not found." if exc.status_code == 404 else str(exc.detail)
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed(request)}
        return fail(code, message, exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return fail(50001, "Internal server error.", 500)
