"""The published run API (DESIGN.md §3): ``POST /v1/api/workflow/run/{id}`` and event replay."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowai.errors import FlowAIError, ForbiddenError, InputError, NotFoundError
from flowai.events import RunSucceeded
from flowai.runs import RunHandle
from flowai.sse import payload
from nodes.input import check_input

from .http import JSON, error_response, read_json, wait_disconnect

BODY_KEYS = {"input", "stream", "version", "detail"}


async def run_workflow(request: Request) -> Response:
    platform = request.app.state.platform
    workflow_id = request.path_params["workflow_id"]
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        platform.keys.check_rate(key)
        body = await read_json(request, platform.settings.max_body_bytes)
        published = platform.workflows.published(workflow_id)
        if published is None or published[0] != key.owner_id or published[1] is None:
            raise NotFoundError(f"Workflow {workflow_id} was not found or is not published.")
        if not key.allows(workflow_id):
            raise ForbiddenError("This API key is not allowed to run this workflow.")
        options = _options(body, published[1])
        graph = platform.workflows.compiled(workflow_id, options["version"])
        run_input = check_input(graph.input_node.config, body.get("input"))
    except FlowAIError as exc:
        return error_response(exc)
    used = platform.keys.used(key)
    if used is not None:
        platform.recorder.key_used(key.id, used)
    handle = platform.runs.start(graph, run_input, workflow_id=workflow_id, version=options["version"],
                                 owner_id=key.owner_id, key_id=key.id, source="api")
    headers = {"X-Run-Id": handle.id}
    if options["stream"]:
        return _event_stream(platform, handle, 0, headers, options["detail"])
    return await _json_answer(request, platform, handle, headers, options["detail"])


def _options(body: Any, published: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError("The request body must be a JSON object such as {\"input\": {...}}.")
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise InputError(f"Unknown request field '{unknown[0]}'; accepted: input, stream, version, detail.",
                         detail={k: "unknown field" for k in unknown})
    if "input" not in body:
        raise InputError("The request body has no 'input' object.", detail={"input": "required"})
    version = body.get("version", published)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= published:
        raise InputError(f"'version' must be a published or older version number (1..{published}).",
                         detail={"version": "invalid"})
    for flag in ("stream", "detail"):
        if not isinstance(body.get(flag, False), bool):
            raise InputError(f"'{flag}' must be true or false.", detail={flag: "expected a boolean"})
    return {"version": version, "stream": body.get("stream", False), "detail": body.get("detail", False)}


def _detail(handle: RunHandle) -> dict[str, Any]:
    usage = {node: {**u, "cost": u.get("cost"), "cache_hit": u.get("cache_hit", False)}
             for node, u in handle.state.usage.items()}
    return {"run_id": handle.id, "usage": usage}


async def _json_answer(request: Request, platform, handle: RunHandle, headers: dict, detail: bool) -> Response:
    handle.attach()
    gone = asyncio.ensure_future(wait_disconnect(request))
    try:
        await asyncio.wait((handle.task, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        handle.detach(platform.settings.disconnect_grace)
    if not handle.done:  # the client left; the run waits out the grace period for a reconnect
        return Response(status_code=499, headers=headers)
    if handle.status == "completed":
        last = handle.events[-1]
        body = {"output": handle.output, "total_time": last.total_time if isinstance(last, RunSucceeded) else None}
        if detail:
            body.update(_detail(handle))
        return JSON(body, headers=headers)
    if handle.error is not None:
        return error_response(handle.error, headers)
    return JSON({"code": 50001, "message": "The run was cancelled.", "detail": None}, status_code=500,
                headers=headers)


def _event_stream(platform, handle: RunHandle, after: int, headers: dict, detail: bool) -> Response:
    handle.attach()

    async def frames():
        try:
            async for seq, ev in handle.follow(after):
                extra = _detail(handle) if detail and isinstance(ev, RunSucceeded) else None
                item = payload(ev, extra)
                if item is not None:
                    yield ServerSentEvent(data=orjson.dumps(item[1]).decode(), event=item[0], id=str(seq),
                                          sep="\n")
        finally:
            handle.detach(platform.settings.disconnect_grace)

    return EventSourceResponse(frames(), headers=headers, sep="\n", ping=int(platform.settings.ping_interval) or 15,
                               ping_message_factory=lambda: ServerSentEvent(comment="ping", sep="\n"))


async def run_events(request: Request) -> Response:
    """Replay a run's events after ``Last-Event-ID`` and follow it live while it runs."""
    platform = request.app.state.platform
    run_id = request.path_params["run_id"]
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        handle = platform.runs.get(run_id)
        if handle is None or handle.owner_id != key.owner_id or not key.allows(handle.workflow_id):
            raise NotFoundError(f"Run {run_id} was not found or is no longer kept.")
        raw = request.headers.get("last-event-id", "0").strip() or "0"
        if not raw.isdigit():
            raise InputError("Last-Event-ID must be an event id (a whole number).")
    except FlowAIError as exc:
        return error_response(exc)
    return _event_stream(platform, handle, int(raw), {"X-Run-Id": handle.id}, False)


routes = [
    Route("/v1/api/workflow/run/{workflow_id}", run_workflow, methods=["POST"]),
    Route("/v1/api/workflow/runs/{run_id}/events", run_events, methods=["GET"]),
]
