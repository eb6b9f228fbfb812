"""Batches: one background run per input, queued fairly with every other background run."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from flowai.errors import FlowAIError, ForbiddenError, InputError, ResourceNotFoundError
from flowai.runs import background
from nodes.input import check_input
from storage.db import session
from storage.models import Run, User

from .common import current_user, ok, platform_of

router = APIRouter(tags=["batches"])


class StartBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: str = Field(max_length=64)
    inputs: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)
    version: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, max_length=200)


@router.post("/batches", status_code=202)
async def start_batch(body: StartBatch, request: Request, user: User = Depends(current_user)):
    """Every input is checked first: one bad line rejects the batch before any run starts."""
    platform = platform_of(request)
    wf, number = background.resolve_version(
        platform, owner_id=user.id, workflow_id=body.workflow_id, version=body.version
    )
    graph = platform.workflows.compiled(wf.id, number)
    problems = {}
    checked = []
    for i, item in enumerate(body.inputs):
        try:
            checked.append(check_input(graph.input_node.config, item))
        except FlowAIError as exc:
            problems[str(i)] = exc.message
    if problems:
        first = next(iter(problems.items()))
        raise InputError(f"Input {first[0]} is invalid: {first[1]}", detail=problems)
    batch_id = uuid.uuid4().hex
    run_ids = [
        platform.runs.submit(
            graph,
            item,
            workflow_id=wf.id,
            version=number,
            owner_id=user.id,
            source="batch",
            extra={"batch_id": batch_id, "name": body.name},
        ).id
        for item in checked
    ]
    return ok({"batch_id": batch_id, "run_ids": run_ids, "total": len(run_ids)}, status_code=202)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, request: Request, user: User = Depends(current_user)):
    platform = platform_of(request)
    await platform.recorder.flush()
    with session(platform.db) as s:
        runs = s.exec(select(Run).where(Run.batch_id == batch_id).order_by(Run.created_at, Run.id)).all()
    if not runs:
        raise ResourceNotFoundError(f"Batch {batch_id} was not found.")
    if runs[0].owner_id != user.id:
        raise ForbiddenError("This batch belongs to another account.")
    items = []
    for run in runs:
        live = platform.runs.get(run.id)
        items.append(
            {
                "run_id": run.id,
                "status": live.status if live else run.status,
                "output": (live.output if live else run.output),
                "error": run.error,
            }
        )
    counts = Counter(item["status"] for item in items)
    return ok(
        {
            "batch_id": batch_id,
            "total": len(items),
            "counts": dict(counts),
            "done": all(i["status"] in ("completed", "failed", "cancelled") for i in items),
            "runs": items,
        }
    )
