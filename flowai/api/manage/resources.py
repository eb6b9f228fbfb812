"""What the resource routers (workflows, keys, files) share: ownership, bodies, timestamps.

Ownership: a resource of another account answers 403 ``40301``; one that does not exist
answers 404 ``40402`` (docs/management-api.md "resource not found"; the issue asks for 40301 on a
route checking that the resource belongs to the caller). The management API is for signed-in
designers of one instance, so saying "exists, not yours" reveals little; the public run API
keeps answering 40401 for both, as docs/run-api.md requires.

Bodies: FastAPI reads and parses a declared body *before* solving dependencies, so a JSON
body is read here instead, as a dependency that runs after ``current_user``: authentication
comes before the body is parsed (docs/management-api.md), bodies are bounded by ``max_body_bytes``
(413 ``40003``) and unknown fields are refused (``40001``, no mass assignment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from flowai.access.users import Account as User  # the signed-in account
from flowai.api.http import read_bounded
from flowai.errors import FlowAIError, ForbiddenError, InputError, NotFoundError

from .common import current_user, platform_of

MAX_INT = 2**31 - 1  # ids and version numbers are INTEGER columns; larger ones answer 40001, not a 500


def _integral(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A JSON integer in a strict body: JSON Schema's "integer" includes 3.0, so it is accepted as 3 (never "3" or
# true). The bounds come before the validator in the Annotated, or the generated schema loses them.
integral = BeforeValidator(_integral)
VersionNumber = Annotated[int, Field(ge=1, le=MAX_INT), integral]


class ResourceNotFound(FlowAIError):
    code, status = 40402, 404


def owned(owner_id: int | None, user: User, what: str, ident: Any) -> None:
    """Raise unless the resource exists (40402) and belongs to ``user`` (40301)."""
    if owner_id is None:
        raise ResourceNotFound(f"{what} {ident} was not found.")
    if owner_id != user.id:
        raise ForbiddenError(f"{what} {ident} belongs to another account.")


async def not_found_as_40402():
    """Router dependency: a service's NotFoundError (40401) becomes the management API's 40402."""
    try:
        yield
    except NotFoundError as exc:
        raise ResourceNotFound(exc.message, detail=exc.detail) from None


def json_body(model: type[BaseModel] | None, *, optional: bool = False) -> Callable:
    """A dependency giving the request's JSON body validated as ``model`` (None: the plain JSON
    object), read after sign-in."""

    async def read(request: Request, user: User = Depends(current_user)) -> Any:
        raw = await read_bounded(request, platform_of(request).settings.max_body_bytes)
        if not raw.strip():
            if optional:
                return validate(model, {})
            raise InputError("The request body is empty; send a JSON object.")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"The request body is not valid JSON: {exc.msg} (at byte {exc.pos}).") from None
        return validate(model, data)

    return read


def validate(model: type[BaseModel] | None, data: Any) -> Any:
    if not isinstance(data, dict):
        raise InputError("The request body must be a JSON object.")
    if model is None:
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [{"loc": [str(p) for p in e["loc"]], "message": e["msg"]} for e in exc.errors()]
        first = problems[0]
        raise InputError(
            f"Invalid request: {'.'.join(first['loc']) or 'body'}: {first['message']}.", detail=problems
        ) from None


def body_doc(model: type[BaseModel] | dict, *, required: bool = True) -> dict:
    """``openapi_extra`` documenting a JSON body read by ``json_body`` (flat models only)."""
    schema = model if isinstance(model, dict) else model.model_json_schema()
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


def iso(value: datetime | None) -> str | None:
    """A stored time as RFC 3339 UTC (SQLite hands back naive datetimes)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")
