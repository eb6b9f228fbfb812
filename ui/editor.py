"""The canvas editor page, ``/workflows/{id}``: palette, canvas, settings / run / versions panels.

The server holds the draft (:class:`ui.editor_model.Draft`); the canvas sends small deltas
(node added, nodes moved, edge connected, elements removed) and receives views back. Saving
makes an immutable version based on the version the page started from, so a second tab gets
a conflict message instead of overwriting.
"""

from __future__ import annotations

import asyncio
import json

from nicegui import app, ui

from flowai.errors import NotFoundError
from flowai.platform import Platform
from nodes.define import GROUPS as NODE_GROUPS

from .canvas import FlowCanvas
from .editor_model import Draft, compat_table
from .editor_panel import SettingsPanel
from .editor_runs import RunPanel
from .editor_save import Publishing
from .editor_versions import VersionsPanel
from .i18n import language, t
from .layout import frame, safe_id, signed_in_user

# Colours of the state labels, set as styles: a class change makes the page's Tailwind runtime
# rewrite its stylesheet, which restyles every element of a large graph (~0.1 s for 200 nodes).
BLUE, ORANGE, GREEN, RED, GREY = "#1d4ed8", "#c2410c", "#15803d", "#b91c1c", "#6b7280"
JS_TEXTS = ("refuse_self", "refuse_port", "refuse_type", "refuse_taken", "refuse_cycle")


def register(platform: Platform) -> None:
    @ui.page("/workflows/{workflow_id}")
    def editor_page(workflow_id: str):
        user = signed_in_user(platform)
        if user is None:
            return
        try:
            wf = platform.workflows.get(owner_id=user.id, workflow_id=workflow_id)
        except NotFoundError:
            with frame(platform, t("editor.title")):
                ui.label(t("editor.not_found")).props('data-testid="not-found"')
                ui.link(t("editor.back"), "/")
            return
        Editor(platform, user, wf).build()


def _titles(registry) -> dict[str, str]:
    """Node type titles in the UI language, from the node definitions."""
    lang = language()
    return {impl.type: impl.definition.title.get(lang) for impl in registry}


class Editor:
    def __init__(self, platform: Platform, user, wf):
        self.platform = platform
        self.user = user
        self.workflow_id = wf.id
        self.base = wf.latest_version  # the version this page's draft is based on
        self.published = wf.published_version
        self.draft = Draft(
            platform.workflows.export(owner_id=user.id, workflow_id=wf.id),
            platform.registry,
            titles=_titles(platform.registry),
        )
        self.mode = "draft"  # "view": a version read-only; "diff": two versions compared
        self.shown_doc: dict | None = None  # the document on the canvas when not the draft
        self.shown_label = None  # the version number (view) or the pair compared (diff)
        self.publishing = Publishing(self)
        self.selected: str | None = None
        self.issues_by_node: dict[str, list[str]] = {}
        self.general_issues: list[str] = []
        self._validate: asyncio.TimerHandle | None = None
        self._last_add: tuple[float, float] | None = None

    # layout -----------------------------------------------------------------------------
    def build(self) -> None:
        with frame(self.platform, f"{t('editor.title')} · {self.draft.doc.get('name', '')}", wide=True):
            self.host = ui.element("div").classes("hidden")
            self._toolbar()
            with ui.row().classes("w-full no-wrap gap-2 items-stretch").style("height: calc(100vh - 152px)"):
                self._palette()
                with ui.element("div").classes("grow relative rounded border").style("min-width: 0"):
                    self.canvas = FlowCanvas(
                        self._initial_view(), compat=compat_table(), texts={k: t(f"editor.{k}") for k in JS_TEXTS}
                    )
                    self.canvas.classes("absolute inset-0").props('data-testid="canvas"')
                with ui.column().classes("w-[390px] shrink-0 h-full no-wrap gap-0"):
                    with ui.tabs().classes("w-full").props("dense") as tabs:
                        self.tab_settings = ui.tab("settings", t("editor.settings")).props('data-testid="tab-settings"')
                        self.tab_run = ui.tab("run", t("editor.run")).props('data-testid="tab-run"')
                        self.tab_versions = ui.tab("versions", t("editor.versions")).props('data-testid="tab-versions"')
                    with (
                        ui.tab_panels(tabs, value=self.tab_settings)
                        .props("keep-alive")
                        .classes("w-full grow overflow-y-auto overflow-x-hidden") as self.panels
                    ):
                        with ui.tab_panel(self.tab_settings).classes("p-2"):
                            self.settings = SettingsPanel(self, _titles(self.platform.registry))
                            self.issues_box = ui.column().classes("w-full gap-1").props('data-testid="problems"')
                        with ui.tab_panel(self.tab_run).classes("p-2"):
                            self.runs = RunPanel(self)
                        with ui.tab_panel(self.tab_versions).classes("p-2"):
                            self.versions = VersionsPanel(self)
        for name, handler in (
            ("add_node", self.on_add),
            ("move", self.on_move),
            ("connect", self.on_connect),
            ("remove", self.on_remove),
            ("select", self.on_select),
            ("refused", self.on_refused),
            ("undo", self.undo),
            ("redo", self.redo),
            ("copy", self.on_copy),
            ("paste", self.on_paste),
            ("save", self.publishing.save_now),
        ):
            self.canvas.on(name, handler)
        self.settings.render()
        self.update_state()
        self.show_issues(self.issues_by_node, self.general_issues)

    def _initial_view(self) -> dict:
        """The draft with its validation problems already on the nodes (the page is not live yet:
        calls into the browser would be lost)."""
        self.issues_by_node, self.general_issues = self.draft.issues(self.platform.workflows.validate)
        view = self.draft.graph_view()
        for n in view["nodes"]:
            n["data"]["issues"] = self.issues_by_node.get(n["id"], [])
        return view

    def _toolbar(self) -> None:
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/")).props("flat dense round").tooltip(
                t("editor.back")
            )
            self.name_input = (
                ui.input(
                    value=self.draft.doc.get("name", ""), on_change=lambda e: self.settings.on_meta("name", e.value)
                )
                .props('dense outlined data-testid="wf-name"')
                .classes("w-64")
            )
            self.state = ui.label().classes("text-sm").props('data-testid="save-state"')
            self.issue_badge = ui.label().classes("text-sm").props('data-testid="issue-count"')
            ui.space()
            with ui.row().classes("items-center gap-1 no-wrap") as self.draft_tools:
                ui.button(icon="undo", on_click=self.undo).props('flat dense data-testid="undo"').tooltip(
                    t("editor.undo")
                )
                ui.button(icon="redo", on_click=self.redo).props('flat dense data-testid="redo"').tooltip(
                    t("editor.redo")
                )
                ui.button(icon="fit_screen", on_click=lambda: self.canvas.run_method("fit")).props(
                    'flat dense data-testid="fit"'
                ).tooltip(t("editor.fit"))
                ui.button(t("editor.save"), icon="save", on_click=self.publishing.ask_save).props('data-testid="save"')
                ui.button(
                    t("editor.publish"), icon="publish", on_click=lambda: self.publishing.confirm_publish(None)
                ).props('color=positive data-testid="publish"')
            with ui.row().classes("items-center gap-1 no-wrap") as self.view_tools:
                ui.button(t("editor.back_to_draft"), icon="edit", on_click=lambda: self.versions.back_to_draft()).props(
                    'data-testid="back-to-draft"'
                )
            self.view_tools.set_visibility(False)

    def _palette(self) -> None:
        registry = list(self.platform.registry)
        lang = language()
        titles = _titles(self.platform.registry)
        with ui.column().classes("w-40 shrink-0 h-full overflow-auto gap-1 no-wrap").props('data-testid="palette"'):
            ui.label(t("editor.palette_hint")).classes("text-xs text-gray-500")
            for group, group_title in NODE_GROUPS.items():  # the definitions' groups, in palette order
                impls = [n for n in registry if n.group == group]
                if not impls:
                    continue
                ui.label(group_title.get(lang)).classes("text-xs font-bold uppercase mt-2")
                for impl in impls:
                    item = (
                        ui.element("div")
                        .classes(
                            "w-full rounded border bg-white px-2 py-1 text-sm hover:bg-slate-100 cursor-grab select-none"  # noqa: E501
                        )
                        .props(f'draggable=true data-testid="{safe_id("palette", impl.type)}"')
                    )
                    with item:
                        ui.label(titles.get(impl.type) or impl.title)
                    item.tooltip(impl.definition.description.get(lang))
                    item.on(
                        "dragstart",
                        js_handler=f"(e) => e.dataTransfer.setData('application/flowai-node', {json.dumps(impl.type)})",
                    )
                    item.on("click", lambda _e, kind=impl.type: self.add_at_center(kind))

    # state ------------------------------------------------------------------------------
    def update_state(self) -> None:
        if self.mode == "view":
            text, colour = t("editor.viewing", n=self.shown_label), BLUE
        elif self.mode == "diff":
            text, colour = t("editor.diffing", a=self.shown_label[0], b=self.shown_label[1]), BLUE
        elif self.draft.dirty or not self.base:
            text, colour = t("editor.unsaved"), ORANGE
        else:
            text = t("editor.saved", n=self.base) + (
                t("editor.published_as", n=self.published) if self.published else ""
            )
            colour = GREEN
        self.state.text = text
        self.state.style(f"color: {colour}")
        self.state.props(f'data-dirty="{safe_id(str(self.draft.dirty).lower())}"')
        self.canvas.run_method("setDirty", self.draft.dirty)
        editing = self.mode == "draft"
        self.draft_tools.set_visibility(editing)
        self.issue_badge.set_visibility(editing)
        self.view_tools.set_visibility(not editing)

    def changed(self, *, validate: bool = True, inputs: bool = False) -> None:
        self.update_state()
        if validate:
            self.validate_soon()
        if inputs:
            self.runs.refresh_form()

    def validate_soon(self, delay: float = 0.25) -> None:
        if self._validate is not None:
            self._validate.cancel()
        self._validate = asyncio.get_running_loop().call_later(delay, self.validate_now)

    def validate_now(self) -> None:
        self._validate = None
        if self.mode != "draft":
            return
        self.show_issues(*self.draft.issues(self.platform.workflows.validate))

    def apply_issues(self, issues: list[dict]) -> None:
        self.show_issues(*self.draft.locate(issues))

    def show_issues(self, by_node: dict[str, list[str]], general: list[str]) -> None:
        self.issues_by_node, self.general_issues = by_node, general
        self.canvas.run_method("setIssues", by_node)
        count = sum(len(v) for v in by_node.values()) + len(general)
        self.issue_badge.text = (
            t("editor.valid") if not count else t("editor.issue") if count == 1 else t("editor.issues", n=count)
        )
        self.issue_badge.style(f"color: {RED if count else GREY}")
        self.issue_badge.props(f'data-count="{safe_id(count)}"')
        self.issues_box.clear()
        with self.issues_box:
            shown = general + ([] if self.selected is None else self.issues_by_node.get(self.selected, []))
            if self.selected is None:
                shown = general + [f"{self.label_of(n)}: {m}" for n, ms in by_node.items() for m in ms]
            if shown:
                ui.label(t("editor.problems")).classes("text-sm font-medium text-red-700")
            for message in shown:
                ui.label(message).classes("text-sm text-red-700 break-words")

    def label_of(self, node_id: str) -> str:
        node = self.draft.node(node_id)
        return (node or {}).get("label") or node_id

    # canvas events ----------------------------------------------------------------------
    def on_add(self, e) -> None:
        self.add_node(e.args.get("type"), e.args.get("position") or {"x": 0, "y": 0})

    async def add_at_center(self, kind: str) -> None:
        if self.mode != "draft":
            return
        try:
            center = await self.canvas.run_method("viewCenter")
        except TimeoutError:
            center = None
        x, y = (center["x"] - 105, center["y"] - 40) if isinstance(center, dict) else (0.0, 0.0)
        if self._last_add and abs(self._last_add[0] - x) < 30 and abs(self._last_add[1] - y) < 30:
            x, y = self._last_add[0] + 30, self._last_add[1] + 30
        self.add_node(kind, {"x": round(x), "y": round(y)})

    def add_node(self, kind: str, position: dict) -> None:
        if self.mode != "draft" or self.platform.registry.get(kind) is None:
            return
        node = self.draft.add_node(kind, position)
        self._last_add = (node["position"]["x"], node["position"]["y"])
        self.canvas.run_method("addNodes", [self.draft.node_view(node)], True)
        self.select(node["id"])
        self.changed(inputs=kind == "input")

    def on_move(self, e) -> None:
        if self.mode == "draft":
            self.draft.move(e.args.get("positions") or {})
            self.changed(validate=False)

    def on_connect(self, e) -> None:
        if self.mode != "draft":
            return
        if self.draft.connect(e.args) is not None:
            self.changed()
            if self.selected == e.args.get("target"):
                self.settings.render()  # its variables changed

    def on_remove(self, e) -> None:
        if self.mode != "draft":
            return
        nodes, edges = self.draft.remove(e.args.get("nodes") or [], e.args.get("edges") or [])
        if not nodes and not edges:
            return
        if self.selected in nodes:
            self.select(None)
        self.changed(inputs=True)

    def on_select(self, e) -> None:
        node_id = e.args.get("id") if isinstance(e.args, dict) else None
        if node_id != self.selected:
            self.selected = node_id
            self.settings.render()
            self.show_issues(self.issues_by_node, self.general_issues)
        if node_id is not None:
            self.panels.set_value("settings")

    def select(self, node_id: str | None) -> None:
        self.selected = node_id
        if node_id is not None:
            self.canvas.run_method("selectNode", node_id)
            self.panels.set_value("settings")
        self.settings.render()
        self.show_issues(self.issues_by_node, self.general_issues)

    def on_refused(self, e) -> None:
        ui.notify(e.args.get("message", ""), type="warning", position="top", timeout=3000)

    def undo(self) -> None:
        if self.mode == "draft" and self.draft.undo():
            self.reload_canvas()

    def redo(self) -> None:
        if self.mode == "draft" and self.draft.redo():
            self.reload_canvas()

    def reload_canvas(self, *, fit: bool = False) -> None:
        self.canvas.run_method("setGraph", self.draft.graph_view(), False, fit)
        if self.selected is not None and self.draft.node(self.selected) is None:
            self.selected = None
        self.settings.render()
        self.changed(validate=False, inputs=True)
        self.validate_now()

    def show_readonly(self, mode: str, doc: dict, label, view: dict) -> None:
        """Put a version (``view``) or a comparison (``diff``) on the canvas, read-only."""
        self.mode, self.shown_doc, self.shown_label, self.selected = mode, doc, label, None
        self.canvas.run_method("setGraph", view, True, True)
        self.settings.render()
        self.update_state()

    def show_draft(self) -> None:
        self.mode, self.shown_doc, self.selected = "draft", None, None
        self.reload_canvas(fit=True)

    def on_copy(self, e) -> None:
        clip = self.draft.copy(e.args.get("ids") or [])
        if clip["nodes"]:
            app.storage.user["editor_clipboard"] = clip  # shared by the user's tabs
            ui.notify(t("editor.copied_nodes", n=len(clip["nodes"])), position="bottom")

    def on_paste(self, e) -> None:
        clip = app.storage.user.get("editor_clipboard")
        if self.mode != "draft" or not clip:
            return
        nodes, edges = self.draft.paste(clip, e.args.get("position"))
        if not nodes:
            return
        self.canvas.run_method("addNodes", [self.draft.node_view(n) for n in nodes], True)
        if edges:
            self.canvas.run_method("addEdges", [self.draft.edge_view(x) for x in edges])
        self.changed(inputs=any(n["type"] == "input" for n in nodes))
