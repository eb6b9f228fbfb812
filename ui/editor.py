"""The canvas editor page, ``/workflows/{id}``: palette, canvas, settings / run / versions panels.

The server holds the draft (:class:`ui.editor_model.Draft`); the canvas sends small deltas
(node added, nodes moved, edge connected, elements removed) and receives views back. Saving
makes an immutable version based on the version the page started from, so a second tab gets
a conflict message instead of overwriting.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging

from nicegui import app, ui

from flowai.diff import diff
from flowai.errors import ConflictError, FlowAIError, GraphError, NotFoundError
from flowai.platform import Platform

from .canvas import FlowCanvas
from .editor_model import Draft, compat_table
from .editor_panel import FormContext, provider_options, render_form
from .editor_runs import RunPanel
from .editor_versions import VersionsPanel
from .i18n import t
from .layout import frame, signed_in_user

log = logging.getLogger("flowai.ui")

TEXT = {
    "title": ("Editor", "编辑器"),
    "not_found": ("This workflow does not exist or belongs to another account.", "该工作流不存在或属于其他账号。"),
    "back": ("Workflows", "工作流"),
    "settings": ("Settings", "设置"),
    "run": ("Test run", "试运行"),
    "versions": ("Versions", "版本"),
    "undo": ("Undo (Ctrl+Z)", "撤销 (Ctrl+Z)"),
    "redo": ("Redo (Ctrl+Shift+Z)", "重做 (Ctrl+Shift+Z)"),
    "fit": ("Fit view", "适应画布"),
    "save": ("Save", "保存"),
    "publish": ("Publish", "发布"),
    "saved": ("Saved · version {n}", "已保存 · 版本 {n}"),
    "published_as": (" · published v{n}", " · 已发布 v{n}"),
    "unsaved": ("Unsaved changes", "有未保存的修改"),
    "viewing": ("Viewing version {n} (read-only)", "正在查看版本 {n}（只读）"),
    "diffing": ("Comparing {a} → {b} (read-only)", "正在对比 {a} → {b}（只读）"),
    "draft": ("draft", "草稿"),
    "back_to_draft": ("Back to the draft", "返回草稿"),
    "issues": ("{n} problems", "{n} 个问题"),
    "issue": ("1 problem", "1 个问题"),
    "valid": ("No problems", "没有问题"),
    "workflow": ("Workflow", "工作流"),
    "name": ("Name", "名称"),
    "description": ("Description", "描述"),
    "cache_ttl": ("Default node cache (seconds, empty = off)", "节点缓存默认时长（秒，留空为关闭）"),
    "pick_node": ("Click a node to edit its settings; drag node types from the left onto the canvas.",
                  "点击节点编辑其设置；从左侧把节点拖到画布上。"),
    "problems": ("Problems", "问题"),
    "save_message": ("Version message (optional)", "版本说明（可选）"),
    "cancel": ("Cancel", "取消"),
    "saved_toast": ("Saved as version {n}.", "已保存为版本 {n}。"),
    "no_changes": ("No changes since version {n}.", "自版本 {n} 以来没有修改。"),
    "save_invalid": ("Not saved: {message}", "未保存：{message}"),
    "save_failed": ("Saving failed; your edits are kept: {message}", "保存失败，修改已保留：{message}"),
    "conflict": ("This workflow was saved elsewhere meanwhile (another tab or person); it is now at version {n}. "
                 "Your edits are kept here and were not saved.",
                 "该工作流已在别处（其他标签页或其他人）保存，现在是版本 {n}。你的修改保留在此页面，尚未保存。"),
    "conflict_reload": ("Reload theirs (discard mine)", "加载对方版本（放弃我的修改）"),
    "conflict_keep": ("Save mine as version {n}", "将我的修改保存为版本 {n}"),
    "publish_confirm": ("This will save the current workflow and publish it as the latest version",
                        "此操作将保存当前工作流并将其发布为最新版本"),
    "publish_version_confirm": ("Publish version {n}? API calls will run it from now on.",
                                "发布版本 {n}？此后 API 调用将运行该版本。"),
    "confirm": ("Confirm", "确认"),
    "published": ("Published version {n}. Workflow ID:", "已发布版本 {n}。工作流 ID："),
    "copy": ("Copy", "复制"),
    "copied": ("Copied", "已复制"),
    "close": ("Close", "关闭"),
    "call_hint": ("Call it with POST /v1/api/workflow/run/{id} and an X-API-KEY header.",
                  "调用方式：POST /v1/api/workflow/run/{id}，并带上 X-API-KEY 请求头。"),
    "copied_nodes": ("Copied {n} nodes", "已复制 {n} 个节点"),
    "restored": ("Version {n} is now the draft; save to keep it.", "版本 {n} 已恢复为草稿；保存后生效。"),
    "publish_failed": ("Not published: {message}", "未发布：{message}"),
    "delete_node": ("Delete node", "删除节点"),
    "node_id": ("ID", "ID"),
    "group_inputs": ("Inputs", "输入"),
    "group_ai": ("AI", "AI"),
    "group_media": ("Media", "媒体"),
    "group_logic": ("Logic", "逻辑"),
    "group_outputs": ("Outputs", "输出"),
    "group_other": ("Other", "其他"),
    "palette_hint": ("Drag onto the canvas, or click to add", "拖到画布上，或点击添加"),
    "refuse_self": ("A node cannot connect to itself.", "节点不能连接到自身。"),
    "refuse_port": ("Connect an output port (right) to an input port (left).", "请把输出端口（右侧）连接到输入端口（左侧）。"),
    "refuse_type": ("Incompatible types: {source} is {stype} but {target} takes {ttype}.",
                    "类型不兼容：{source} 是 {stype}，而 {target} 需要 {ttype}。"),
    "refuse_taken": ("{target} already has an edge; an input port takes one.", "{target} 已有连线；一个输入端口只能接一条。"),
    "refuse_cycle": ("That edge would make a cycle.", "这条连线会形成环。"),
    "load_params": ("Load model parameters", "加载模型参数"),
    "params_failed": ("Could not load the parameters: {error}", "无法加载参数：{error}"),
}
NODE_TITLES = {"input": "开始", "llm": "大模型", "output": "结束", "template": "模板", "image": "图像生成",
               "tts": "语音合成", "stt": "语音识别", "replicate": "Replicate", "http": "HTTP 请求",
               "condition": "条件分支", "code": "代码"}
GROUPS = ("inputs", "ai", "media", "logic", "outputs")
JS_TEXTS = ("refuse_self", "refuse_port", "refuse_type", "refuse_taken", "refuse_cycle")


def hosted(method):
    """Run a handler inside the page's stable host element: a handler started from a list
    that it refreshes (the versions) must not create its dialogs or notes in a deleted slot."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.host:
            return method(self, *args, **kwargs)
    return wrapper


def register(platform: Platform) -> None:
    @ui.page("/workflows/{workflow_id}")
    def editor_page(workflow_id: str):
        user = signed_in_user(platform)
        if user is None:
            return
        try:
            wf = platform.workflows.get(owner_id=user.id, workflow_id=workflow_id)
        except NotFoundError:
            with frame(platform, t(TEXT, "title")):
                ui.label(t(TEXT, "not_found")).props('data-testid="not-found"')
                ui.link(t(TEXT, "back"), "/")
            return
        Editor(platform, user, wf).build()


def _titles() -> dict[str, str]:
    from .i18n import language
    return NODE_TITLES if language() == "zh" else {}


class Editor:
    def __init__(self, platform: Platform, user, wf):
        self.platform = platform
        self.user = user
        self.workflow_id = wf.id
        self.base = wf.latest_version  # the version this page's draft is based on
        self.published = wf.published_version
        self.draft = Draft(platform.workflows.export(owner_id=user.id, workflow_id=wf.id), platform.registry,
                           titles=_titles())
        self.mode = "draft"  # "view": a version read-only; "diff": two versions compared
        self.shown_doc: dict | None = None  # the document on the canvas when not the draft
        self.selected: str | None = None
        self.issues_by_node: dict[str, list[str]] = {}
        self.general_issues: list[str] = []
        self._validate: asyncio.TimerHandle | None = None
        self._last_add: tuple[float, float] | None = None

    # layout -----------------------------------------------------------------------------
    def build(self) -> None:
        with frame(self.platform, f"{t(TEXT, 'title')} · {self.draft.doc.get('name', '')}", wide=True):
            self.host = ui.element("div").classes("hidden")
            self._toolbar()
            with ui.row().classes("w-full no-wrap gap-2 items-stretch").style("height: calc(100vh - 136px)"):
                self._palette()
                with ui.element("div").classes("grow relative rounded border").style("min-width: 0"):
                    self.canvas = FlowCanvas(self.draft.graph_view(), compat=compat_table(),
                                             texts={k: t(TEXT, k) for k in JS_TEXTS})
                    self.canvas.classes("absolute inset-0").props('data-testid="canvas"')
                with ui.column().classes("w-[390px] shrink-0 h-full no-wrap gap-0"):
                    with ui.tabs().classes("w-full").props("dense") as tabs:
                        self.tab_settings = ui.tab("settings", t(TEXT, "settings")).props('data-testid="tab-settings"')
                        self.tab_run = ui.tab("run", t(TEXT, "run")).props('data-testid="tab-run"')
                        self.tab_versions = ui.tab("versions", t(TEXT, "versions")) \
                            .props('data-testid="tab-versions"')
                    with ui.tab_panels(tabs, value=self.tab_settings).classes("w-full grow overflow-y-auto overflow-x-hidden") \
                            .props("keep-alive") as self.panels:
                        with ui.tab_panel(self.tab_settings).classes("p-2"):
                            self.settings_box = ui.column().classes("w-full gap-2")
                            self.issues_box = ui.column().classes("w-full gap-1").props('data-testid="problems"')
                        with ui.tab_panel(self.tab_run).classes("p-2"):
                            self.runs = RunPanel(self)
                        with ui.tab_panel(self.tab_versions).classes("p-2"):
                            self.versions = VersionsPanel(self)
        for name, handler in (("add_node", self.on_add), ("move", self.on_move), ("connect", self.on_connect),
                              ("remove", self.on_remove), ("select", self.on_select), ("refused", self.on_refused),
                              ("undo", self.undo), ("redo", self.redo), ("copy", self.on_copy),
                              ("paste", self.on_paste), ("save", self.save_now)):
            self.canvas.on(name, handler)
        self.render_settings()
        self.update_state()
        self.validate_now()

    def _toolbar(self) -> None:
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/")).props("flat dense round") \
                .tooltip(t(TEXT, "back"))
            self.name_input = ui.input(value=self.draft.doc.get("name", ""),
                                       on_change=lambda e: self.on_meta("name", e.value)) \
                .props('dense outlined data-testid="wf-name"').classes("w-64")
            self.state = ui.label().classes("text-sm").props('data-testid="save-state"')
            self.issue_badge = ui.label().classes("text-sm").props('data-testid="issue-count"')
            ui.space()
            with ui.row().classes("items-center gap-1 no-wrap") as self.draft_tools:
                ui.button(icon="undo", on_click=self.undo).props('flat dense data-testid="undo"') \
                    .tooltip(t(TEXT, "undo"))
                ui.button(icon="redo", on_click=self.redo).props('flat dense data-testid="redo"') \
                    .tooltip(t(TEXT, "redo"))
                ui.button(icon="fit_screen", on_click=lambda: self.canvas.run_method("fit")) \
                    .props('flat dense data-testid="fit"').tooltip(t(TEXT, "fit"))
                ui.button(t(TEXT, "save"), icon="save", on_click=self.ask_save).props('data-testid="save"')
                ui.button(t(TEXT, "publish"), icon="publish", on_click=lambda: self.confirm_publish(None)) \
                    .props('color=positive data-testid="publish"')
            with ui.row().classes("items-center gap-1 no-wrap") as self.view_tools:
                ui.button(t(TEXT, "back_to_draft"), icon="edit", on_click=self.back_to_draft) \
                    .props('data-testid="back-to-draft"')
            self.view_tools.set_visibility(False)

    def _palette(self) -> None:
        registry = list(self.platform.registry)
        groups = [*GROUPS, *sorted({n.group for n in registry} - set(GROUPS))]
        titles = _titles()
        with ui.column().classes("w-40 shrink-0 h-full overflow-auto gap-1 no-wrap").props('data-testid="palette"'):
            ui.label(t(TEXT, "palette_hint")).classes("text-xs text-gray-500")
            for group in groups:
                impls = [n for n in registry if n.group == group]
                if not impls:
                    continue
                key = f"group_{group}"
                ui.label(t(TEXT, key) if key in TEXT else group.title()).classes("text-xs font-bold uppercase mt-2")
                for impl in impls:
                    item = ui.element("div").classes(
                        "fa-palette-item w-full rounded border bg-white px-2 py-1 text-sm hover:bg-slate-100") \
                        .props(f'draggable=true data-testid="palette-{impl.type}"')
                    with item:
                        ui.label(titles.get(impl.type) or impl.title)
                    item.on("dragstart", js_handler="(e) => e.dataTransfer.setData('application/flowai-node', "
                                                    f"{json.dumps(impl.type)})")
                    item.on("click", lambda _e, kind=impl.type: self.add_at_center(kind))

    # state ------------------------------------------------------------------------------
    def update_state(self) -> None:
        if self.mode == "view":
            text, colour = t(TEXT, "viewing", n=self.shown_label), "text-blue-700"
        elif self.mode == "diff":
            text, colour = t(TEXT, "diffing", a=self.shown_label[0], b=self.shown_label[1]), "text-blue-700"
        elif self.draft.dirty or not self.base:
            text, colour = t(TEXT, "unsaved"), "text-orange-700"
        else:
            text = t(TEXT, "saved", n=self.base) + (t(TEXT, "published_as", n=self.published)
                                                     if self.published else "")
            colour = "text-green-700"
        self.state.text = text
        self.state.classes(replace=f"text-sm {colour}")
        self.state.props(f'data-dirty="{str(self.draft.dirty).lower()}"')
        self.canvas.run_method("setDirty", self.draft.dirty)
        editing = self.mode == "draft"
        self.draft_tools.set_visibility(editing)
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
        self.issue_badge.text = (t(TEXT, "valid") if not count else t(TEXT, "issue") if count == 1
                                 else t(TEXT, "issues", n=count))
        self.issue_badge.classes(replace="text-sm " + ("text-red-700" if count else "text-gray-500"))
        self.issue_badge.props(f'data-count="{count}"')
        self.issues_box.clear()
        with self.issues_box:
            shown = general + ([] if self.selected is None else self.issues_by_node.get(self.selected, []))
            if self.selected is None:
                shown = general + [f"{self.label_of(n)}: {m}" for n, ms in by_node.items() for m in ms]
            if shown:
                ui.label(t(TEXT, "problems")).classes("text-sm font-medium text-red-700")
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
                self.render_settings()  # its variables changed

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
            self.render_settings()
            self.show_issues(self.issues_by_node, self.general_issues)
        if node_id is not None:
            self.panels.set_value("settings")

    def select(self, node_id: str | None) -> None:
        self.selected = node_id
        if node_id is not None:
            self.canvas.run_method("selectNode", node_id)
            self.panels.set_value("settings")
        self.render_settings()
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
        self.render_settings()
        self.changed(validate=False, inputs=True)
        self.validate_now()

    def on_copy(self, e) -> None:
        clip = self.draft.copy(e.args.get("ids") or [])
        if clip["nodes"]:
            app.storage.user["editor_clipboard"] = clip  # shared by the user's tabs
            ui.notify(t(TEXT, "copied_nodes", n=len(clip["nodes"])), position="bottom")

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

    # settings panel ---------------------------------------------------------------------
    def render_settings(self) -> None:
        doc = self.draft.doc if self.mode == "draft" else (self.shown_doc or self.draft.doc)
        readonly = self.mode != "draft"
        node = next((n for n in doc["nodes"] if n["id"] == self.selected), None) if self.selected else None
        self.settings_box.clear()
        with self.settings_box:
            if node is None:
                self._workflow_form(doc, readonly)
            else:
                self._node_form(node, readonly)

    def _workflow_form(self, doc: dict, readonly: bool) -> None:
        ui.label(t(TEXT, "workflow")).classes("text-lg")
        ui.label(t(TEXT, "pick_node")).classes("text-xs text-gray-500")
        desc = ui.textarea(t(TEXT, "description"), value=doc.get("description", ""),
                           on_change=lambda e: self.on_meta("description", e.value)) \
            .props('autogrow outlined data-testid="wf-description"').classes("w-full")
        ttl = ui.number(t(TEXT, "cache_ttl"), value=(doc.get("settings") or {}).get("cache_ttl"), min=0,
                        on_change=lambda e: self.on_settings(e.value)).classes("w-full")
        if readonly:
            desc.props("readonly")
            ttl.props("readonly")

    def _node_form(self, node: dict, readonly: bool) -> None:
        impl = self.platform.registry.get(node.get("type"))
        with ui.row().classes("w-full items-center gap-2"):
            ui.label((_titles().get(node.get("type")) or (impl.title if impl else node.get("type")))) \
                .classes("text-lg")
            ui.label(f"{t(TEXT, 'node_id')}: {node['id']}").classes("text-xs text-gray-500 font-mono") \
                .props('data-testid="node-id"')
        label = ui.input(t(TEXT, "name"), value=node.get("label", ""),
                         on_change=lambda e, nid=node["id"]: self.on_label(nid, e.value)) \
            .props('outlined dense data-testid="node-label"').classes("w-full")
        if readonly:
            label.props("readonly")
        if impl is None:
            ui.label(json.dumps(node.get("config"), ensure_ascii=False, indent=1)).classes("font-mono text-xs")
            return
        ctx = FormContext(variables=self.draft.variables(node["id"]) if impl.templated else None,
                          readonly=readonly, providers=provider_options(self.platform, impl))
        render_form(impl.Config.model_json_schema(), node.get("config") or {},
                    lambda key, value, nid=node["id"]: self.on_config(nid, key, value), ctx,
                    skip=("params",) if node.get("type") == "replicate" else ())
        if node.get("type") == "replicate" and getattr(self.platform.services, "replicate", None) is not None:
            self._replicate_params(node, readonly)
        if not readonly:
            ui.button(t(TEXT, "delete_node"), icon="delete", on_click=lambda nid=node["id"]: self.delete_node(nid)) \
                .props('flat color=negative dense data-testid="delete-node"')

    def _replicate_params(self, node: dict, readonly: bool) -> None:
        box = ui.column().classes("w-full gap-1")
        nid = node["id"]

        async def load() -> None:
            model = (self.draft.node(nid) or {}).get("config", {}).get("model")
            try:
                schema = await self.platform.services.replicate.input_schema(model)
            except Exception as exc:  # any failure is reported, never a trace
                ui.notify(t(TEXT, "params_failed", error=getattr(exc, "message", str(exc))), type="negative")
                return
            box.clear()
            params = dict((self.draft.node(nid) or {}).get("config", {}).get("params") or {})

            def put(key, value):
                if value is None:
                    params.pop(key, None)
                else:
                    params[key] = value
                self.on_config(nid, "params", dict(params))
            with box:
                render_form(schema or {}, params, put, FormContext(variables=self.draft.variables(nid),
                                                                   readonly=readonly))
        ui.button(t(TEXT, "load_params"), icon="tune", on_click=load).props('flat dense data-testid="load-params"')

    def on_config(self, node_id: str, key: str, value) -> None:
        if self.mode != "draft":
            return
        result = self.draft.set_config(node_id, key, value)
        node = self.draft.node(node_id)
        if node is None:
            return
        patch = {"summary": self.draft.summary(node)}
        if result["ports"]:
            view = self.draft.node_view(node)["data"]
            patch.update(inputs=view["inputs"], outputs=view["outputs"])
        self.canvas.run_method("updateNode", node_id, patch)
        if result["removed"]:
            self.canvas.run_method("removeElements", [], result["removed"])
        if result["added"]:
            self.canvas.run_method("addEdges", [self.draft.edge_view(x) for x in result["added"]])
        for other in result["touched"]:
            self.canvas.run_method("updateNode", other, {"summary": self.draft.summary(self.draft.node(other))})
        self.changed(inputs=node.get("type") == "input")

    def on_label(self, node_id: str, label: str) -> None:
        if self.mode == "draft":
            self.draft.set_label(node_id, label or "")
            self.canvas.run_method("updateNode", node_id, {"label": label or ""})
            self.changed()

    def on_meta(self, key: str, value: str) -> None:
        if self.mode == "draft":
            self.draft.set_meta(key, value or "")
            self.changed()

    def on_settings(self, cache_ttl) -> None:
        if self.mode == "draft":
            settings = dict(self.draft.doc.get("settings") or {})
            settings["cache_ttl"] = cache_ttl if cache_ttl not in ("", None) else None
            self.draft.set_meta("settings", settings)
            self.changed()

    def delete_node(self, node_id: str) -> None:
        nodes, edges = self.draft.remove([node_id], [])
        if nodes:
            self.canvas.run_method("removeElements", nodes, edges)
            self.select(None)
            self.changed(inputs=True)

    # save and publish -------------------------------------------------------------------
    @hosted
    def ask_save(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-96").props('data-testid="save-dialog"'):
            message = ui.input(t(TEXT, "save_message")).props('autofocus data-testid="save-message"') \
                .classes("w-full")

            def go() -> None:
                dialog.close()
                self.save(message.value or "")
            message.on("keydown.enter", go)
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "save"), on_click=go).props('data-testid="save-confirm"')
        dialog.open()

    def save_now(self) -> None:
        if self.mode == "draft":
            self.save("")

    @hosted
    def save(self, message: str = "", *, force: bool = False) -> int | None:
        """Save the draft as a new version; None when it was not saved (the edits stay)."""
        if not self.draft.dirty and self.base and not force:
            ui.notify(t(TEXT, "no_changes", n=self.base))
            return self.base
        try:
            version = self.platform.workflows.save(owner_id=self.user.id, workflow_id=self.workflow_id,
                                                   document=self.draft.doc, base_version=self.base,
                                                   message=message, user_id=self.user.id)
        except ConflictError as exc:
            self.conflict((exc.detail or {}).get("current_version"))
            return None
        except GraphError as exc:
            self.apply_issues(exc.issues)
            ui.notify(t(TEXT, "save_invalid", message=exc.message), type="negative", multi_line=True)
            return None
        except FlowAIError as exc:
            ui.notify(t(TEXT, "save_failed", message=exc.message), type="negative", multi_line=True)
            return None
        except Exception as exc:  # the database is gone, a disk is full...: say so, keep the edit
            log.exception("saving workflow %s failed", self.workflow_id)
            ui.notify(t(TEXT, "save_failed", message=type(exc).__name__), type="negative")
            return None
        self.base = version.number
        self.draft.mark_saved()
        self.update_state()
        self.versions.refresh()
        ui.notify(t(TEXT, "saved_toast", n=version.number), type="positive")
        return version.number

    @hosted
    def conflict(self, current: int | None) -> None:
        with ui.dialog().props("persistent") as dialog, ui.card().classes("w-[30rem]").props('data-testid="conflict"'):
            ui.label(t(TEXT, "conflict", n=current)).classes("text-base").props('data-testid="conflict-message"')

            def reload() -> None:
                self.canvas.run_method("setDirty", False)
                ui.navigate.reload()

            def keep() -> None:
                dialog.close()
                self.base = current
                self.save("")
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "conflict_reload"), on_click=reload).props('flat data-testid="conflict-reload"')
                if current is not None:
                    ui.button(t(TEXT, "conflict_keep", n=current + 1), on_click=keep) \
                        .props('data-testid="conflict-keep"')
        dialog.open()

    @hosted
    def confirm_publish(self, version: int | None) -> None:
        text = t(TEXT, "publish_confirm") if version is None else t(TEXT, "publish_version_confirm", n=version)
        with ui.dialog() as dialog, ui.card().classes("w-[28rem]").props('data-testid="publish-dialog"'):
            ui.label(text).classes("text-base").props('data-testid="publish-text"')

            def go() -> None:
                dialog.close()
                self.publish(version)
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "confirm"), on_click=go).props('color=positive data-testid="publish-confirm"')
        dialog.open()

    @hosted
    def publish(self, version: int | None) -> None:
        if version is None:
            if self.mode != "draft":
                return
            if self.draft.dirty or not self.base:
                version = self.save("Published")
                if version is None:
                    return
            else:
                latest = self.platform.workflows.get(owner_id=self.user.id, workflow_id=self.workflow_id)
                if latest.latest_version != self.base:
                    self.conflict(latest.latest_version)
                    return
                version = self.base
        try:
            number = self.platform.workflows.publish(owner_id=self.user.id, workflow_id=self.workflow_id,
                                                     version=version, user_id=self.user.id)
        except GraphError as exc:
            self.apply_issues(exc.issues)
            ui.notify(t(TEXT, "publish_failed", message=exc.message), type="negative", multi_line=True)
            return
        except FlowAIError as exc:
            ui.notify(t(TEXT, "publish_failed", message=exc.message), type="negative", multi_line=True)
            return
        self.published = number
        self.update_state()
        self.versions.refresh()
        self.show_published(number)

    def show_published(self, number: int) -> None:
        wf_id = self.workflow_id
        with ui.dialog() as dialog, ui.card().classes("w-[30rem]").props('data-testid="published-dialog"'):
            ui.label(t(TEXT, "published", n=number)).classes("text-base")
            with ui.row().classes("items-center gap-2"):
                ui.label(wf_id).classes("font-mono text-lg").props('data-testid="published-id"')

                def copy() -> None:
                    ui.clipboard.write(wf_id)
                    ui.notify(t(TEXT, "copied"))
                ui.button(t(TEXT, "copy"), icon="content_copy", on_click=copy).props('flat dense data-testid="copy-id"')
            ui.label(t(TEXT, "call_hint", id=wf_id)).classes("text-xs text-gray-600")
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "close"), on_click=dialog.close).props('flat data-testid="published-close"')
        dialog.open()

    # versions on the canvas -------------------------------------------------------------
    def _version_doc(self, number) -> dict:
        if number == "draft":
            return self.draft.doc
        return self.platform.workflows.version(owner_id=self.user.id, workflow_id=self.workflow_id,
                                               number=int(number)).document

    @hosted
    def view_version(self, number: int) -> None:
        self.mode, self.shown_doc, self.shown_label = "view", self._version_doc(number), number
        self.selected = None
        self.canvas.run_method("setGraph", self.draft.graph_view(self.shown_doc), True, True)
        self.render_settings()
        self.update_state()

    @hosted
    def show_diff(self, a, b) -> None:
        old, new = self._version_doc(a), self._version_doc(b)
        d = diff(old, new)
        view = self.draft.graph_view(new)
        for n in view["nodes"]:
            if n["id"] in d.added:
                n["data"]["diff"] = "added"
            elif n["id"] in d.changed:
                n["data"].update(diff="changed", changes=d.changed[n["id"]])
        old_nodes = {n["id"]: n for n in old.get("nodes", [])}
        view["nodes"] += [self.draft.node_view(old_nodes[nid], diff="removed") for nid in d.removed]
        for e in view["edges"]:
            if any(e["id"] == self.draft.edge_view(x, new)["id"] for x in d.edges_added):
                e["portType"] = "added"
        view["edges"] += [{**self.draft.edge_view(x, old), "portType": "removed"} for x in d.edges_removed]
        labels = {n["id"]: n.get("label") or n["id"] for n in [*old.get("nodes", []), *new.get("nodes", [])]}
        name = (lambda v: t(TEXT, "draft") if v == "draft" else f"v{v}")
        self.mode, self.shown_doc, self.shown_label = "diff", new, (name(a), name(b))
        self.selected = None
        self.canvas.run_method("setGraph", view, True, True)
        self.versions.show_summary(d, labels)
        self.render_settings()
        self.update_state()

    @hosted
    def back_to_draft(self) -> None:
        self.mode, self.shown_doc = "draft", None
        self.selected = None
        self.versions.summary.clear()
        self.reload_canvas(fit=True)

    @hosted
    def restore_version(self, number: int) -> None:
        doc = self._version_doc(number)
        self.draft.replace(doc)
        self.mode, self.shown_doc = "draft", None
        self.name_input.value = self.draft.doc.get("name", "")
        self.reload_canvas(fit=True)
        ui.notify(t(TEXT, "restored", n=number))
