"""The editor's test-run panel: a form from the input node's fields, a live view of the run.

The run is the *current canvas*: the draft is compiled (``platform.workflows.validate``) and
started through ``platform.run_service.start_checked(..., source="editor")``; the panel follows the handle's
events, lighting nodes up on the canvas (running, done with its time, failed with its error,
skipped), streaming LLM text into the panel and onto the node, and showing media outputs.

A view of the editor's state: it reads the draft and its versions, and reports the run's
progress on the nodes as ``RunCleared`` / ``RunProgress`` / ``RunStream`` intents (the canvas
shows them) and a refused graph as ``ReportIssues``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nicegui import background_tasks, ui

from flowai.errors import FlowAIError, GraphError
from flowai.platform import Platform
from flowai.runs.events import (
    LoopProgress,
    NodeFailed,
    NodeFinished,
    NodeStarted,
    RunFailed,
    RunSucceeded,
    StreamDelta,
)
from flowai.runs.service import Mode, Principal, Target
from flowai.workflows.templates import BRACES

from . import editor_intents as i
from .editor_progress import drawn_stages, stage_patches
from .editor_state import Change, EditorState
from .i18n import labelled, t
from .layout import safe_id
from .media_view import render as render_media


class RunPanel:
    def __init__(self, state: EditorState, emit: i.Emit, *, platform: Platform, account_id: int, workflow_id: str):
        self.state = state
        self.emit = emit
        self.platform = platform
        self.account_id = account_id
        self.workflow_id = workflow_id
        self.handle = None
        self.graph = None
        self.task: asyncio.Task | None = None
        self.values: dict[str, Any] = {}
        self.cards: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, str] = {}  # stream text not yet sent to the canvas
        self.items = ItemCounts()  # nodes inside loops: their items
        self.plan: list = []  # the run's stages, when the workflow draws any
        self.flush_scheduled = False
        ui.label(t("editor_runs.draft_note")).classes("text-xs text-gray-500")
        self.form = ui.column().classes("w-full gap-1")
        with ui.row().classes("items-center gap-2"):
            self.run_button = ui.button(t("editor_runs.run"), icon="play_arrow", on_click=self.run).props(
                'data-testid="run-start" color=positive'
            )
            self.stop_button = ui.button(t("editor_runs.cancel"), icon="stop", on_click=self.stop).props(
                'data-testid="run-stop" flat color=negative'
            )
            self.stop_button.set_visibility(False)
            self.trace_button = ui.button(t("editor_runs.trace"), icon="receipt_long", on_click=self.show_trace).props(
                'data-testid="run-trace" flat'
            )
            self.trace_button.set_visibility(False)
        self.status = ui.label().classes("text-sm").props('data-testid="run-status"')
        self.output_box = ui.column().classes("w-full gap-1")
        self.nodes_box = ui.column().classes("w-full gap-2")
        self.refresh_form()
        ui.context.client.on_delete(self._page_gone)

    def _page_gone(self) -> None:
        """The tab is gone for good: stop following; the run is cancelled after the grace period."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def on_change(self, c: Change) -> None:
        if c.inputs:
            self.refresh_form()

    # the input form ---------------------------------------------------------------------
    def refresh_form(self) -> None:
        node = next((n for n in self.state.draft.doc["nodes"] if n.get("type") == "input"), None)
        fields = (node or {}).get("config", {}).get("fields") or []
        self.form.clear()
        with self.form:
            if node is None:
                ui.label(t("editor_runs.no_input")).classes("text-sm text-orange-700")
                return
            for f in fields:
                if not isinstance(f, dict) or not f.get("name"):
                    continue
                self._field(f)

    def _field(self, f: dict) -> None:
        name, kind = f["name"], f.get("type", "string")
        label = name + (" *" if f.get("required") else "")
        value = self.values.get(name, f.get("default"))
        tid = f'data-testid="{safe_id("run-input", name)}"'

        def put(v: Any) -> None:
            self.values[name] = v

        if kind == "boolean":
            ui.switch(label, value=bool(value), on_change=lambda e: put(e.value)).props(tid)
        elif kind in ("number", "integer"):
            ui.number(label, value=value, on_change=lambda e: put(e.value)).props(tid).classes("w-full")
        elif kind == "json":
            ui.textarea(
                label,
                value=json.dumps(value) if value is not None else "",
                placeholder=t("editor_runs.json_hint"),
                on_change=lambda e: put(("json", e.value)),
            ).props(tid).props("autogrow outlined").classes("w-full")
        elif kind in ("image", "audio", "video", "file"):
            ui.input(
                label,
                value=value or "",
                placeholder=t("editor_runs.url_hint"),
                on_change=lambda e: put(e.value or None),
            ).props(tid).classes("w-full")
        else:
            ui.textarea(label, value=value or "", on_change=lambda e: put(e.value)).props(tid).props(
                "autogrow outlined"
            ).classes("w-full")

    def _input(self) -> dict[str, Any]:
        out = {}
        for name, v in self.values.items():
            if isinstance(v, tuple) and v[0] == "json":
                try:
                    v = json.loads(v[1]) if v[1].strip() else None
                except ValueError:
                    pass  # check_input reports the field
            if v is not None and v != "":
                out[name] = v
        return out

    # running ----------------------------------------------------------------------------
    def run(self) -> None:
        state = self.state
        try:
            graph = self.platform.workflows.validate(state.draft.doc)
        except GraphError as exc:
            self.emit(i.ReportIssues(tuple(exc.issues)))
            ui.notify(t("editor_runs.invalid", message=exc.message), type="negative")
            return
        known = {f.name for f in graph.input_node.config.fields}
        try:
            run_input = graph.check_input({k: v for k, v in self._input().items() if k in known})
        except FlowAIError as exc:
            ui.notify(t("editor_runs.bad_input", message=exc.message), type="negative")
            return
        version = state.base if not state.dirty else 0  # 0: an unsaved draft
        self.handle = self.platform.run_service.start_checked(
            Principal(self.account_id),
            Target(self.workflow_id, version, graph),
            run_input,
            mode=Mode.CLIENT,
            source="editor",
        )
        self.handle.attach()
        self.graph = graph
        self.items = ItemCounts()
        self.plan = drawn_stages(graph)
        self.cards.clear()
        self.nodes_box.clear()
        self.output_box.clear()
        self.status.text = t("editor_runs.running")
        self.status.props('data-state="running"')
        self.run_button.disable()
        self.stop_button.set_visibility(True)
        self.trace_button.set_visibility(False)
        self.emit(i.RunCleared())
        if self.plan:
            self.emit(i.RunStages(stage_patches(self.plan, [])))
        self.task = background_tasks.create(self._follow(self.handle), name="editor-run")

    def stop(self) -> None:
        if self.handle is not None and not self.handle.done:
            self.handle.cancel()

    async def _follow(self, handle) -> None:
        started: set[str] = set()
        outcome = "running"
        try:
            async for _seq, ev in handle.follow():
                if self.plan and isinstance(ev, (NodeStarted, NodeFinished, NodeFailed, LoopProgress)):
                    self.emit(i.RunStages(stage_patches(self.plan, handle.events)))
                if isinstance(ev, LoopProgress):
                    self.items.totals[ev.node] = ev.total
                    self._patch(ev.node, "running", self.items.text(ev.done, ev.total, ev.failed))
                elif getattr(ev, "item", None) is not None:
                    self._item_event(ev)
                elif isinstance(ev, NodeStarted):
                    started.add(ev.node)
                    self._card(ev.node, ev.label)
                    self._patch(ev.node, "running", t("editor_runs.st_running"))
                elif isinstance(ev, StreamDelta):
                    self._stream(ev.node, ev.content or "")
                elif isinstance(ev, NodeFinished):
                    self._flush()
                    done = t("editor_runs.st_done", time=ev.time_spend)
                    if ev.node in self.items.totals:  # a loop: its items, and its time
                        done = f"{self.items.loop_text(ev.node, ev.outputs)} · {done}"
                    self._patch(ev.node, "done", done)
                    self._outputs(ev.node, ev.outputs)
                elif isinstance(ev, NodeFailed):
                    self._flush()
                    self._patch(ev.node, "failed", t("editor_runs.st_failed"), error=ev.message)
                    self._card(ev.node, ev.label)["error"].text = ev.message
                elif isinstance(ev, RunSucceeded):
                    outcome = "completed"
                    self._flush()
                    self.status.text = t("editor_runs.completed", time=ev.total_time)
                    self.status.props('data-state="completed"')
                    self._show_output(ev.output, _output_kind(self.graph))
                elif isinstance(ev, RunFailed):
                    outcome = ev.status
                    self._flush()
                    key = "cancelled" if ev.status == "cancelled" else "failed"
                    self.status.text = t(f"editor_runs.{key}", message=ev.message)
                    self.status.props(f'data-state="{safe_id(key)}"')
        finally:
            handle.detach(self.platform.runs.grace)
            finished = {e.node for e in handle.events if isinstance(e, (NodeFinished, NodeFailed))}
            skipped = {
                nid: {"status": "skipped", "statusText": t("editor_runs.st_skipped")}
                for nid in (self.graph.nodes if self.graph else ())
                if nid not in finished
            }
            if skipped:
                self.emit(i.RunProgress(skipped))
            if self.plan:
                self.emit(i.RunStages(stage_patches(self.plan, handle.events, outcome)))
            self.run_button.enable()
            self.stop_button.set_visibility(False)
            self.trace_button.set_visibility(True)

    def _item_event(self, ev: Any) -> None:
        """An event of a node inside a loop, for one item: the node shows its items ("3/20")."""
        node_id, index = ev.node, ev.item
        parent = (self.state.draft.node(node_id) or {}).get("parent")
        if isinstance(ev, StreamDelta):
            return  # many items stream at once: their outputs show when each item ends
        if isinstance(ev, NodeStarted):
            self._card(node_id, ev.label)
            self.items.started(node_id)
        elif isinstance(ev, NodeFinished):
            self.items.finished(node_id)
            self._outputs(node_id, ev.outputs, item=index)
        elif isinstance(ev, NodeFailed):
            message = t("editor_runs.item_failed", index=index, message=ev.message)
            self.items.failed(node_id, message)
            self._card(node_id, ev.label)["error"].text = message
        else:
            return
        status, text = self.items.status(node_id, self.items.totals.get(parent))
        self._patch(node_id, status, text, error=self.items.errors.get(node_id))

    def _patch(self, node_id: str, status: str, text: str, error: str | None = None) -> None:
        self.emit(i.RunProgress({node_id: {"status": status, "statusText": text, "error": error}}))
        card = self.cards.get(node_id)
        if card is not None:
            card["status"].text = text
            card["root"].props(f'data-status="{safe_id(status)}"')

    def _card(self, node_id: str, label: str) -> dict[str, Any]:
        if node_id in self.cards:
            return self.cards[node_id]
        with self.nodes_box:
            with (
                ui.card()
                .classes("w-full p-2 gap-1")
                .props(f'flat bordered data-testid="{safe_id("run-node", node_id)}"') as root
            ):
                with ui.row().classes("items-center gap-2 w-full"):
                    ui.label(label).classes("font-medium")
                    ui.label(node_id).classes("text-xs text-gray-500")
                    ui.space()
                    status = ui.label().classes("text-xs")
                stream = (
                    ui.label()
                    .classes("text-sm whitespace-pre-wrap break-words text-blue-900")
                    .props(f'data-testid="{safe_id("run-stream", node_id)}"')
                )
                error = ui.label().classes("text-sm text-red-700 whitespace-pre-wrap")
                outputs = ui.column().classes("w-full gap-1")
        self.cards[node_id] = {"root": root, "status": status, "stream": stream, "error": error, "outputs": outputs}
        return self.cards[node_id]

    def _stream(self, node_id: str, text: str) -> None:
        if not text:
            return
        card = self.cards.get(node_id) or self._card(node_id, node_id)
        card["stream"].text += text
        self.pending[node_id] = self.pending.get(node_id, "") + text
        if not self.flush_scheduled:  # send stream text to the canvas at most ~12 times a second
            self.flush_scheduled = True
            asyncio.get_running_loop().call_later(0.08, self._flush)

    def _flush(self) -> None:
        self.flush_scheduled = False
        if self.pending:
            chunks, self.pending = self.pending, {}
            self.emit(i.RunStream(chunks))

    def type_of(self, url: str) -> str | None:
        """The stored type of the account's own file behind a ``/files/<id>`` URL (else None)."""
        row = self.platform.files.get(url.split("?", 1)[0].removeprefix("/files/"))
        return row.type if row is not None and row.owner_id == self.account_id else None

    def _outputs(self, node_id: str, outputs: dict[str, Any], item: int | None = None) -> None:
        node = _compiled(self.graph, node_id)
        if node is None:
            return
        card = self._card(node_id, node.label)
        with card["outputs"]:
            if item is not None:
                ui.label(t("editor_runs.item_no", index=item)).classes("text-xs font-medium text-gray-500")
            for port, value in (outputs or {}).items():
                kind = str(node.outputs.get(port, "any"))
                if value is None or (port == "text" and card["stream"].text):
                    continue
                with ui.element("div").props(f'data-testid="{safe_id("run-media", node_id, port)}"') as box:
                    shown = render_media(value, kind=kind, type_of=self.type_of)
                if shown:
                    continue
                box.delete()
                if node.spec.type != "input" and kind != "json":
                    ui.label(
                        f"{port}: {value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
                    ).classes("text-xs text-gray-700 whitespace-pre-wrap break-words")

    def _show_output(self, output: Any, kind: str | None) -> None:
        with self.output_box:
            ui.label(t("editor_runs.output")).classes("text-sm font-medium")
            with ui.card().classes("w-full p-2 bg-green-50").props('flat bordered data-testid="run-output"'):
                with ui.element("div").props('data-testid="run-output-media"'):
                    render_media(output, kind=kind, type_of=self.type_of, partial=True)
                text = (
                    output if isinstance(output, str) else json.dumps(output, ensure_ascii=False, indent=1, default=str)
                )
                ui.label(text).classes("text-sm whitespace-pre-wrap break-words").props('data-testid="run-output-text"')

    # trace ------------------------------------------------------------------------------
    def show_trace(self) -> None:
        handle = self.handle
        if handle is None:
            return
        rows = []
        finished = {e.node: e for e in handle.events if isinstance(e, (NodeFinished, NodeFailed))}
        for nid, node in self.graph.nodes.items() if self.graph else ():
            ev = finished.get(nid)
            usage = (getattr(ev, "usage", None) or {}) if ev else {}
            status = ("completed" if isinstance(ev, NodeFinished) else "failed") if ev else "skipped"
            rows.append(
                {
                    "node": f"{node.label} ({nid})",
                    "status": t(f"editor_runs.st_{status}"),
                    "time": round(ev.time_spend, 3) if ev else "",
                    "provider": usage.get("provider") or "",
                    "model": usage.get("model") or "",
                    "tokens": usage.get("total_tokens") or "",
                    "cost": usage.get("cost") or "",
                    "fallbacks": ", ".join(
                        f"{f.get('provider')}: {f.get('reason')}" for f in usage.get("fallbacks") or []
                    ),
                }
            )
        columns = [
            {"name": k, "label": t(f"editor_runs.{k}"), "field": k, "align": "left"}
            for k in ("node", "status", "time", "provider", "model", "tokens", "cost", "fallbacks")
        ]
        with ui.dialog() as dialog, ui.card().classes("w-[60rem] max-w-full").props('data-testid="trace"'):
            ui.label(t("editor_runs.trace_title", id=handle.id)).classes("text-lg")
            run_input = json.dumps(handle.run_input, ensure_ascii=False)
            ui.label(labelled(t("editor_runs.input"), run_input)).classes("text-sm")
            ui.table(columns=columns, rows=rows, row_key="node").classes("w-full").props("dense flat")
            for ev in finished.values():
                if isinstance(ev, NodeFinished):
                    with ui.expansion(labelled(t("editor_runs.outputs"), ev.label)).classes("w-full").props("dense"):
                        ui.label(json.dumps(ev.outputs, ensure_ascii=False, indent=1, default=str)).classes(
                            "text-xs font-mono whitespace-pre-wrap break-words"
                        )
                else:
                    ui.label(f"{ev.label}: {ev.message}").classes("text-sm text-red-700")
        dialog.open()


def _output_kind(graph) -> str | None:
    """The port type feeding a single output node's value (through an edge or a lone ``{{n.p}}``)."""
    if graph is None or len(graph.output_nodes) != 1:
        return None
    out = graph.output_nodes[0]
    source = out.edge_inputs.get("value")
    if source is None:
        value = out.spec.config.get("value")
        match = BRACES.fullmatch(value.strip()) if isinstance(value, str) else None
        source = (match.group(1), match.group(2)) if match else None
    if source is None or source[0] not in graph.nodes:
        return None
    kind = graph.nodes[source[0]].outputs.get(source[1])
    return str(kind) if kind is not None else None


def _compiled(graph, node_id: str):
    """A node of the run's graph, also one inside a loop."""
    if graph is None:
        return None
    if node_id in graph.nodes:
        return graph.nodes[node_id]
    return next((body.nodes[node_id] for body in graph.bodies.values() if node_id in body.nodes), None)


class ItemCounts:
    """The items of the nodes inside loops: how many started, ended, failed (a node runs once per item)."""

    def __init__(self) -> None:
        self.totals: dict[str, int] = {}  # loop id -> its items (from its loop_progress events)
        self.running: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.errors: dict[str, str] = {}  # node id -> its last failed item's message
        self.failures: dict[str, int] = {}

    def started(self, node: str) -> None:
        self.running[node] = self.running.get(node, 0) + 1

    def finished(self, node: str) -> None:
        self.running[node] = max(self.running.get(node, 1) - 1, 0)
        self.done[node] = self.done.get(node, 0) + 1

    def failed(self, node: str, message: str) -> None:
        self.finished(node)
        self.failures[node] = self.failures.get(node, 0) + 1
        self.errors[node] = message

    def status(self, node: str, total: int | None) -> tuple[str, str]:
        """The node's state and text: "running" while items run, "done" (or "failed") when all ended."""
        done, failed = self.done.get(node, 0), self.failures.get(node, 0)
        text = self.text(done, total, failed)
        if self.running.get(node) or total is None or done < total:
            return "running", text
        return ("failed" if failed else "done"), text

    @staticmethod
    def text(done: int, total: int | None, failed: int = 0) -> str:
        shown = "?" if total is None else total
        if failed:
            return t("editor_runs.items_failed", done=done, total=shown, failed=failed)
        return t("editor_runs.items", done=done, total=shown)

    def loop_text(self, loop: str, outputs: dict[str, Any]) -> str:
        errors = outputs.get("errors") if isinstance(outputs, dict) else None
        total = self.totals.get(loop, 0)
        return self.text(total, total, len(errors) if isinstance(errors, list) else 0)
