"""Runs (the seed's workflow instances): start in the background, list, inspect, pause,
resume, cancel, progress, regenerate a node, and a WebSocket of live progress.

An unknown run and another account's run both answer 40402 (existence is not revealed). The
handlers are ``async``: they touch the run manager, which lives on the event loop (their queries
are short). Finding and starting runs is flowai.runs.service's; these are its HTTP adapters.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field

from flowai.access.users import Account as User  # the signed-in account
from flowai.api.http import JSON
from flowai.errors import ResourceNotFoundError
from flowai.platform import Platform
from flowai.runs.events import (
    PATH_KINDS,
    Event,
    FallbackTaken,
    LoopProgress,
    NodeFailed,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFailed,
    RunSucceeded,
)
from flowai.runs.history import run_cost
from flowai.runs.manager import RunHandle, event_record
from flowai.runs.progress import Stage, node_fractions, node_states, progress, stage_plan
from flowai.runs.service import Mode, Principal, Run
from flowai.texts import Text
from flowai.workflows.graph import CompiledGraph

from .common import Page, bearer_user, current_user, ok, platform_of

router = APIRouter(tags=["runs"])
Status = Literal["pending", "running", "paused", "completed", "failed", "cancelled"]


class StartRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_id: str = Field(max_length=64)
    input: dict[str, Any] = Field(default_factory=dict)
    name: Text | None = Field(default=None, max_length=200)
    version: int | None = Field(default=None, ge=1)


class Regenerate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: dict[str, Any] | None = Field(default=None, description="Merged into the node's config for this run")


def _summary(run: Run, live: RunHandle | None = None) -> dict:
    return {
        "run_id": run.id,
        "workflow_id": run.workflow_id,
        "version": run.version,
        "name": run.name,
        "status": live.status if live else run.status,
        "source": run.source,
        "batch_id": run.batch_id,
        "parent_run_id": run.parent_run_id,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "total_time": run.total_time,
        "error": run.error,
        "cost": run_cost(live.state.usage if live else run.usage),
    }


def _graph(platform: Platform, run: Run | RunHandle) -> CompiledGraph:
    """A live run's graph, else the one its row says it ran."""
    return run.graph if isinstance(run, RunHandle) and run.graph is not None else platform.workflows.ran(run)


def _order(platform: Platform, run: Run | RunHandle) -> list[str]:
    return list(_graph(platform, run).nodes)


def _plan(platform: Platform, run: Run | RunHandle) -> list[Stage]:
    return stage_plan(_graph(platform, run))


@router.post("/runs", status_code=202)
async def start_run(body: StartRun, request: Request, user: User = Depends(current_user)):
    runs = platform_of(request).run_service
    principal = Principal(user.id)
    handle = await runs.start(
        principal,
        runs.target(principal, body.workflow_id, body.version),
        body.input,
        mode=Mode.QUEUED,
        source="background",
        extra={"name": body.name},
    )
    return ok(
        {"run_id": handle.id, "status": handle.status, "workflow_id": handle.workflow_id, "version": handle.version},
        status_code=202,
    )


@router.get("/runs")
async def list_runs(
    request: Request,
    page: Page = Depends(),
    status: Status | None = None,
    workflow_id: str | None = None,
    user: User = Depends(current_user),
):
    platform = platform_of(request)
    rows, total = await platform.run_service.page(
        Principal(user.id), workflow_id=workflow_id, status=status, offset=page.offset, limit=page.page_size
    )
    return ok(page.answer([_summary(r, platform.runs.get(r.id)) for r in rows], total))


@router.get("/runs/{run_id}")
async def get_run(run_id: str, request: Request, user: User = Depends(current_user)):
    platform = platform_of(request)
    runs, principal = platform.run_service, Principal(user.id)
    run = await runs.record(principal, run_id, missing=ResourceNotFoundError)
    live = runs.live(principal, run_id)
    stored_nodes = {n.node_id: n for n in runs.nodes(run_id)}
    nodes = []
    states = node_states(live.events) if live else {}
    for node_id in _order(platform, live or run):
        n = stored_nodes.get(node_id)
        status = states.get(node_id) or (n.status if n else "pending")
        outputs = (
            live.state.outputs.get(node_id) if live and node_id in live.state.outputs else (n.outputs if n else None)
        )
        nodes.append(
            {
                "node_id": node_id,
                "status": status,
                "time_spend": n.time_spend if n else None,
                "outputs": outputs,
                "usage": n.usage if n else None,
                "error": n.error if n else None,
            }
        )
    current = [x["node_id"] for x in nodes if x["status"] == "running"]
    data = {
        **_summary(run, live),
        "input": run.input,
        "output": live.output if live and live.done else run.output,
        "current_node": current[0] if current else None,
        "nodes": nodes,
        "usage": (live.state.usage if live else run.usage) or {},
        "path": _path(run, live),
    }
    return ok(data)


def _path(run: Run, live: RunHandle | None) -> list[dict]:
    """The trace's events that say how the run went: retried attempts, fallbacks taken, budget warnings."""
    if live is not None:
        return [event_record(e) for e in live.events if e.kind in PATH_KINDS]
    return [e for e in run.events or () if isinstance(e, dict) and e.get("kind") in PATH_KINDS]


async def _transition(request: Request, run_id: str, user: User, action: str) -> JSON:
    platform = platform_of(request)
    await platform.recorder.flush()
    status = await platform.run_service.control(Principal(user.id), run_id, action, missing=ResourceNotFoundError)
    return ok({"run_id": run_id, "status": status})


@router.post("/runs/{run_id}/pause", summary="No new node starts; running nodes finish")
async def pause_run(run_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, run_id, user, "pause")


@router.post("/runs/{run_id}/resume")
async def resume_run(run_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, run_id, user, "resume")


@router.post("/runs/{run_id}/cancel", summary="Cancel; in-flight provider calls are closed")
async def cancel_run(run_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, run_id, user, "cancel")


@router.get("/runs/{run_id}/progress")
async def run_progress(run_id: str, request: Request, user: User = Depends(current_user)):
    return ok(await _progress(platform_of(request), run_id, user))


async def _progress(platform: Platform, run_id: str, user: User) -> dict:
    runs, principal = platform.run_service, Principal(user.id)
    live = runs.live(principal, run_id)
    if live is not None:
        states = node_states(live.events)
        states.update({nid: "reused" for nid in live.state.outputs if nid not in states})
        return {"run_id": run_id, **progress(_plan(platform, live), states, live.status, node_fractions(live.events))}
    run = await runs.record(principal, run_id, missing=ResourceNotFoundError)
    states = {n.node_id: n.status for n in runs.nodes(run_id)}
    return {"run_id": run_id, **progress(_plan(platform, run), states, run.status)}


@router.post("/runs/{run_id}/nodes/{node_id}/regenerate", status_code=202)
async def regenerate_node(
    run_id: str, node_id: str, request: Request, body: Regenerate | None = None, user: User = Depends(current_user)
):
    run, handle = await platform_of(request).run_service.regenerate(
        Principal(user.id), run_id, node_id, body.config if body else None, missing=ResourceNotFoundError
    )
    return ok({"run_id": handle.id, "parent_run_id": run.id, "status": handle.status}, status_code=202)


@router.websocket("/runs/{run_id}/ws")
async def run_socket(websocket: WebSocket, run_id: str):
    """Live progress: ``{"type": "progress"|"stage_completed"|"stage_failed"|"workflow_completed"|
    "workflow_failed", "data": {...}}``. Authenticate with ``?token=`` or an Authorization header."""
    platform = platform_of(websocket)
    await platform.recorder.flush()
    token = websocket.query_params.get("token") or websocket.headers.get("authorization", "").removeprefix("Bearer ")
    user = bearer_user(platform, token)
    if user is None:
        await websocket.close(code=4401, reason="Sign in first (40101).")
        return
    live = await platform.run_service.locate(Principal(user.id), run_id)  # here, or in another process
    seen = len(live.events) if live is not None else 0  # before the snapshot: nothing falls in between
    try:
        snapshot = await _progress(platform, run_id, user)
    except ResourceNotFoundError as exc:
        await websocket.close(code=4404, reason=exc.message)
        return
    await websocket.accept()
    await websocket.send_json({"type": "progress", "data": snapshot})
    try:
        if live is None or live.done:
            await websocket.send_json(await _final_message(platform, run_id, user, live))
        else:
            ended = {st["stage"]: st["status"] for st in snapshot["stages"] if st["status"] in ("completed", "failed")}
            async for _, ev in live.follow(seen):
                for message in await _messages(platform, run_id, user, ev, ended):
                    await websocket.send_json(message)
        await websocket.close()
    except WebSocketDisconnect:
        pass


async def _messages(platform: Platform, run_id: str, user: User, ev: Event, ended: dict[str, str]) -> list[dict]:
    """The messages one run event makes: progress, and ``stage_completed`` / ``stage_failed`` for each
    stage that just ended (``ended``: the stages already reported, updated here)."""
    if isinstance(ev, LoopProgress):  # a loop's items: progress counts them
        return [{"type": "progress", "data": await _progress(platform, run_id, user)}]
    if getattr(ev, "item", None) is not None:  # a node inside a loop is not a stage of its own
        return []
    if isinstance(ev, NodeStarted):
        return [{"type": "progress", "data": await _progress(platform, run_id, user)}]
    if isinstance(ev, NodeFinished | NodeFailed | NodeSkipped | FallbackTaken):
        snapshot = await _progress(platform, run_id, user)
        messages = [_stage_message(st, ev) for st in snapshot["stages"] if _just_ended(st, ended)]
        if not isinstance(ev, NodeFailed):
            messages.append({"type": "progress", "data": snapshot})
        return messages
    if isinstance(ev, RunSucceeded):
        return [
            {"type": "workflow_completed", "data": {"run_id": run_id, "output": ev.output, "total_time": ev.total_time}}
        ]
    if isinstance(ev, RunFailed):
        return [
            {
                "type": "workflow_failed",
                "data": {"run_id": run_id, "status": ev.status, "code": ev.code, "message": ev.message},
            }
        ]
    return []


def _just_ended(stage: dict, ended: dict[str, str]) -> bool:
    status = stage["status"]
    if status not in ("completed", "failed") or ended.get(stage["stage"]) == status:
        return False
    ended[stage["stage"]] = status
    return True


def _stage_message(stage: dict, ev: Event) -> dict:
    """``stage_completed`` / ``stage_failed``: the stage's id, label and status; for a node's own stage
    also its time and outputs (or error), as the node event that ended it gave them."""
    data: dict[str, Any] = {"stage": stage["stage"], "label": stage.get("label"), "status": stage["status"]}
    if "nodes" in stage:
        data["nodes"] = stage["nodes"]
    if isinstance(ev, NodeFinished) and ev.node == stage["stage"]:
        data.update(label=ev.label, time_spend=ev.time_spend, outputs=ev.outputs)
    if isinstance(ev, NodeFailed):
        if ev.node == stage["stage"]:
            data["label"] = ev.label
        data.update(node=ev.node, code=ev.code, message=ev.message)
    kind = "stage_completed" if stage["status"] == "completed" else "stage_failed"
    return {"type": kind, "data": data}


async def _final_message(platform: Platform, run_id: str, user: User, live: RunHandle | None) -> dict:
    run = await platform.run_service.record(Principal(user.id), run_id, missing=ResourceNotFoundError)
    status = live.status if live else run.status
    if status == "completed":
        return {
            "type": "workflow_completed",
            "data": {"run_id": run_id, "output": live.output if live else run.output, "total_time": run.total_time},
        }
    error = run.error or {}
    return {
        "type": "workflow_failed",
        "data": {"run_id": run_id, "status": status, "code": error.get("code"), "message": error.get("message")},
    }
