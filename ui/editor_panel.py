"""The settings panel: the selected node's form (from its config model), or the workflow's.

Edits go straight into the draft (``Draft.set_config`` / ``set_label``); the canvas gets the
node's new ports and summary, and validation runs again shortly after.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nicegui import ui

from .editor_form import FormContext, node_form_context, render_form
from .i18n import labelled, language, t

if TYPE_CHECKING:
    from .editor_host import EditorHost


class SettingsPanel:
    def __init__(self, editor: EditorHost, titles: dict[str, str]):
        self.editor = editor
        self.titles = titles  # node type -> title in the UI language
        self.box = ui.column().classes("w-full gap-2")

    @property
    def editing(self) -> bool:
        return self.editor.mode == "draft"

    def render(self) -> None:
        """The selected node's form; the workflow's when none is selected. Read-only while a
        version (not the draft) is on the canvas."""
        ed = self.editor
        doc = ed.draft.doc if self.editing else (ed.shown_doc or ed.draft.doc)
        node = next((n for n in doc["nodes"] if n["id"] == ed.selected), None) if ed.selected else None
        self.box.clear()
        with self.box:
            if node is None:
                self._workflow_form(doc)
            else:
                self._node_form(node)

    def _workflow_form(self, doc: dict) -> None:
        ui.label(t("editor_panel.workflow")).classes("text-lg")
        ui.label(t("editor_panel.pick_node")).classes("text-xs text-gray-500")
        desc = (
            ui.textarea(
                t("editor_panel.description"),
                value=doc.get("description", ""),
                on_change=lambda e: self.on_meta("description", e.value),
            )
            .props('autogrow outlined data-testid="wf-description"')
            .classes("w-full")
        )
        ttl = ui.number(
            t("editor_panel.cache_ttl"),
            value=(doc.get("settings") or {}).get("cache_ttl"),
            min=0,
            on_change=lambda e: self.on_cache_ttl(e.value),
        ).classes("w-full")
        if not self.editing:
            desc.props("readonly")
            ttl.props("readonly")

    def _node_form(self, node: dict) -> None:
        ed, nid = self.editor, node["id"]
        impl = ed.platform.registry.get(node.get("type"))
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(self.titles.get(node.get("type")) or (impl.title if impl else node.get("type"))).classes("text-lg")
            ui.label(labelled(t("editor_panel.node_id"), nid)).classes("text-xs text-gray-500 font-mono").props(
                'data-testid="node-id"'
            )
        label = (
            ui.input(
                t("editor_panel.name"), value=node.get("label", ""), on_change=lambda e: self.on_label(nid, e.value)
            )
            .props('outlined dense data-testid="node-label"')
            .classes("w-full")
        )
        if not self.editing:
            label.props("readonly")
        if impl is None:  # an unknown type (validation says so): show its config as it is
            ui.label(json.dumps(node.get("config"), ensure_ascii=False, indent=1)).classes("font-mono text-xs")
            return
        ui.label(impl.definition.description.get(language())).classes("text-xs text-gray-500").props(
            'data-testid="node-help"'
        )
        ctx = node_form_context(
            impl, variables=ed.draft.variables(nid) if impl.templated else None, readonly=not self.editing
        )
        # A field with the "model_params" widget: the model's own inputs, loadable from Replicate.
        params = next((k for k, f in impl.definition.fields.items() if f.widget == "model_params"), None)
        loadable = params is not None and getattr(ed.platform.services, "replicate", None) is not None
        render_form(
            impl.Config.model_json_schema(),
            node.get("config") or {},
            lambda key, value: self.on_config(nid, key, value),
            ctx,
            skip=(params,) if loadable and params else (),
        )
        if loadable and params:
            self._replicate_params(node, ctx, params)
        if self.editing:
            ui.button(t("editor_panel.delete_node"), icon="delete", on_click=lambda: self.delete_node(nid)).props(
                'flat color=negative dense data-testid="delete-node"'
            )

    def _replicate_params(self, node: dict, ctx: FormContext, key: str) -> None:
        """The ``key`` field (a model's inputs) as JSON text until "load parameters" fetches the
        model's input schema; then a form generated from that schema edits the same object."""
        ed, nid = self.editor, node["id"]
        box = ui.column().classes("w-full gap-1")
        with box:
            render_form(
                {"properties": {key: {"type": "object", "title": t("editor_panel.params")}}},
                node.get("config") or {},
                lambda k, value: self.on_config(nid, k, value),
                ctx,
            )

        def config() -> dict:
            return (ed.draft.node(nid) or {}).get("config") or {}

        async def load() -> None:
            model = config().get("model")
            if not model:
                ui.notify(t("editor_panel.need_model"), type="warning")
                return
            try:
                schema = await ed.platform.replicate.input_schema(model)
            except Exception as exc:  # reported, never a trace: a bad name, no key, Replicate down
                ui.notify(
                    t("editor_panel.params_failed", error=getattr(exc, "message", None) or type(exc).__name__),
                    type="negative",
                )
                return
            params = dict(config().get(key) or {})

            def put(name: str, value) -> None:
                if value is None:
                    params.pop(name, None)
                else:
                    params[name] = value
                self.on_config(nid, key, dict(params))

            box.clear()
            with box:
                ui.label(labelled(t("editor_panel.params"), model)).classes("text-sm font-medium")
                render_form(schema or {}, params, put, FormContext(variables=ctx.variables, readonly=ctx.readonly))

        if self.editing:
            ui.button(t("editor_panel.load_params"), icon="tune", on_click=load).props(
                'flat dense data-testid="load-params"'
            )

    # edits ------------------------------------------------------------------------------
    def on_config(self, node_id: str, key: str, value) -> None:
        if not self.editing:
            return
        ed = self.editor
        result = ed.draft.set_config(node_id, key, value)
        node = ed.draft.node(node_id)
        if node is None:
            return
        patch = {"summary": ed.draft.summary(node)}
        if result["ports"]:
            view = ed.draft.node_view(node)["data"]
            patch.update(inputs=view["inputs"], outputs=view["outputs"])
        ed.canvas.run_method("updateNode", node_id, patch)
        if result["removed"]:
            ed.canvas.run_method("removeElements", [], result["removed"])
        if result["added"]:
            ed.canvas.run_method("addEdges", [ed.draft.edge_view(e) for e in result["added"]])
        for other in result["touched"]:  # their {{node.port}} references followed a renamed port
            ed.canvas.run_method("updateNode", other, {"summary": ed.draft.summary(ed.draft.node(other))})
        ed.changed(inputs=node.get("type") == "input")

    def on_label(self, node_id: str, label: str) -> None:
        if self.editing:
            self.editor.draft.set_label(node_id, label or "")
            self.editor.canvas.run_method("updateNode", node_id, {"label": label or ""})
            self.editor.changed()

    def on_meta(self, key: str, value: str) -> None:
        if self.editing:
            self.editor.draft.set_meta(key, value or "")
            self.editor.changed()

    def on_cache_ttl(self, seconds) -> None:
        if self.editing:
            settings = dict(self.editor.draft.doc.get("settings") or {})
            settings["cache_ttl"] = seconds if seconds not in ("", None) else None
            self.editor.draft.set_meta("settings", settings)
            self.editor.changed()

    def delete_node(self, node_id: str) -> None:
        nodes, edges = self.editor.draft.remove([node_id], [])
        if nodes:
            self.editor.canvas.run_method("removeElements", nodes, edges)
            self.editor.select(None)
            self.editor.changed(inputs=True)
