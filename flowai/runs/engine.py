"""The async engine: runs each node as soon as the nodes it depends on have finished.

Independent branches run concurrently (one task per ready node that can wait; a node whose code
never awaits — input, template, output — runs inline, see :func:`never_waits`). The engine knows nothing of
HTTP, storage or NiceGUI: it reports through an ``emit`` callback and returns the output.
Cancelling the task that awaits :meth:`Engine.run` cancels every running node, which closes
their upstream HTTP requests (they live in ``async with`` blocks).
"""

from __future__ import annotations

import asyncio
import dis
import hashlib
import inspect
import time
import types
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from flowai.errors import FlowAIError, NodeError, NodeTimeoutError
from flowai.ports import MEDIA
from flowai.runs.events import (
    Event,
    FallbackTaken,
    NodeFailed,
    NodeFinished,
    NodeRetry,
    NodeSkipped,
    NodeStarted,
    RunFailed,
    RunStarted,
    RunSucceeded,
    StreamDelta,
)
from flowai.runs.loops import ItemRunner
from flowai.runs.retry import backoff, retryable
from flowai.workflows.graph import FALLBACK_PORT, CompiledGraph, CompiledNode
from flowai.workflows.templates import Ref, render, to_text

Emit = Callable[[Event], None]


@dataclass(slots=True)
class _Context:
    """The NodeContext handed to one running node."""

    node_id: str
    run_id: str
    run_input: dict[str, Any]
    services: Any
    _emit: Emit
    usage: dict[str, Any] | None = None
    workflow_id: str | None = None  # for per-workflow budgets and media ownership
    owner_id: int | None = None
    body: ItemRunner | None = None  # a loop node's body (flowai/runs/loops.py)

    def stream(self, content: str | None, reasoning: str | None = None) -> None:
        if content or reasoning:
            self._emit(StreamDelta(self.node_id, content or "", reasoning))

    def record_usage(self, usage: dict[str, Any]) -> None:
        self.usage = usage


@dataclass(slots=True)
class RunState:
    """Outputs produced so far; what a resume or a regenerate would start from."""

    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)


class NodeCache(Protocol):
    """Where cached node outputs live (storage.cache.DbNodeCache implements it)."""

    async def get(self, key: str) -> tuple[dict, dict | None] | None: ...

    async def put(self, key: str, outputs: dict, usage: dict | None, ttl: float) -> None: ...


Gate = Callable[[], Awaitable[None]]


class Engine:
    def __init__(
        self,
        services: Any = None,
        *,
        node_timeout: float = 300.0,
        cache: NodeCache | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self.services = services
        self.node_timeout = node_timeout
        self.cache = cache
        self.sleep = sleep  # waits between a node's attempts (a test injects its own clock)

    async def run(
        self,
        graph: CompiledGraph,
        run_input: dict[str, Any],
        emit: Emit,
        *,
        run_id: str = "",
        state: RunState | None = None,
        gate: Gate | None = None,
        workflow_id: str | None = None,
        owner_id: int | None = None,
    ) -> Any:
        """Run the graph; emit events; return the output. Failures are emitted and re-raised.

        Nodes whose outputs are already in ``state`` (a resumed or regenerated run) are not run
        again. ``gate`` is awaited before each node starts: a paused run blocks there.
        """
        state = state or RunState()
        scope = (workflow_id, owner_id)
        started = time.perf_counter()
        emit(RunStarted(graph.input_node.id, run_input))
        pending = {nid: len(n.parents) for nid, n in graph.nodes.items()}
        reached = dict.fromkeys(graph.nodes, 0)  # parents that ran and lead here (not a branch not taken)
        waiting: deque[str] = deque()  # nodes whose parents are all done, to start or skip
        running: set[asyncio.Task] = set()
        failure: BaseException | None = None

        def release(node: CompiledNode, outputs: dict | None) -> None:
            """``node`` is done (``outputs``) or skipped (None): count it off its children."""
            for child in node.children:
                if outputs is not None and _leads_to(node, child, outputs):
                    reached[child] += 1
                pending[child] -= 1
                if pending[child] == 0:
                    waiting.append(child)

        def start_ready() -> Exception | None:
            while waiting:
                node = graph.nodes[waiting.popleft()]
                if node.id in state.outputs:  # done before (resume, regenerate): release its children
                    release(node, state.outputs[node.id])
                elif node.parents and reached[node.id] == 0:
                    emit(NodeSkipped(node.id, node.label, node.spec.type))
                    release(node, None)
                else:
                    coro = self._run_node(node, graph, run_input, state, emit, run_id, gate, scope)
                    if never_waits(node.impl):
                        # Inline: a node whose code never awaits anything (input, template, output...)
                        # runs to its end here, without a task, a timer or a pass of the event loop.
                        # Should something around it wait after all (a paused run's gate, a retry's
                        # back-off, the node cache), the rest goes on in a task of its own.
                        try:
                            first = coro.send(None)
                        except StopIteration:
                            release(node, state.outputs[node.id])
                            continue
                        except Exception as exc:
                            return exc
                        task = asyncio.create_task(_go_on(coro, first))
                    else:
                        task = asyncio.create_task(coro)
                    task.node_id = node.id  # type: ignore[attr-defined]
                    running.add(task)
            return None

        waiting.extend(nid for nid, count in pending.items() if count == 0)
        try:
            failure = start_ready()
            while running and failure is None:
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    running.discard(task)
                    exc = task.exception()
                    if exc is not None:
                        failure = exc
                        break
                    release(graph.nodes[task.node_id], state.outputs[task.node_id])  # type: ignore[attr-defined]
                if failure is not None:
                    break
                failure = start_ready()
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
        if failure is not None:
            err = (
                failure if isinstance(failure, FlowAIError) else NodeError(f"Internal error: {type(failure).__name__}")
            )
            emit(RunFailed(getattr(err, "node_id", None), err.code, err.message, err.detail))
            raise err
        output = _collect_output(graph, state)
        emit(RunSucceeded(output, time.perf_counter() - started))
        return output

    async def _run_node(
        self,
        node: CompiledNode,
        graph: CompiledGraph,
        run_input: dict,
        state: RunState,
        emit: Emit,
        run_id: str,
        gate: Gate | None = None,
        scope: tuple[str | None, int | None] = (None, None),
    ) -> None:
        """Run one node: its attempts (``retries``, flowai.runs.retry), then its outputs; or, when it
        failed and has ``error`` edges, the error as its only output (the fallback path); else raise."""
        if gate is not None:
            await gate()
        emit(NodeStarted(node.id, node.label, node.spec.type))
        t0 = time.perf_counter()
        retries, base = _retry_policy(node)
        attempt = 1
        while True:
            try:
                outputs, ctx = await self._attempt(node, graph, run_input, state, emit, run_id, scope, gate)
                break
            except FlowAIError as err:
                if attempt <= retries and retryable(err):
                    delay = backoff(base, attempt)
                    emit(NodeRetry(node.id, node.label, node.spec.type, attempt, err.code, err.message, delay))
                    await self.sleep(delay)
                    attempt += 1
                    continue
                emit(NodeFailed(node.id, node.label, node.spec.type, time.perf_counter() - t0, err.code, err.message))
                if not node.fallbacks:
                    raise
                state.outputs[node.id] = {FALLBACK_PORT: {"code": err.code, "message": err.message}}
                targets = [c for c in node.children if c in node.fallbacks]
                emit(FallbackTaken(node.id, node.label, node.spec.type, err.code, err.message, targets))
                return
        state.outputs[node.id] = outputs
        if ctx.usage is not None:
            state.usage[node.id] = ctx.usage
        emit(NodeFinished(node.id, node.label, node.spec.type, time.perf_counter() - t0, outputs, ctx.usage))

    async def _attempt(
        self,
        node: CompiledNode,
        graph: CompiledGraph,
        run_input: dict,
        state: RunState,
        emit: Emit,
        run_id: str,
        scope: tuple[str | None, int | None],
        gate: Gate | None = None,
    ) -> tuple[dict[str, Any], _Context]:
        """One attempt at a node: its outputs, or a FlowAIError carrying the node's id."""
        ctx = _Context(node.id, run_id, run_input, self.services, emit, None, *scope)
        if node.id in graph.bodies:
            ctx.body = ItemRunner(self, graph.bodies[node.id], state, emit, run_id, run_input, gate, scope)
        timeout = None
        try:
            config = _resolve_config(node, graph, state)
            ttl = _cache_ttl(node, graph, config)
            cache = self.cache if ttl else None
            key = await self._cache_key(node, config, ctx.owner_id) if cache is not None else None
            hit = await cache.get(key) if cache is not None and key else None
            if hit is not None:
                outputs, usage = hit
                ctx.usage = {**(usage or {}), "cache_hit": True}
                if "cost" in ctx.usage:  # nothing was paid for this call
                    ctx.usage["cost"] = 0.0
                if node.impl.streams and outputs.get("text"):
                    ctx.stream(outputs["text"], outputs.get("reasoning"))
            else:
                timeout = config.timeout or self.node_timeout
                if never_waits(node.impl):  # nothing to time out: it cannot be interrupted anyway
                    outputs = await node.impl.run(ctx, config)
                else:
                    async with asyncio.timeout(timeout):
                        outputs = await node.impl.run(ctx, config)
                if cache is not None and key and ttl:
                    await cache.put(key, outputs, ctx.usage, ttl)
        except TimeoutError:
            raise NodeTimeoutError(f"Node {node.label} timed out after {timeout:g} s.", node_id=node.id) from None
        except FlowAIError as exc:
            if getattr(exc, "node_id", None) is None:
                exc.node_id = node.id  # type: ignore[attr-defined]
            raise
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a node must not take the server down or leak a trace
            raise NodeError(f"Node {node.label} failed: {type(exc).__name__}.", node_id=node.id) from exc
        finally:
            if ctx.usage is not None:  # a failed or stopped call too: which provider and model it reached
                state.usage[node.id] = ctx.usage
        return outputs, ctx

    async def _cache_key(self, node: CompiledNode, config, owner_id: int | None) -> str | None:
        """Same node type and same rendered config (inputs, provider, model included) -> same key.

        A FlowAI ``/files/`` URL in the config counts by its content (its signature changes, the bytes
        do not). A node whose outputs are media (stored as its owner's files) is cached per owner, and
        not at all in a run without one (its files are the provider's, valid for an hour)."""
        makes_media = any(kind in MEDIA for kind in node.outputs.values())
        if makes_media and owner_id is None:
            return None
        scope = owner_id if makes_media else None
        data = config.model_dump(mode="json", exclude={"timeout", "cache_ttl", "retries", "retry_backoff"})
        content_hash = getattr(getattr(self.services, "media", None), "content_hash", None)
        if content_hash is not None:
            data = await _media_by_content(data, lambda url: content_hash(url, owner_id=owner_id))
        body = orjson.dumps([node.spec.type, data, scope], option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(body).hexdigest()


def _cache_ttl(node: CompiledNode, graph: CompiledGraph, config) -> float | None:
    """Seconds to cache this node's outputs: its own ``cache_ttl``, else the workflow's; None = off."""
    if not node.impl.cacheable:
        return None
    if config.cache_ttl is not None:
        return config.cache_ttl or None
    return graph.doc.settings.cache_ttl


async def _media_by_content(value: Any, content_hash: Callable[[str], Awaitable[str | None]]) -> Any:
    """``value`` with each FlowAI ``/files/`` URL replaced by ``sha256:<hex>`` of the file's bytes."""
    if isinstance(value, str):
        if "/files/" in value:
            digest = await content_hash(value)
            return f"sha256:{digest}" if digest else value
        return value
    if isinstance(value, list):
        return [await _media_by_content(v, content_hash) for v in value]
    if isinstance(value, dict):
        return {k: await _media_by_content(v, content_hash) for k, v in value.items()}
    return value


def _resolve_config(node: CompiledNode, graph: CompiledGraph, state: RunState):
    """Edge values for ports that have edges; rendered templates for the rest; then validate."""
    if node.config is not None and not node.edge_fields and not node.impl.templated:
        return node.config
    outputs = state.outputs

    def lookup(ref: Ref) -> Any:
        return outputs.get(ref.node, {}).get(graph.known[ref.node].impl.aliases.get(ref.port, ref.port))

    raw = {}
    for key, value in node.spec.config.items():
        if key in node.edge_fields:
            src, port = node.edge_fields[key]
            raw[key] = outputs.get(src, {}).get(port)
        elif node.impl.templated and key not in node.impl.body_fields:
            raw[key] = _render_value(value, lookup, node)
        else:
            raw[key] = value
    for key, (src, sport) in node.edge_fields.items():
        raw.setdefault(key, outputs.get(src, {}).get(sport))
    for key in _text_fields(node.impl.Config):
        if key in raw and not isinstance(raw[key], str):
            raw[key] = to_text(raw[key])  # a number, boolean or missing value feeding a text field
    try:
        return node.impl.Config.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise NodeError(
            f"Node {node.label}: config.{loc} is invalid after rendering: {first['msg']}.", node_id=node.id
        ) from None


@cache
def _text_fields(config_cls) -> frozenset[str]:
    """Config fields typed ``str`` (or ``str | None``): rendered values are coerced to text."""
    return frozenset(
        name for name, f in config_cls.model_fields.items() if f.annotation is str or f.annotation == (str | None)
    )


def render_config_value(value: Any, lookup, node: CompiledNode) -> Any:
    """A config value of ``node`` with its templates rendered through ``lookup``."""
    return _render_value(value, lookup, node)


def _render_value(value: Any, lookup, node: CompiledNode) -> Any:
    if isinstance(value, str):
        return render(value, lookup, node.labels)
    if isinstance(value, list):
        return [_render_value(v, lookup, node) for v in value]
    if isinstance(value, dict):
        return {k: _render_value(v, lookup, node) for k, v in value.items()}
    return value


def _retry_policy(node: CompiledNode) -> tuple[int, float]:
    """The node's ``retries`` and ``retry_backoff`` (from its raw config when it has templates)."""
    if node.config is not None:
        retries, base = getattr(node.config, "retries", None), getattr(node.config, "retry_backoff", None)
    else:
        retries, base = node.spec.config.get("retries"), node.spec.config.get("retry_backoff")
    count = retries if isinstance(retries, int) and not isinstance(retries, bool) else 0
    if isinstance(base, int | float) and not isinstance(base, bool) and base >= 0:
        return count, float(base)
    return count, 1.0


def _leads_to(node: CompiledNode, child: str, outputs: dict) -> bool:
    """Whether a finished node activates ``child``: a failed node (its fallback path) only its
    ``error`` edges' targets, a succeeded one never those; otherwise always, unless every edge
    between them starts at a branch port other than the one taken."""
    if node.fallbacks:
        failed = FALLBACK_PORT in outputs
        if failed or child in node.fallbacks:
            return failed and child in node.fallbacks
    if not node.branch_ports:
        return True
    taken = outputs.get("branch")
    return any(port not in node.branch_ports or port == taken for port in node.child_ports.get(child, {None}))


def _collect_output(graph: CompiledGraph, state: RunState) -> Any:
    """The output node's value; with several, an object of the ones that ran (skipped ones are left out)."""
    if len(graph.output_nodes) == 1:
        return state.outputs.get(graph.output_nodes[0].id, {}).get("value")
    return {
        (n.spec.config.get("name") or n.id): state.outputs[n.id]["value"]
        for n in graph.output_nodes
        if n.id in state.outputs
    }


_NEVER_WAITS: dict[type, bool] = {}  # by the implementation's class


def never_waits(impl: Any) -> bool:
    """Whether a node implementation's ``run`` is a coroutine function whose code has no ``await``
    (nor ``async for``/``async with``) at all: calling it can never suspend, so it needs no task
    and no timeout. Read once per function from its bytecode."""
    kind = impl if isinstance(impl, type) else type(impl)
    known = _NEVER_WAITS.get(kind)
    if known is None:
        fn = getattr(impl.run, "__func__", impl.run)
        code = getattr(fn, "__code__", None)
        known = _NEVER_WAITS[kind] = (
            code is not None
            and inspect.iscoroutinefunction(fn)
            and not any(ins.opname in ("YIELD_VALUE", "SEND", "GET_AWAITABLE") for ins in dis.get_instructions(code))
        )
    return known


@types.coroutine
def _resumed(coro: Any, first: Any) -> Any:
    """The rest of ``coro``, which was stepped by hand until it yielded ``first`` to the event loop:
    every later step goes on exactly as if a task had driven it from the start."""
    out = first
    while True:
        try:
            sent = yield out
        except GeneratorExit:
            coro.close()
            raise
        except BaseException as exc:
            try:
                out = coro.throw(exc)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                out = coro.send(sent)
            except StopIteration as stop:
                return stop.value


async def _go_on(coro: Any, first: Any) -> Any:
    return await _resumed(coro, first)
