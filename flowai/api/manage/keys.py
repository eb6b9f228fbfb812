"""API keys for the run API: list, create (the secret is answered once), revoke.

Answers never carry the stored hash; the secret only in the answer to ``POST /keys``. A key
may be scoped to workflows of the caller's own: another account's workflow answers 403
``40301``, an unknown one 404 ``40402``; another account's key likewise (see ``resources``).
Revoking takes effect on the run API of this process at once (and of other processes within
``flowai.access.keys.CACHE_TTL`` seconds).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from flowai.access.keys import ApiKey
from flowai.access.users import Account as User  # the signed-in account
from flowai.texts import Text

from .common import Page, current_user, ok, platform_of
from .resources import MAX_INT, body_doc, integral, iso, json_body, not_found_as_40402, owned

router = APIRouter(tags=["keys"], dependencies=[Depends(not_found_as_40402)])


WorkflowId = Annotated[str, Field(min_length=1, max_length=64)]


class CreateKey(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text = Field(min_length=1, max_length=100)
    rate_limit: Annotated[int, Field(ge=0, le=1_000_000), integral] | None = Field(
        None, description="Runs per minute; 0 = unlimited; omitted: the instance default."
    )
    workflows: list[WorkflowId] | None = Field(
        None, min_length=1, max_length=1000, description="Only these workflows (yours); omitted: all of yours."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


def key_item(key: ApiKey) -> dict:
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "rate_limit": key.rate_limit,
        "workflows": key.workflows,
        "created_at": iso(key.created_at),
        "last_used_at": iso(key.last_used_at),
        "revoked_at": iso(key.revoked_at),
    }


@router.get("/keys", summary="List your API keys (revoked ones too)")
def list_keys(request: Request, page: Page = Depends(), user: User = Depends(current_user)):
    rows, total = platform_of(request).keys.page(owner_id=user.id, offset=page.offset, limit=page.page_size)
    return ok(page.answer([key_item(k) for k in rows], total))


@router.post(
    "/keys",
    status_code=201,
    summary="Create a key; its secret is in this answer only",
    openapi_extra=body_doc(CreateKey),
)
def create_key(request: Request, user: User = Depends(current_user), body: CreateKey = Depends(json_body(CreateKey))):
    platform = platform_of(request)
    workflows = list(dict.fromkeys(body.workflows)) if body.workflows is not None else None
    for workflow_id in workflows or ():
        owned(platform.workflows.owner_of(workflow_id), user, "Workflow", workflow_id)
    secret, key = platform.keys.create(
        owner_id=user.id, name=body.name, rate_limit=body.rate_limit, workflows=workflows
    )
    assert key.id is not None  # (just stored)
    return ok({**key_item(key), "key": secret, "signing_secret": platform.keys.signing_secret(key.id)}, status_code=201)


@router.delete("/keys/{key_id}", summary="Revoke a key (it stops working at once)")
def revoke_key(request: Request, key_id: int = Path(ge=1, le=MAX_INT), user: User = Depends(current_user)):
    keys = platform_of(request).keys
    owned(keys.owner_of(key_id), user, "API key", key_id)
    return ok(key_item(keys.revoke(owner_id=user.id, key_id=key_id)))
