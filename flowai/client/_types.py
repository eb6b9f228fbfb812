"""What the client returns: a run's result, its streamed events, an async run's status, batch items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ._errors import FlowAIError


@dataclass(frozen=True, slots=True)
class MsgEvent:
    """``event: msg`` -- ``start``, ``start_node`` or ``finish_node`` (``type``) of a node."""

    kind: ClassVar[str] = "msg"
    node: str | None
    msg: str
    type: str
    data: Any
    id: int | None = None


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """``event: stream`` -- a text delta of a streaming node (``reasoning``: a reasoning delta)."""

    kind: ClassVar[str] = "stream"
    content: str
    node: str | None
    reasoning: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class OutputEvent:
    """``event: output`` -- the run's result, last."""

    kind: ClassVar[str] = "output"
    output: Any
    total_time: float | None
    run_id: str | None = None
    usage: dict[str, Any] | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """``event: error`` -- the run failed; the stream ends."""

    kind: ClassVar[str] = "error"
    node: str | None
    code: int
    message: str
    id: int | None = None


Event = MsgEvent | StreamEvent | OutputEvent | ErrorEvent


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run: its ``output`` and ``total_time``; ``files`` are the file URLs in the output."""

    output: Any
    total_time: float | None
    run_id: str | None = None
    usage: dict[str, Any] | None = None
    files: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RunStatus:
    """Where an async run stands (``GET /v1/api/workflow/runs/{run_id}``)."""

    run_id: str
    status: str  # pending, running, paused, completed, failed, cancelled
    output: Any = None
    total_time: float | None = None
    error: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed", "cancelled")


@dataclass(slots=True)
class BatchResult:
    """One item of a batch, in input order: ``success`` with ``output`` and ``files``, else ``error``."""

    index: int
    input: dict[str, Any]
    success: bool
    output: Any = None
    files: list[str] = field(default_factory=list)
    error: FlowAIError | None = None
    run_id: str | None = None
    total_time: float | None = None
