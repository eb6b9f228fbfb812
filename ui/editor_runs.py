"""The editor's test-run panel: a form from the input node's fields, a live view of the run.

The run is the *current canvas*: the draft is compiled (``platform.workflows.validate``) and
started through ``platform.run_service.start_checked(..., source="editor")``; the panel follows the handle's
events, lighting nodes up on the canvas (running, done with its time, failed with its error,
skipped), streaming LLM text into the panel and onto the node, and showing media outputs.

A view of the editor's state: it reads the draft and its versions, and reports the run's
progress on the nodes as ``RunCleared`` / ``RunProgress`` / ``RunStream`` intents (the canvas
shows them) and a refused graph as ``ReportIssues``. The input form is ``editor_run_form``; the node
tools' sample and pin dialogs are ``editor_node_dialogs``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nicegui import background_tasks, ui

from flowai.errors import FlowAIError, GraphError
from flowai.platform import Platform
from flowai.runs import tools
from flowai.runs.events import (
    LoopProgress,
    NodeFailed,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFailed,
    RunSucceeded,
    StreamDelta,
)
from flowai.runs.service import Mode, Principal, Target
from flowai.workflows.templates import BRACES
from nodes.define import PortKind

from . import editor_intents as i
from .editor_node_dialogs import pin_dialog, sample_dialog
from .editor_progress import drawn_stages, stage_patches
from .editor_run_form import RunInputForm
from .editor_state import Change, EditorState
from .i18n import has, labelled, t
from .layout import safe_id
from .media_view import render as render_media


class RunPanel:
    def __init__(
        self,
        state: EditorState,
        emit: i.Emit,
        *,
        platform: Platform,
        account_id: int,
        workflow_id: str,
        show: Any = None,
    ):
        self.state = state
        self.show = show or (lambda: None)  # bring the run panel forward
        self.emit = emit
        self.platform = platform
        self.account_id = account_id
        self.workflow_id = workflow_id
        self.handle = None
        self.graph = None
        self.task: asyncio.Task | None = None
        self.cards: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, str] = {}  # stream text not yet sent to the canvas
        self.items = ItemCounts()  # nodes inside loops: their items
        self.inner: dict[str, dict[str, Any]] = {}  # node inside a loop -> its outputs for its first item
        self.plan: list = []  # the run's stages, when the workflow draws any
        self.flush_scheduled = False
        ui.label(t("editor_runs.draft_note")).classes("text-xs text-gray-500")
        self.form = RunInputForm()
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
            self.page_link = (
                ui.link(t("editor_runs.run_page"), "#").classes("text-sm").props('data-testid="run-page-link"')
            )
            self.page_link.set_visibility(False)
        self.status = ui.label().classes("text-sm").props('data-testid="run-status"')
        self.output_box = ui.column().classes("w-full gap-1")
        self.nodes_box = ui.column().classes("w-full gap-2")
        with (
            ui.expansion(t("editor_runs.recent"), icon="history")
            .classes("w-full")
            .props('dense data-testid="recent-runs"') as self.recent_box
        ):
            self.recent_list = ui.column().classes("w-full gap-0")
        self.recent_box.on_value_change(lambda e: e.value and self.refresh_recent())
        self.given: set[str] = set()  # nodes whose outputs the run was given (pinned, reused, samples)
        self.single = False  # the run is one node run alone (on sample values)
        self.form.draw(self.state.draft.doc)
        ui.context.client.on_delete(self._page_gone)

    @property
    def principal(self) -> Principal:
        return Principal(self.account_id)

    def _page_gone(self) -> None:
        """The tab is gone for good: stop following; the run is cancelled after the grace period."""
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def on_change(self, c: Change) -> None:
        if c.inputs:
            self.form.draw(self.state.draft.doc)

    # running ----------------------------------------------------------------------------
    def run(self) -> None:
        graph = self._graph()
        if graph is None:
            return
        known = {f.name for f in graph.input_node.config.fields}
        bad: dict[str, str] = {}
        given = {k: v for k, v in self.form.input(bad).items() if k in known}
        try:
            run_input = graph.check_input(given)
        except FlowAIError as exc:
            problems = exc.detail if isinstance(exc.detail, dict) else {}
            if not self.form.refused({**{k: str(v) for k, v in problems.items()}, **bad}):
                ui.notify(t("editor_runs.bad_input", message=exc.message), type="negative")
            return
        if self.form.refused(bad):
            return
        handle = self.platform.run_service.start_checked(
            self.principal,
            self._target(graph),
            run_input,
            mode=Mode.CLIENT,
            source="editor",
            state=tools.pinned_state(graph),  # pinned nodes are not executed; their outputs flow on
        )
        self._begin(handle, graph)

    def _graph(self):
        """The canvas compiled, or None (its problems shown)."""
        try:
            return self.platform.workflows.validate(self.state.draft.doc)
        except GraphError as exc:
            self.emit(i.ReportIssues(tuple(exc.issues)))
            ui.notify(t("editor_runs.invalid", message=exc.message), type="negative")
            return None

    def _target(self, graph) -> Target:
        version = self.state.base if not self.state.dirty else 0  # 0: an unsaved draft
        return Target(self.workflow_id, version, graph)

    def _begin(self, handle, graph, *, given: str = "reused") -> None:
        """Follow a run just started: its nodes light up on the canvas and get a card here.
        ``given``: what the nodes whose outputs the run was given are (besides pinned ones)."""
        self.handle = handle
        self.handle.attach()
        self.graph = graph
        self.given = set(handle.state.outputs)
        self.items = ItemCounts()
        self.single = given == "sample"  # one node run alone
        self.plan = drawn_stages(graph) if not self.single else []  # one node: no stage to show
        self.cards.clear()
        self.nodes_box.clear()
        self.output_box.clear()
        self.status.text = t("editor_runs.running")
        self.status.props('data-state="running"')
        self.run_button.disable()
        self.stop_button.set_visibility(True)
        self.trace_button.set_visibility(False)
        self.page_link.set_visibility(False)
        self.emit(i.RunCleared())
        pins = tools.pins(graph)
        kinds = {nid: "pinned" if nid in pins and given != "sample" else given for nid in self.given}
        given = {nid: {"status": kind, "statusText": t(f"editor_runs.st_{kind}")} for nid, kind in kinds.items()}
        if given:
            self.emit(i.RunProgress(given))
        self.inner = {}
        for nid in self.given:
            node = _compiled(graph, nid)
            if node is None:
                continue
            self._card(nid, node.label)
            self._patch(nid, given[nid]["status"], given[nid]["statusText"])
            self._outputs(nid, handle.state.outputs[nid])
        if self.plan:
            self.emit(i.RunStages(stage_patches(self.plan, [])))
        self.show()
        self.task = background_tasks.create(self._follow(self.handle), name="editor-run")

    def stop(self) -> None:
        if self.handle is not None and not self.handle.done:
            self.handle.cancel()

    @property
    def busy(self) -> bool:
        return self.handle is not None and not self.handle.done

    # the node tools (the settings panel's buttons) -----------------------------------------
    def run_node(self, node_id: str) -> None:
        """Ask for the sample values of what the node reads (prefilled from the last run, or the
        pins), then run the node alone on them: nothing upstream is executed."""
        graph = self._graph()
        if graph is None or self.busy:
            return
        try:
            wanted = tools.reads(graph, node_id)
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        dialog, samples = sample_dialog(self.state, graph, node_id, wanted)

        async def ask() -> None:
            go = await dialog
            dialog.delete()
            if not go:
                return
            handle = self.platform.run_service.run_node(
                self.principal, self._target(graph), node_id, samples(), self.form.input(), source="editor"
            )
            assert handle.graph is not None  # (a run started here has its graph)
            self._begin(handle, handle.graph, given="sample")

        dialog.open()
        background_tasks.create(ask(), name="editor-sample")

    async def run_from(self, node_id: str) -> None:
        """Run the canvas again from this node: what it depends on is reused from the last run."""
        graph = self._graph()
        if graph is None or self.busy:
            return
        if self.state.last_run is None:
            ui.notify(t("editor_runs.need_run"), type="warning")
            return
        start = tools.enclosing(graph, node_id) if node_id in graph.known else node_id
        if start != node_id:  # inside a loop: no outputs are kept per item, so its loop runs again
            ui.notify(t("editor_runs.rerun_loop", loop=graph.known[start].label), type="info")
        try:
            handle = await self.platform.run_service.rerun_from(
                self.principal, self.state.last_run, start, self._target(graph), source="editor"
            )
        except FlowAIError as exc:
            ui.notify(t("editor_runs.rerun_refused", message=exc.message), type="warning")
            return
        self._begin(handle, graph)

    def edit_pin(self, node_id: str) -> None:
        """Pin the node's outputs (from the last run, editable as JSON), or unpin them."""
        pin_dialog(self.state, self.emit, node_id)

    # past runs ----------------------------------------------------------------------------
    def refresh_recent(self) -> None:
        background_tasks.create(self._recent(), name="editor-recent")

    async def _recent(self) -> None:
        runs, _total = await self.platform.run_service.page(self.principal, workflow_id=self.workflow_id, limit=8)
        self.recent_list.clear()
        with self.recent_list:
            if not runs:
                ui.label(t("editor_runs.recent_none")).classes("text-xs text-gray-500")
            for run in runs:
                source = t(f"runs.src_{run.source}") if has(f"runs.src_{run.source}") else run.source
                status = t(f"runs.s_{run.status}") if has(f"runs.s_{run.status}") else run.status
                with (
                    ui.item(on_click=lambda rid=run.id: self.load_run(rid))
                    .classes("w-full px-1")
                    .props(f'dense clickable data-testid="{safe_id("recent-run", run.id)}"')
                ):
                    with ui.item_section():
                        ui.item_label(f"{run.created_at.strftime('%m-%d %H:%M:%S')} · {source}")
                        ui.item_label(status).props("caption")

    def load_run(self, run_id: str) -> None:
        background_tasks.create(self._load(run_id), name="editor-load-run")

    async def _load(self, run_id: str) -> None:
        """A past run on the canvas (whatever started it): each node's status and outputs, and here
        its inputs, outputs, provider, model and cost — the Runs page's trace."""
        if self.busy:
            return
        try:
            trace = await self.platform.run_service.trace(self.principal, run_id)
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        if trace.run.workflow_id != self.workflow_id:
            ui.notify(t("editor_runs.other_workflow"), type="warning")
            return
        self.handle, self.graph, self.given = None, None, set()
        self.cards.clear()
        self.nodes_box.clear()
        self.output_box.clear()
        self.trace_button.set_visibility(False)
        self.page_link.props["href"] = f"/runs/{run_id}"
        self.page_link.set_visibility(True)
        self.emit(i.RunCleared())
        run = trace.run
        status = t(f"runs.s_{run.status}") if has(f"runs.s_{run.status}") else run.status
        source = t(f"runs.src_{run.source}") if has(f"runs.src_{run.source}") else run.source
        self.status.text = t("editor_runs.loaded", id=run.id[:8], status=status, source=source)
        self.status.props(f'data-state="{safe_id("loaded", run.status)}"')
        patches: dict[str, dict[str, Any]] = {}
        for node in trace.nodes:
            shown = LOADED_STATUS.get(node.status, node.status)
            text = _loaded_text(node)
            if self.state.draft.node(node.node_id) is not None:
                patches[node.node_id] = {"status": shown, "statusText": text, "error": node.error}
            self._loaded_card(node, shown, text)
        if patches:
            self.emit(i.RunProgress(patches))
        if run.status == "completed":
            self._show_output(run.output, None)
        self.emit(i.RunLoaded(run.id, {n.node_id: dict(n.outputs) for n in trace.nodes if n.outputs}))
        self.show()

    def _loaded_card(self, node, status: str, text: str) -> None:
        card = self._card(node.node_id, node.label)
        card["status"].text = text
        card["root"].props(f'data-status="{safe_id(status)}"')
        if node.error:
            card["error"].text = node.error
        usage = node.usage or {}
        facts = [
            (t("editor_runs.provider"), usage.get("provider")),
            (t("editor_runs.model"), usage.get("model")),
            (t("editor_runs.tokens"), usage.get("total_tokens")),
            (t("runs.cost"), _money(usage.get("cost"))),
        ]
        with card["outputs"]:
            shown = [labelled(name, value) for name, value in facts if value not in (None, "")]
            if shown:
                ui.label(" · ".join(shown)).classes("text-xs text-gray-600").props(
                    f'data-testid="{safe_id("run-usage", node.node_id)}"'
                )
            for title, values, role, kind in (
                (t("editor_runs.inputs"), node.inputs, "run-inputs", "input"),
                (t("editor_runs.outputs"), node.outputs, "run-outputs", "output"),
            ):
                if not values:
                    continue
                with ui.column().classes("w-full gap-0").props(f'data-testid="{safe_id(role, node.node_id)}"'):
                    ui.label(title).classes("text-xs font-medium text-gray-500")
                    for port, value in values.items():
                        if value is None or port == "usage":
                            continue
                        testid = safe_id("run-media", node.node_id, port)
                        with ui.element("div").props(f'data-testid="{safe_id(testid)}"') as box:
                            drawn = render_media(value, kind=(node.types or {}).get(port), type_of=self.type_of)
                        if drawn:
                            continue
                        box.delete()
                        shown_value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                        ui.label(f"{self._port_name(node.type, kind, port)}: {shown_value}").classes(
                            "text-xs text-gray-700 whitespace-pre-wrap break-words"
                        )

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
                    if self.graph is None or self.graph.output_nodes:  # (one node run alone: its card)
                        self._show_output(ev.output, _output_kind(self.graph))
                elif isinstance(ev, RunFailed):
                    outcome = ev.status
                    self._flush()
                    key = "cancelled" if ev.status == "cancelled" else "failed"
                    self.status.text = t(f"editor_runs.{key}", message=ev.message)
                    self.status.props(f'data-state="{safe_id(key)}"')
        finally:
            handle.detach(self.platform.runs.grace)
            self._unfinished(handle, started, outcome)
            if self.plan:
                self.emit(i.RunStages(stage_patches(self.plan, handle.events, outcome)))
            self.run_button.enable()
            self.stop_button.set_visibility(False)
            self.trace_button.set_visibility(True)
            self.page_link.props["href"] = f"/runs/{handle.id}"
            self.page_link.set_visibility(True)
            outputs = {  # (a loop given a sample item: its outputs are not those)
                nid: out
                for nid, out in handle.state.outputs.items()
                if not (self.single and nid in self.given and _is_loop(self.graph, nid))
            }
            if self.single and self.state.last_run is not None:
                # one node run alone: "Run from here" still reuses the last whole run; the node's new
                # outputs join the values offered as samples and pins
                self.emit(i.RunLoaded(self.state.last_run, {**self.state.run_outputs, **outputs}))
            else:  # the nodes inside loops: their first item's outputs (samples for their siblings)
                self.emit(i.RunLoaded(handle.id, {**self.inner, **outputs}))
            if self.recent_box.value:
                self.refresh_recent()

    def _unfinished(self, handle, started: set[str], outcome: str) -> None:
        """The nodes of an ended run that did not finish, as the Runs page records them: a node
        stopped while it ran is cancelled (so is every node not reached when the run was
        cancelled); a node the run never reached otherwise is skipped."""
        finished = {e.node for e in handle.events if isinstance(e, (NodeFinished, NodeFailed, NodeSkipped))}
        for nid in self.graph.nodes if self.graph else ():
            if nid in finished or nid in self.given:
                continue
            status = "cancelled" if nid in started or outcome == "cancelled" else "skipped"
            self._patch(nid, status, t(f"editor_runs.st_{status}"))
        for ev in handle.events:
            if isinstance(ev, NodeSkipped) and ev.item is None:
                self._patch(ev.node, "skipped", t("editor_runs.st_skipped"))

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
            if index == 0 or node_id not in self.inner:
                self.inner[node_id] = dict(ev.outputs or {})
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
                        f"{self._port_name(node.spec.type, 'output', port)}: "
                        f"{value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)}"
                    ).classes("text-xs text-gray-700 whitespace-pre-wrap break-words")

    def _port_name(self, node_type: str, kind: PortKind, port: str) -> str:
        """A port as people read it on the node's face (its title in the UI's language), else its id."""
        impl = self.state.draft.registry.get(node_type)
        title = (impl.port_title(kind, port) or impl.port_title("body", port)) if impl is not None else None
        return title.get(self.state.draft.language) if title is not None else port

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
    def _not_run(self, node_id: str) -> str:
        """Why a node of the followed run has no outcome of its own (the trace's status)."""
        handle = self.handle
        if node_id in self.given:
            return "sample" if self.single else "pinned" if self.graph and node_id in self.graph.doc.pins else "reused"
        started = handle is not None and any(isinstance(e, NodeStarted) and e.node == node_id for e in handle.events)
        return "cancelled" if started or (handle is not None and handle.status == "cancelled") else "skipped"

    def show_trace(self) -> None:
        handle = self.handle
        if handle is None:
            return
        rows = []
        finished = {e.node: e for e in handle.events if isinstance(e, (NodeFinished, NodeFailed))}
        for nid, node in self.graph.nodes.items() if self.graph else ():
            ev = finished.get(nid)
            usage = (getattr(ev, "usage", None) or {}) if ev else {}
            status = ("completed" if isinstance(ev, NodeFinished) else "failed") if ev else self._not_run(nid)
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


LOADED_STATUS = {"completed": "done", "fallback": "failed"}  # a trace's node status -> the canvas's


def _loaded_text(node) -> str:
    """A loaded run's node status as the canvas shows it: the time it took, else its status."""
    if node.status == "completed" and node.time_spend is not None:
        return t("editor_runs.st_done", time=node.time_spend)
    key = f"editor_runs.st_{node.status}"
    if has(key):
        return t(key)
    return t(f"runs.s_{node.status}") if has(f"runs.s_{node.status}") else node.status


def _money(value: Any) -> str | None:
    """A cost in USD as the Runs page writes it ($0.000002)."""
    if not isinstance(value, int | float):
        return None
    return f"${value:.6f}".rstrip("0").rstrip(".") if value else "$0"


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


def _is_loop(graph, node_id: str) -> bool:
    node = _compiled(graph, node_id)
    return node is not None and bool(node.impl.body_ports)


def _compiled(graph, node_id: str):
    """A node of the run's graph, also one inside a loop."""
    if graph is None:
        return None
    if node_id in graph.nodes:
        return graph.nodes[node_id]
    return graph.known.get(node_id)


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
