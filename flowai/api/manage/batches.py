"""Batches: one background run per input, queued fairly with every other background run."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from flowai.access.users import Account as User  # the signed-in account
from flowai.runs.service import Principal
from flowai.texts import Text

from .common import current_user, ok, platform_of

router = APIRouter(tags=["batches"])


class StartBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: str = Field(max_length=64)
    inputs: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)
    version: int | None = Field(default=None, ge=1)
    name: Text | None = Field(default=None, max_length=200)


@router.post("/batches", status_code=202)
async def start_batch(body: StartBatch, request: Request, user: User = Depends(current_user)):
    """Every input is checked first: one bad line rejects the batch before any run starts."""
    runs, principal = platform_of(request).run_service, Principal(user.id)
    batch_id = uuid.uuid4().hex
    handles = runs.start_many(
        principal,
        runs.target(principal, body.workflow_id, body.version),
        body.inputs,
        source="batch",
        extra={"batch_id": batch_id, "name": body.name},
    )
    run_ids = [h.id for h in handles]
    return ok({"batch_id": batch_id, "run_ids": run_ids, "total": len(run_ids)}, status_code=202)


@router.get("/batches/{batch_id}")
async def get_batch(batch_id: str, request: Request, user: User = Depends(current_user)):
    platform = platform_of(request)
    runs = await platform.run_service.batch(Principal(user.id), batch_id)
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
