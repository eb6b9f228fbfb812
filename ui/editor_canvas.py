"""The canvas as a view of the editor's state: canvas events become intents, changes become calls.

The browser's canvas (``ui.canvas.FlowCanvas``) draws what the user does at once and reports it
(node added, nodes moved, edge connected, elements removed, selection); this binding turns each
report into an intent for :class:`ui.editor_state.EditorState`, and each change of the state into
the canvas calls that show it (``addNodes``, ``updateNode``, ``setGraph``, ``setIssues``, the
test run's ``patchNodes`` / ``appendStream``...). A change the canvas made itself is not sent back.
"""

from __future__ import annotations

from nicegui import app, ui

from . import editor_frames as frames
from . import editor_intents as i
from . import editor_wiring as wiring
from .canvas import FlowCanvas
from .editor_model import compat_table
from .editor_state import Change, EditorState
from .i18n import language, t

JS_TEXTS = (
    "refuse_self",
    "refuse_port",
    "refuse_type",
    "refuse_taken",
    "refuse_cycle",
    "refuse_frame",
    "refuse_inner",
    "loop_hint",
    "stage_rename",
    "stage_remove",
    # wiring
    "refuse_order_end",
    "refuse_order_twice",
    "wire_type",
    "wire_same_side",
    "order",
    "order_title",
    "order_in",
    "order_out",
    "plus_port",
    "plus_edge",
    "picker_search",
    "picker_none",
    "picker_after",
    "picker_before",
    "picker_insert",
    "expand",
    "minimap",
    "note_placeholder",
    "menu_duplicate",
    "menu_delete",
    "menu_note",
    "menu_layout",
    "menu_select_all",
)


class CanvasBinding:
    def __init__(self, state: EditorState, emit: i.Emit):
        self.state = state
        self.emit = emit
        self.canvas = FlowCanvas(
            self._initial_view(),
            compat=compat_table(),
            texts={k: t(f"editor.{k}") for k in JS_TEXTS},
            kinds=wiring.node_kinds(state.draft, language()),
        )
        for name, handler in (
            ("add_node", self._add),
            ("move", self._move),
            ("connect", self._connect),
            ("add_connected", self._add_connected),
            ("remove", self._remove),
            ("select", self._select),
            ("refused", self._refused),
            ("undo", lambda: self.emit(i.Undo())),
            ("redo", lambda: self.emit(i.Redo())),
            ("copy", self._copy),
            ("paste", self._paste),
            ("stage_rename", self._rename_stage),
            ("stage_remove", lambda e: self.emit(i.RemoveStage(str(e.args.get("id"))))),
            ("layout", self._layout),
            ("note_add", lambda e: self.emit(i.AddNote(e.args.get("position") or {"x": 0, "y": 0}))),
            ("note_edit", self._note_edit),
            ("note_remove", lambda e: self.emit(i.RemoveNote(str(e.args.get("id")), on_canvas=True))),
            ("duplicate", self._duplicate),
        ):
            self.canvas.on(name, handler)

    def _initial_view(self) -> dict:
        """The draft with its validation problems already on the nodes (the page is not live yet:
        calls into the browser would be lost)."""
        view = self.state.draft.graph_view()
        for n in view["nodes"]:
            n["data"]["issues"] = self.state.issues_by_node.get(n["id"], [])
            n["data"]["warnings"] = self.state.warnings_by_node.get(n["id"], [])
        return view

    # canvas events -> intents -------------------------------------------------------------
    def _add(self, e) -> None:
        a = e.args
        self.emit(i.AddNode(a.get("type"), a.get("position") or {"x": 0, "y": 0}, a.get("parent") or None))

    def _move(self, e) -> None:
        a = e.args
        self.emit(i.Move(a.get("positions") or {}, a.get("parents") or {}, a.get("stages") or {}))

    def _connect(self, e) -> None:
        a = e.args
        self.emit(i.Connect(a.get("source"), a.get("target"), a.get("source_port"), a.get("target_port")))

    def _add_connected(self, e) -> None:
        a = e.args

        def end(value) -> tuple[str, str | None] | None:
            return (str(value[0]), value[1] or None) if isinstance(value, list) and len(value) == 2 else None

        self.emit(
            i.AddConnected(
                str(a.get("type")),
                a.get("position") or {"x": 0, "y": 0},
                end(a.get("upstream")),
                end(a.get("downstream")),
                room=float(a.get("room") or 0) if isinstance(a.get("room"), int | float) else 0.0,
            )
        )

    def _remove(self, e) -> None:
        self.emit(i.Delete(tuple(e.args.get("nodes") or ()), tuple(e.args.get("edges") or ()), on_canvas=True))

    def _select(self, e) -> None:
        self.emit(i.SelectNode(e.args.get("id") if isinstance(e.args, dict) else None, on_canvas=True))

    def _layout(self, e) -> None:
        self.emit(i.AutoLayout(e.args.get("positions") or {}, e.args.get("notes") or {}))

    def _note_edit(self, e) -> None:
        a = e.args
        self.emit(i.EditNote(str(a.get("id")), text=a.get("text"), position=a.get("position"), size=a.get("size")))

    def _duplicate(self, e) -> None:
        clip = self.state.draft.copy(e.args.get("ids") or [])
        if clip["nodes"]:
            self.emit(i.Paste(clip, e.args.get("position")))

    def auto_layout(self) -> None:
        """Lay the graph out left to right (the canvas measures the nodes and reports the result)."""
        if self.state.editing:
            self.canvas.run_method("autoLayout")  # the result comes back as a "layout" event

    def _refused(self, e) -> None:
        ui.notify(e.args.get("message", ""), type="warning", position="top", timeout=3000)

    def _copy(self, e) -> None:
        clip = self.state.draft.copy(e.args.get("ids") or [])
        if clip["nodes"]:
            app.storage.user["editor_clipboard"] = clip  # shared by the user's tabs
            ui.notify(t("editor.copied_nodes", n=len(clip["nodes"])), position="bottom")

    def _paste(self, e) -> None:
        clip = app.storage.user.get("editor_clipboard")
        if clip:
            self.emit(i.Paste(clip, e.args.get("position")))

    # stages: named by the designer in a small dialog -------------------------------------------
    async def group_selected(self) -> None:
        """Group the nodes selected on the canvas as a stage, named in a dialog."""
        if not self.state.editing:
            return
        try:
            ids = await self.canvas.run_method("selectedIds")
        except TimeoutError:
            ids = None
        if not ids:
            ui.notify(t("editor.group_none"), type="warning", position="top")
            return
        default = t("editor.stage_default", n=len(frames.stages(self.state.draft.doc)) + 1)
        label = await self._ask_name(default)
        if label:
            self.emit(i.GroupStage(tuple(ids), label))

    async def _rename_stage(self, e) -> None:
        label = await self._ask_name(str(e.args.get("label") or ""))
        if label:
            self.emit(i.RenameStage(str(e.args.get("id")), label))

    async def _ask_name(self, value: str) -> str | None:
        with ui.dialog() as dialog, ui.card().props('data-testid="stage-dialog"'):
            name = ui.input(t("editor.stage_name"), value=value).props('autofocus data-testid="stage-name"')
            name.on("keydown.enter", lambda: dialog.submit(name.value))
            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor.stage_cancel"), on_click=lambda: dialog.submit(None)).props("flat")
                ui.button(t("editor.stage_ok"), on_click=lambda: dialog.submit(name.value)).props(
                    'data-testid="stage-ok"'
                )
        result = await dialog
        dialog.delete()
        return result.strip() if isinstance(result, str) and result.strip() else None

    # state changes -> canvas calls --------------------------------------------------------
    def on_change(self, c: Change) -> None:
        call, state, draft = self.canvas.run_method, self.state, self.state.draft
        if c.run_cleared:
            call("clearRun")
        if c.run_patches:
            call("patchNodes", c.run_patches)
        if c.run_stream:
            call("appendStream", c.run_stream)
        if c.run_stages:
            call("patchStages", c.run_stages)
        if c.run_only:
            return
        if c.added_nodes:
            call("addNodes", [draft.node_view(draft.node(n) or {}) for n in c.added_nodes], True)
        if c.moved and not c.graph:
            call("placeNodes", c.moved)
        for node, patch in c.patched.items():
            call("updateNode", node, patch)
        if c.removed_nodes or c.removed_edges:
            call("removeElements", c.removed_nodes, c.removed_edges)
        if c.added_edges:
            call("addEdges", [draft.edge_view(x) for x in c.added_edges])
        if c.added_notes and not c.graph:
            call("addNotes", c.added_notes)
        if c.removed_notes and not c.graph:
            call("removeNotes", c.removed_notes)
        if (c.stages or c.removed_nodes) and not c.graph and state.editing:
            call("setStages", frames.stage_view(draft.doc))
        if c.graph:
            if state.editing:
                call("setGraph", draft.graph_view(), False, c.fit)
            else:
                call("setGraph", state.shown_view, True, True)
        if c.reveal and state.selected is not None:
            call("selectNode", state.selected)
        self.show_dirty()
        if c.issues:
            call("setIssues", state.issues_by_node, state.warnings_by_node)

    def show_dirty(self) -> None:
        """Tell the canvas whether leaving the page loses edits (it asks before unloading): edits not
        kept on the server yet (kept ones come back when the editor opens again)."""
        self.canvas.run_method("setDirty", self.state.unkept)
