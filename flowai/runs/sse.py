"""The one place that turns run events into FlowAI's SSE payloads (docs/run-api.md)."""

from __future__ import annotations

from typing import Any

import orjson

from flowai.runs.events import Event, NodeFinished, NodeStarted, RunFailed, RunStarted, RunSucceeded, StreamDelta


def payload(ev: Event, extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]] | None:
    """``(event name, data)`` for an event, or None for events FlowAI clients never see.

    The events of a node inside a loop add ``"Item"``: the index of the item it ran for."""
    if isinstance(ev, StreamDelta):
        return "stream", _item({"Content": ev.content, "Node": ev.node, "Reasoning": ev.reasoning}, ev.item)
    if isinstance(ev, NodeStarted):
        return "msg", _item(
            {"Node": ev.node, "Msg": f"Start node {ev.label}, type {ev.type}", "Type": "start_node", "Data": None},
            ev.item,
        )
    if isinstance(ev, NodeFinished):
        return "msg", _item(
            {
                "Node": ev.node,
                "Msg": f"Finish node {ev.label}, type {ev.type}",
                "Type": "finish_node",
                "Data": {"time_spend": round(ev.time_spend, 9)},
            },
            ev.item,
        )
    if isinstance(ev, RunStarted):
        return "msg", {"Node": ev.node, "Msg": "start", "Type": "start", "Data": ev.data}
    if isinstance(ev, RunSucceeded):
        data = {"output": ev.output, "total_time": round(ev.total_time, 9)}
        if extra:
            data.update(extra)
        return "output", data
    if isinstance(ev, RunFailed):
        return "error", {"Node": ev.node, "code": ev.code, "message": ev.message}
    return None


def _item(data: dict[str, Any], item: int | None) -> dict[str, Any]:
    if item is not None:
        data["Item"] = item
    return data


def frame(seq: int, name: str, data: dict[str, Any]) -> bytes:
    """One SSE frame, ``id:`` first, UTF-8 JSON unescaped, as the bytes sent on the wire."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, name.encode(), orjson.dumps(data))
