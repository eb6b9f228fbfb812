"""Workflows (the designed graphs): list, create, read, save, delete, versions, publish, unpublish,
import/export.

Every route checks that the workflow belongs to the caller: 403 ``40301`` for another
account's workflow, 404 ``40402`` when there is none (see ``resources``). Saving is optimistic:
the body names the version it was based on and a stale one answers 409 ``40901`` with the
current version in ``detail``. An invalid graph answers 400 ``40001`` with located issues in
``detail`` and stores nothing. Bodies accept only their documented fields (``id``,
``owner_id``, ``created_at``… answer 40001), and the document itself only ``flowai/1`` keys.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from flowai.access.users import Account as User  # the signed-in account
from flowai.texts import Text
from flowai.workflows.store import Workflow, WorkflowVersion

from .common import Page, current_user, ok, platform_of
from .resources import MAX_INT, VersionNumber, body_doc, integral, iso, json_body, not_found_as_40402, owned, validate

router = APIRouter(tags=["workflows"], dependencies=[Depends(not_found_as_40402)])

DOCUMENT: dict[str, Any] = {
    "type": "object",
    "description": "A flowai/1 graph document (docs/graph-format.md).",
    "additionalProperties": True,
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CreateWorkflow(_Body):
    document: dict[str, Any] = Field(json_schema_extra=DOCUMENT)
    message: Text = Field("", max_length=500)
    publish: bool = False


class SaveWorkflow(_Body):
    document: dict[str, Any] = Field(json_schema_extra=DOCUMENT)
    base_version: Annotated[int, Field(ge=0, le=MAX_INT), integral] = Field(
        description="The version this document was based on (the workflow's latest_version when it was loaded).",
    )
    message: Text = Field("", max_length=500)


class PublishWorkflow(_Body):
    version: VersionNumber | None = Field(
        None,
        description="Publish this version; omitted: save the draft as a new version "
        "(when it changed) and publish that.",
    )


CREATE_DOC = {
    "oneOf": [
        CreateWorkflow.model_json_schema(),
        {**DOCUMENT, "description": 'A flowai/1 document, optionally with "publish": true.'},
    ]
}


def workflow_item(wf: Workflow) -> dict:
    return {
        "id": wf.id,
        "name": wf.name,
        "description": wf.description,
        "latest_version": wf.latest_version,
        "published_version": wf.published_version,
        "draft_base": wf.draft_base,
        "created_at": iso(wf.created_at),
        "updated_at": iso(wf.updated_at),
    }


def version_item(v: WorkflowVersion, wf: Workflow | None = None, *, document: bool = False) -> dict:
    item = {
        "number": v.number,
        "message": v.message,
        "created_by": v.created_by,
        "created_at": iso(v.created_at),
        "published_at": iso(v.published_at),
    }
    if wf is not None:
        item["published"] = v.number == wf.published_version
    if document:
        item["document"] = v.document
    return item


def _mine(request: Request, user: User, workflow_id: str) -> Workflow:
    workflows = platform_of(request).workflows
    owned(workflows.owner_of(workflow_id), user, "Workflow", workflow_id)
    return workflows.get(owner_id=user.id, workflow_id=workflow_id)


def _created(request: Request, user: User, document: Any, *, message: str, publish: bool):
    wf, v = platform_of(request).workflows.create(
        owner_id=user.id, document=document, message=message, publish=publish, user_id=user.id
    )
    return ok({**workflow_item(wf), "version": version_item(v, wf)}, status_code=201)


def _create_body(data: dict = Depends(json_body(None))) -> CreateWorkflow:
    """Either ``{"document": {...}, "message"?, "publish"?}`` or the document itself (+ ``publish``)."""
    if "document" in data:
        return validate(CreateWorkflow, data)
    flags = {k: data.pop(k) for k in ("publish", "message") if k in data}
    return validate(CreateWorkflow, {"document": data, **flags})


@router.get("/workflows", summary="List your workflows")
def list_workflows(request: Request, page: Page = Depends(), user: User = Depends(current_user)):
    rows, total = platform_of(request).workflows.list(owner_id=user.id, offset=page.offset, limit=page.page_size)
    return ok(page.answer([workflow_item(wf) for wf in rows], total))


@router.post("/workflows", status_code=201, summary="Create a workflow (version 1)", openapi_extra=body_doc(CREATE_DOC))
def create_workflow(request: Request, user: User = Depends(current_user), body: CreateWorkflow = Depends(_create_body)):
    return _created(request, user, body.document, message=body.message or "Created", publish=body.publish)


@router.post(
    "/workflows/import",
    status_code=201,
    summary="Import a flowai/1 document as a new workflow",
    openapi_extra=body_doc(DOCUMENT),
)
def import_workflow(
    request: Request,
    publish: bool = Query(False),
    user: User = Depends(current_user),
    document: dict = Depends(json_body(None)),
):
    return _created(request, user, document, message="Imported", publish=publish)


@router.get("/workflows/{workflow_id}", summary="A workflow with its draft document")
def get_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    wf = _mine(request, user, workflow_id)
    return ok({**workflow_item(wf), "document": wf.draft})


@router.put(
    "/workflows/{workflow_id}",
    summary="Save the document as a new immutable version",
    openapi_extra=body_doc(SaveWorkflow),
)
def save_workflow(
    workflow_id: str,
    request: Request,
    user: User = Depends(current_user),
    body: SaveWorkflow = Depends(json_body(SaveWorkflow)),
):
    _mine(request, user, workflow_id)
    workflows = platform_of(request).workflows
    v = workflows.save(
        owner_id=user.id,
        workflow_id=workflow_id,
        document=body.document,
        base_version=body.base_version,
        message=body.message,
        user_id=user.id,
    )
    wf = workflows.get(owner_id=user.id, workflow_id=workflow_id)
    return ok({**workflow_item(wf), "version": version_item(v, wf)})


@router.delete("/workflows/{workflow_id}", summary="Delete a workflow and its versions")
def delete_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    _mine(request, user, workflow_id)
    platform_of(request).workflows.delete(owner_id=user.id, workflow_id=workflow_id)
    return ok({"id": workflow_id, "deleted": True})


@router.get("/workflows/{workflow_id}/versions", summary="Versions, newest first (without documents)")
def list_versions(workflow_id: str, request: Request, page: Page = Depends(), user: User = Depends(current_user)):
    wf = _mine(request, user, workflow_id)
    rows, total = platform_of(request).workflows.version_page(
        owner_id=user.id, workflow_id=workflow_id, offset=page.offset, limit=page.page_size
    )
    return ok(page.answer([version_item(v, wf) for v in rows], total))


@router.get("/workflows/{workflow_id}/versions/{number}", summary="One version with its document")
def get_version(
    workflow_id: str, request: Request, number: int = Path(ge=1, le=MAX_INT), user: User = Depends(current_user)
):
    wf = _mine(request, user, workflow_id)
    v = platform_of(request).workflows.version(owner_id=user.id, workflow_id=workflow_id, number=number)
    return ok(version_item(v, wf, document=True))


@router.post(
    "/workflows/{workflow_id}/publish",
    summary="Publish a version (default: the draft)",
    openapi_extra=body_doc(PublishWorkflow, required=False),
)
def publish_workflow(
    workflow_id: str,
    request: Request,
    user: User = Depends(current_user),
    body: PublishWorkflow = Depends(json_body(PublishWorkflow, optional=True)),
):
    _mine(request, user, workflow_id)
    workflows = platform_of(request).workflows
    number = workflows.publish(owner_id=user.id, workflow_id=workflow_id, version=body.version, user_id=user.id)
    wf = workflows.get(owner_id=user.id, workflow_id=workflow_id)
    v = workflows.version(owner_id=user.id, workflow_id=workflow_id, number=number)
    return ok({**workflow_item(wf), "version": version_item(v, wf)})


@router.post("/workflows/{workflow_id}/unpublish", summary="Stop publishing (the run API then answers 404 / 40401)")
def unpublish_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    _mine(request, user, workflow_id)
    wf = platform_of(request).workflows.unpublish(owner_id=user.id, workflow_id=workflow_id)
    return ok(workflow_item(wf))


@router.get("/workflows/{workflow_id}/export", summary="The flowai/1 document (draft, or ?version=n)")
def export_workflow(
    workflow_id: str,
    request: Request,
    version: int | None = Query(None, ge=1, le=MAX_INT),
    user: User = Depends(current_user),
):
    _mine(request, user, workflow_id)
    return ok(platform_of(request).workflows.export(owner_id=user.id, workflow_id=workflow_id, version=version))
