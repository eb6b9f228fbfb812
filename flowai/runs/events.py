"""Run events: small frozen records with one discriminator, ``kind``.

The engine emits them; the SSE encoder, the run recorder and live views all consume the same
sequence. ``NodeFailed`` is recorded but not part of FlowAI's SSE contract (``RunFailed`` is).
Events of nodes inside a loop carry ``item``, the index of the item they ran for (None elsewhere);
``LoopProgress`` counts a loop's items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class RunStarted:
    kind: ClassVar[str] = "start"
    node: str  # the input node
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NodeStarted:
    kind: ClassVar[str] = "start_node"
    node: str
    label: str
    type: str
    item: int | None = None  # inside a loop: the index of the item it runs for


@dataclass(frozen=True, slots=True)
class NodeFinished:
    kind: ClassVar[str] = "finish_node"
    node: str
    label: str
    type: str
    time_spend: float
    outputs: dict[str, Any]
    usage: dict[str, Any] | None = None
    item: int | None = None


@dataclass(frozen=True, slots=True)
class NodeFailed:
    kind: ClassVar[str] = "node_failed"
    node: str
    label: str
    type: str
    time_spend: float
    code: int
    message: str
    item: int | None = None


@dataclass(frozen=True, slots=True)
class NodeSkipped:
    """A node that did not run: every way into it came from a branch not taken (or a skipped node)."""

    kind: ClassVar[str] = "skip_node"
    node: str
    label: str
    type: str
    item: int | None = None


@dataclass(frozen=True, slots=True)
class NodeRetry:
    """One failed attempt of a node that is tried again after ``delay`` seconds (its ``retries``)."""

    kind: ClassVar[str] = "node_retry"
    node: str
    label: str
    type: str
    attempt: int  # the attempt that failed, from 1
    code: int
    message: str
    delay: float
    item: int | None = None


@dataclass(frozen=True, slots=True)
class FallbackTaken:
    """A node failed (after its retries) and the run goes on along its ``error`` edges to ``targets``;
    the nodes after its ordinary edges are skipped like a branch not taken."""

    kind: ClassVar[str] = "fallback"
    node: str
    label: str
    type: str
    code: int
    message: str
    targets: list[str]
    item: int | None = None


@dataclass(frozen=True, slots=True)
class BudgetWarning:
    """The workflow's spend today crossed the warning threshold of its daily budget (once per crossing)."""

    kind: ClassVar[str] = "budget_warning"
    workflow_id: str
    budget: float
    spent: float
    threshold: float  # the fraction of the budget that warns, e.g. 0.8


@dataclass(frozen=True, slots=True)
class StreamDelta:
    kind: ClassVar[str] = "stream"
    node: str
    content: str | None
    reasoning: str | None = None
    item: int | None = None


@dataclass(frozen=True, slots=True)
class LoopProgress:
    """A loop node's items: ``done`` of ``total`` have ended (``failed`` of them failed)."""

    kind: ClassVar[str] = "loop_progress"
    node: str
    done: int
    total: int
    failed: int = 0

    @property
    def progress(self) -> float:
        """The loop's fraction 0..1 (what ``flowai.runs.progress`` reads of a running node)."""
        return self.done / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class RunSucceeded:
    kind: ClassVar[str] = "output"
    output: Any
    total_time: float


@dataclass(frozen=True, slots=True)
class RunFailed:
    kind: ClassVar[str] = "error"
    node: str | None
    code: int
    message: str
    detail: Any = None
    status: str = "failed"  # or "cancelled"


Event = (
    RunStarted
    | NodeStarted
    | NodeFinished
    | NodeFailed
    | NodeSkipped
    | StreamDelta
    | LoopProgress
    | NodeRetry
    | FallbackTaken
    | BudgetWarning
    | RunSucceeded
    | RunFailed
)
TERMINAL = (RunSucceeded, RunFailed)
PATH_KINDS = (NodeRetry.kind, FallbackTaken.kind, BudgetWarning.kind)  # how a run went: retries, fallbacks, warnings
