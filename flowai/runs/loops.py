"""Running a loop node's body: the nodes inside the loop, once per item, with the engine's own machinery.

The compiler keeps each loop's body as a small :class:`CompiledGraph` (``graph.bodies``) whose
nodes depend only on each other. For one item, :class:`ItemRunner` runs that graph with the
same engine (scheduling, pause gate, per-node timeouts, cache, cancellation) over a copy of the
outer run's outputs plus ``{loop: {"item", "index"}}``, so body templates see the item, the
index, their body siblings and everything upstream of the loop. The body's node events reach
the run's stream tagged with the item's index; its run-level events stay inside. The loop node
(``nodes/loop.py``) decides concurrency, delay and what a failing item does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from flowai.runs.events import BudgetWarning, Event, LoopProgress, RunFailed, RunStarted, RunSucceeded
from flowai.workflows.graph import CompiledGraph
from flowai.workflows.templates import Ref, render

Emit = Callable[[Event], None]


class Engine(Protocol):
    """The part of flowai.runs.engine.Engine a body needs (the engine imports this module)."""

    async def run(
        self,
        graph: CompiledGraph,
        run_input: dict[str, Any],
        emit: Emit,
        *,
        run_id: str = ...,
        state: Any = ...,
        gate: Callable[[], Awaitable[None]] | None = ...,
        workflow_id: str | None = ...,
        owner_id: int | None = ...,
    ) -> Any: ...


class ItemRunner:
    """The :class:`nodes.base.LoopBody` the engine hands a loop node."""

    def __init__(
        self,
        engine: Engine,
        body: CompiledGraph,
        state: Any,  # flowai.runs.engine.RunState: the outer run's outputs and usage
        emit: Emit,
        run_id: str,
        run_input: dict[str, Any],
        gate: Callable[[], Awaitable[None]] | None,
        scope: tuple[str | None, int | None],
    ):
        self.engine, self.body, self.state, self._emit = engine, body, state, emit
        self.run_id, self.run_input, self.gate, self.scope = run_id, run_input, gate, scope
        self.loop_id = body.input_node.id

    async def run(self, item: Any, index: int, result: str) -> Any:
        outputs = {**self.state.outputs, self.loop_id: {"item": item, "index": index}}
        sub = replace(self.state, outputs=outputs, usage={})

        def emit(ev: Event) -> None:
            if isinstance(ev, BudgetWarning):  # the run's, not an item's
                self._emit(ev)
            elif not isinstance(ev, (RunStarted, RunSucceeded, RunFailed, LoopProgress)):
                self._emit(replace(ev, item=index))

        try:
            await self.engine.run(
                self.body,
                self.run_input,
                emit,
                run_id=self.run_id,
                state=sub,
                gate=self.gate,
                workflow_id=self.scope[0],
                owner_id=self.scope[1],
            )
        finally:  # what each item's calls cost counts for the run (the trace and GET /runs/{id} cost)
            for node_id, usage in sub.usage.items():
                self.state.usage[f"{node_id}#{index}"] = usage
        return self._result(sub.outputs, result)

    def progress(self, done: int, total: int, failed: int = 0) -> None:
        self._emit(LoopProgress(self.loop_id, done, total, failed))

    def _result(self, outputs: dict[str, dict[str, Any]], template: str) -> Any:
        """``template`` rendered over the item's outputs; without one, the main (first) output of
        the body's last node that ran and feeds no other body node."""
        if template.strip():
            known = self.body.known

            def lookup(ref: Ref) -> Any:
                node = known.get(ref.node)
                port = node.impl.aliases.get(ref.port, ref.port) if node is not None else ref.port
                return outputs.get(ref.node, {}).get(port)

            return render(template, lookup)
        for node_id in reversed(self.body.nodes):
            node = self.body.nodes[node_id]
            if node_id in outputs and not node.children and node.outputs:
                return outputs[node_id].get(next(iter(node.outputs)))
        return None
