"""The published run API (docs/run-api.md): ``POST /v1/api/workflow/run/{id}``, and for a run:
its events (replay after ``Last-Event-ID``, then live) and its status."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowai.errors import FlowAIError, InputError
from flowai.runs.events import TERMINAL, RunSucceeded
from flowai.runs.manager import RunHandle
from flowai.runs.service import Mode, Principal
from flowai.runs.sse import frame, payload

from .http import JSON, error_response, platform_of, read_json, wait_disconnect

BODY_KEYS = {"input", "stream", "version", "detail", "async", "callback_url"}
NOT_RECORDED = FlowAIError("The run ended but could not be recorded; it is not in the run history.")


async def run_workflow(request: Request) -> Response:
    platform = platform_of(request)
    runs = platform.run_service
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        await platform.keys.check_rate(key)
        body = await read_json(request, platform.settings.max_body_bytes)
        principal = Principal(key.owner_id, key)
        published = runs.published(principal, request.path_params["workflow_id"])
        options = _options(body, published)
        handle = await runs.start(
            principal,
            runs.compiled(request.path_params["workflow_id"], options["version"]),
            body.get("input"),
            mode=Mode.QUEUED if options["async"] else Mode.CLIENT,
            source="async" if options["async"] else "api",
            callback_url=options["callback_url"],
            idempotency_key=request.headers.get("idempotency-key") or None,
        )
    except FlowAIError as exc:
        return error_response(exc)
    used = platform.keys.used(key)
    if used is not None:
        platform.recorder.key_used(key.id, used)
    return await _answer(request, platform, handle, options)


def _options(body: Any, published: int) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InputError('The request body must be a JSON object such as {"input": {...}}.')
    unknown = sorted(set(body) - BODY_KEYS)
    if unknown:
        raise InputError(
            f"Unknown request field '{unknown[0]}'; accepted: {', '.join(sorted(BODY_KEYS))}.",
            detail={k: "unknown field" for k in unknown},
        )
    if "input" not in body:
        raise InputError("The request body has no 'input' object.", detail={"input": "required"})
    version = body.get("version", published)
    if isinstance(version, float) and version.is_integer():  # JSON (and JSON Schema's "integer"): 1.0 is 1
        version = int(version)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= published:
        raise InputError(
            f"'version' must be a published or older version number (1..{published}).", detail={"version": "invalid"}
        )
    for flag in ("stream", "detail", "async"):
        if not isinstance(body.get(flag, False), bool):
            raise InputError(f"'{flag}' must be true or false.", detail={flag: "expected a boolean"})
    callback = body.get("callback_url")
    if callback is not None and (not isinstance(callback, str) or len(callback) > 2000):
        raise InputError("'callback_url' must be a URL string.", detail={"callback_url": "invalid"})
    if body.get("async") and body.get("stream"):
        raise InputError(
            "'async' and 'stream' exclude each other; follow an async run's events at "
            "/v1/api/workflow/runs/{run_id}/events.",
            detail={"async": "conflicts with stream"},
        )
    return {
        "version": version,
        "stream": body.get("stream", False),
        "detail": body.get("detail", False),
        "async": body.get("async", False),
        "callback_url": callback,
    }


async def _answer(request: Request, platform, handle: RunHandle, options: dict) -> Response:
    headers = {"X-Run-Id": handle.id}
    if options["async"]:
        return JSON({"run_id": handle.id, "status": handle.status}, status_code=202, headers=headers)
    if options["stream"]:
        return _event_stream(platform, handle, 0, headers, options["detail"])
    return await _json_answer(request, platform, handle, headers, options["detail"])


def _detail(handle: RunHandle) -> dict[str, Any]:
    usage = {
        node: {**u, "cost": u.get("cost"), "cache_hit": u.get("cache_hit", False)}
        for node, u in handle.state.usage.items()
    }
    return {"run_id": handle.id, "usage": usage}


async def _json_answer(request: Request, platform, handle: RunHandle, headers: dict, detail: bool) -> Response:
    if not handle.done:
        # One pass of the event loop first: the run's task, created just now, runs before this
        # continues, and a run that never waits (input → template → output) is over by then —
        # no watcher for the client leaving and no wait on two tasks needed.
        await asyncio.sleep(0)
    if not handle.done:
        handle.attach()
        gone = asyncio.ensure_future(wait_disconnect(request))
        waiting = asyncio.ensure_future(handle.wait())
        try:
            await asyncio.wait((waiting, gone), return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            waiting.cancel()
            handle.detach(platform.settings.disconnect_grace)
        if not handle.done:  # the client left; the run waits out the grace period for a reconnect
            return Response(status_code=499, headers=headers)
    if not await handle.durable():  # answered means recorded: the answer waits for its batch's commit
        return error_response(NOT_RECORDED, headers)
    return _final(handle, headers, detail)


def _final(handle: RunHandle, headers: dict, detail: bool) -> Response:
    if handle.status == "completed":
        last = handle.events[-1]
        body = {"output": handle.output, "total_time": last.total_time if isinstance(last, RunSucceeded) else None}
        if detail:
            body.update(_detail(handle))
        return JSON(body, headers=headers)
    if handle.error is not None:
        return error_response(handle.error, headers)
    return JSON({"code": 50001, "message": "The run was cancelled.", "detail": None}, status_code=500, headers=headers)


def _event_stream(platform, handle: RunHandle, after: int, headers: dict, detail: bool) -> Response:
    handle.attach()

    async def frames():
        # One chunk per wake-up: the event that woke us and every later one the run has already
        # emitted (a run's first frames, a fast model's deltas come in bursts). Each chunk is one
        # send() system call, the costliest step of relaying an event; nothing waits to fill a
        # batch, so the first token is not held back. Events sent ahead are skipped when
        # ``follow`` yields them.
        sent = after
        try:
            async for seq, _ in handle.follow(after):
                if seq <= sent:
                    continue
                chunk = []
                for sent, ev in enumerate(handle.events[seq - 1 :], start=seq):
                    extra = _detail(handle) if detail and isinstance(ev, RunSucceeded) else None
                    item = payload(ev, extra)
                    if item is not None:
                        chunk.append(frame(sent, *item))
                if chunk and isinstance(handle.events[sent - 1], TERMINAL):
                    await handle.wait()  # the last frame goes out once the run is recorded
                    if not await handle.durable():
                        chunk[-1] = frame(sent, "error", {"Node": None, "code": 50001, "message": NOT_RECORDED.message})
                if chunk:
                    yield b"".join(chunk)
        finally:
            handle.detach(platform.settings.disconnect_grace)

    return EventSourceResponse(
        frames(),
        headers=headers,
        sep="\n",
        ping=int(platform.settings.ping_interval) or 15,
        ping_message_factory=lambda: ServerSentEvent(comment="ping", sep="\n"),
        # SIGTERM drains the process: an open stream goes on to its end (the run's last event),
        # within the drain time uvicorn gives open requests (FLOWAI_DRAIN_SECONDS)
        shutdown_event=anyio.Event(),
        shutdown_grace_period=max(0.0, platform.settings.drain_seconds - 1),
    )


async def run_events(request: Request) -> Response:
    """Replay a run's events after ``Last-Event-ID`` and follow it live while it runs."""
    platform = platform_of(request)
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        handle = await platform.run_service.find(Principal(key.owner_id, key), request.path_params["run_id"])
        raw = request.headers.get("last-event-id", "0").strip() or "0"
        if not (raw.isascii() and raw.isdigit()):  # "²" is a digit to isdigit(), not to int()
            raise InputError("Last-Event-ID must be an event id (a whole number).")
    except FlowAIError as exc:
        return error_response(exc)
    return _event_stream(platform, handle, int(raw), {"X-Run-Id": handle.id}, False)


async def run_status(request: Request) -> Response:
    """Where an async run stands: ``{"run_id", "status", "output", "total_time", "error"}``."""
    platform = platform_of(request)
    run_id = request.path_params["run_id"]
    try:
        key = platform.keys.authenticate(request.headers.get("x-api-key"))
        principal = Principal(key.owner_id, key)
        handle = platform.run_service.live(principal, run_id)
        if handle is not None:
            status, output, error = handle.status, handle.output, handle.error and handle.error.body()
            last = handle.events[-1] if handle.events else None
            total = last.total_time if isinstance(last, RunSucceeded) else None
        else:
            run = await platform.run_service.record(principal, run_id)
            status, output, error, total = run.status, run.output, run.error, run.total_time
    except FlowAIError as exc:
        return error_response(exc)
    return JSON(
        {"run_id": run_id, "status": status, "output": output, "total_time": total, "error": error},
        headers={"X-Run-Id": run_id},
    )


routes = [
    Route("/v1/api/workflow/run/{workflow_id}", run_workflow, methods=["POST"]),
    Route("/v1/api/workflow/runs/{run_id}/events", run_events, methods=["GET"]),
    Route("/v1/api/workflow/runs/{run_id}", run_status, methods=["GET"]),
]
