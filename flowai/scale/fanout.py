"""Runs followed and controlled across processes (PostgreSQL LISTEN/NOTIFY).

A process that gets a request for a run it is not executing asks every process on the
``flowai_watch`` channel; the one executing it answers on ``flowai_events`` with the run's facts,
every event so far, then each new event as its run emits it (the handle's ``watch`` sink: the
same stream the SSE response and the recorder consume). The asking process rebuilds them into a
:class:`RunHandle` of its own, which its SSE responses (``Last-Event-ID`` included), status
answers and management WebSocket follow as if the run were local. Nothing is published for a run
nobody watches from elsewhere.

Pause, resume and cancel go the same way on ``flowai_control``; the executing process applies
them to its run and answers on ``flowai_reply``.

An event larger than one notification (8000 bytes) travels in numbered parts.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import orjson

from flowai.errors import FlowAIError, NodeError, ProviderError
from flowai.runs.events import TERMINAL, Event, RunFailed, RunSucceeded
from flowai.runs.manager import EVENT_TYPES, RunHandle, RunManager, event_record

from .notify import MAX_PAYLOAD, Notifier

log = logging.getLogger("flowai.scale")
WATCH, EVENTS, CONTROL, REPLY = "flowai_watch", "flowai_events", "flowai_control", "flowai_reply"
KEEP_ENDED = 30.0  # seconds a followed run that ended stays answerable here (its row is being written)


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str).decode()


class Fanout:
    def __init__(self, notifier: Notifier, manager: RunManager, *, wait: float = 1.5):
        self.manager = manager
        self.wait = wait
        self.notifier = notifier
        for channel, handler in (
            (WATCH, self._on_watch),
            (EVENTS, self._on_event),
            (CONTROL, self._on_control),
            (REPLY, self._on_reply),
        ):
            notifier.on(channel, handler)
        self._followed: dict[str, RunHandle] = {}  # runs of other processes followed here
        self._found: dict[str, asyncio.Future] = {}  # watch requests waiting for the executing process
        self._parts: dict[tuple[str, int], list[str]] = {}
        self._early: dict[str, dict[int, Event]] = {}  # events that arrived ahead of their predecessors
        self._replies: dict[str, asyncio.Future] = {}

    # the executing side -------------------------------------------------------------------
    def _on_watch(self, payload: str) -> None:
        run_id = orjson.loads(payload)["run"]
        handle = self.manager.active.get(run_id)
        if handle is None or self._followed.get(handle.id) is handle:
            return  # not executing here (a finished run is replayed from the database)
        facts = {
            "run": handle.id,
            "facts": {
                "workflow_id": handle.workflow_id,
                "version": handle.version,
                "owner_id": handle.owner_id,
                "key_id": handle.key_id,
                "source": handle.source,
                "background": handle.background,
                "status": handle.status,
                "callback_url": handle.callback_url,
            },
        }
        self.notifier.publish(EVENTS, _dumps(facts))
        for seq, ev in enumerate(handle.events, start=1):
            self._publish(handle.id, seq, ev)
        if not handle.done and handle.watch is None:
            handle.watch = lambda seq, ev, run_id=handle.id: self._publish(run_id, seq, ev)

    def _publish(self, run_id: str, seq: int, ev: Event) -> None:
        body = _dumps(event_record(ev))
        if len(body) + 100 <= MAX_PAYLOAD:
            self.notifier.publish(EVENTS, _dumps({"run": run_id, "seq": seq, "event": body}))
            return
        size = MAX_PAYLOAD // 2  # room for JSON escaping of the part
        parts = [body[i : i + size] for i in range(0, len(body), size)]
        for n, part in enumerate(parts):
            message = {"run": run_id, "seq": seq, "part": n, "of": len(parts), "event": part}
            self.notifier.publish(EVENTS, _dumps(message))

    def _on_control(self, payload: str) -> None:
        message = orjson.loads(payload)
        handle = self.manager.active.get(message["run"])
        if handle is None or self._followed.get(handle.id) is handle:
            return
        try:
            getattr(self.manager, message["action"])(handle)
            status = "cancelling" if message["action"] == "cancel" and not handle.done else handle.status
            reply: dict[str, Any] = {"req": message["req"], "status": status}
        except FlowAIError as exc:
            reply = {"req": message["req"], "error": exc.message, "detail": exc.detail}
        self.notifier.publish(REPLY, _dumps(reply))

    # the following side -------------------------------------------------------------------
    def followed(self, run_id: str) -> RunHandle | None:
        return self._followed.get(run_id)

    async def follow(self, run_id: str) -> RunHandle | None:
        """The run as executed by another process, followed live; None when no process has it."""
        handle = self._followed.get(run_id)
        if handle is not None:
            return handle
        found = self._found.get(run_id)
        if found is None:
            found = self._found[run_id] = asyncio.get_running_loop().create_future()
            self.notifier.publish(WATCH, _dumps({"run": run_id}))
        try:
            return await asyncio.wait_for(asyncio.shield(found), self.wait)
        except TimeoutError:
            if self._found.get(run_id) is found:  # nobody executes it: the next request asks again
                del self._found[run_id]
                if not found.done():
                    found.set_result(None)  # others waiting on the same request: nobody either
            return None
        finally:
            if self._found.get(run_id) is found and found.done():
                del self._found[run_id]

    def _on_event(self, payload: str) -> None:
        message = orjson.loads(payload)
        run_id = message["run"]
        if "facts" in message:
            self._facts(run_id, message["facts"])
            return
        handle = self._followed.get(run_id)
        if handle is None or handle.done:
            return
        body = message["event"]
        if "part" in message:
            key = (run_id, message["seq"])
            parts = self._parts.setdefault(key, [""] * message["of"])
            parts[message["part"]] = body
            if message["part"] != message["of"] - 1:
                return
            body = "".join(self._parts.pop(key))
        record = orjson.loads(body)
        ev = EVENT_TYPES[record.pop("kind")](**record)
        early = self._early.setdefault(run_id, {})
        early[message["seq"]] = ev
        while len(handle.events) + 1 in early:  # in order, each once (a second watcher gets a replay)
            self._deliver(handle, early.pop(len(handle.events) + 1))
        for seq in [s for s in early if s <= len(handle.events)]:
            del early[seq]

    def _facts(self, run_id: str, facts: dict) -> None:
        found = self._found.get(run_id)
        if run_id in self._followed or found is None or found.done():
            return
        handle = RunHandle(
            run_id,
            facts["workflow_id"],
            facts["version"],
            facts["owner_id"],
            facts["key_id"],
            facts["source"],
            {},
            None,
            background=True,  # nothing here may cancel it for want of followers: its process decides
            callback_url=facts["callback_url"],
            status=facts["status"] if facts["status"] not in ("pending",) else "running",
        )
        self._followed[run_id] = handle
        found.set_result(handle)

    def _deliver(self, handle: RunHandle, ev: Event) -> None:
        handle.emit(ev)
        if not isinstance(ev, TERMINAL):
            return
        if isinstance(ev, RunSucceeded):
            handle.status, handle.output = "completed", ev.output
        elif isinstance(ev, RunFailed):
            handle.status = ev.status
            error = (
                ProviderError(ev.message, detail=ev.detail)
                if ev.code == 50002
                else NodeError(ev.message, detail=ev.detail)
            )
            error.node_id = ev.node
            handle.error = error if ev.status == "failed" else None
        handle._ended.set()
        self._early.pop(handle.id, None)
        asyncio.get_running_loop().call_later(KEEP_ENDED, self._forget, handle.id)

    def _forget(self, run_id: str) -> None:
        self._followed.pop(run_id, None)

    # control ------------------------------------------------------------------------------
    async def control(self, run_id: str, action: str) -> dict | None:
        """Pause, resume or cancel a run another process executes: its answer (``status``, or
        ``error`` and ``detail``), or None when no process has the run."""
        req = uuid.uuid4().hex
        reply = self._replies[req] = asyncio.get_running_loop().create_future()
        self.notifier.publish(CONTROL, _dumps({"run": run_id, "action": action, "req": req}))
        try:
            return await asyncio.wait_for(reply, self.wait)
        except TimeoutError:
            return None
        finally:
            self._replies.pop(req, None)

    def _on_reply(self, payload: str) -> None:
        message = orjson.loads(payload)
        reply = self._replies.get(message["req"])
        if reply is not None and not reply.done():
            reply.set_result(message)
