"""The settings panel: the selected node's form (from its config model), or the workflow's.

A view of the editor's state: it reads the selected node and emits ``UpdateConfig``,
``SetLabel``, ``SetMeta`` and ``Delete`` intents; the state tells the canvas of the node's new
ports and summary. It redraws itself when the selection, the mode or the node's upstream
changes — never on its own edits (that would steal the focus from the field being typed in).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from nicegui import ui

from flowai.providers.directory import LiveReplicate
from nodes import Registry

from . import editor_intents as i
from . import editor_wiring as wiring
from .editor_form import FormContext, node_form_context, render_form
from .editor_state import Change, EditorState
from .i18n import labelled, language, t
from .model_picker import ModelSource


class RunTools(Protocol):
    """What the node's run-tool buttons ask of the test-run panel (ui.editor_runs.RunPanel)."""

    def run_node(self, node_id: str) -> None: ...

    async def run_from(self, node_id: str) -> None: ...

    def edit_pin(self, node_id: str) -> None: ...


class SettingsPanel:
    def __init__(
        self,
        state: EditorState,
        emit: i.Emit,
        *,
        registry: Registry,
        titles: dict[str, str],
        replicate: LiveReplicate | None,
        model_source: ModelSource | None = None,
    ):
        self.state = state
        self.model_source = model_source  # the models each provider serves (the model picker)
        self.emit = emit
        self.registry = registry
        self.titles = titles  # node type -> title in the UI language
        self.replicate = replicate  # loads a Replicate model's inputs; None: not offered
        self.tools: RunTools | None = None  # the test-run panel, for the node's run tools
        self.box = ui.column().classes("w-full gap-2").props('data-testid="settings-panel"')

    @property
    def editing(self) -> bool:
        return self.state.editing

    def on_change(self, c: Change) -> None:
        pinned = isinstance(c.intent, i.SetPin) and c.intent.node == self.state.selected
        if c.selection or c.mode or c.variables or pinned:
            self.render()

    def render(self) -> None:
        """The selected node's form; the workflow's when none is selected. Read-only while a
        version (not the draft) is on the canvas."""
        node = self.state.selected_node
        self.box.clear()
        with self.box:
            if node is None:
                self._workflow_form(self.state.doc)
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
        ttl = (
            ui.number(
                t("editor_panel.cache_ttl"),
                value=(doc.get("settings") or {}).get("cache_ttl"),
                min=0,
                on_change=lambda e: self.on_cache_ttl(e.value),
            )
            .props("outlined")
            .classes("w-full")
        )
        if not self.editing:
            desc.props("readonly")
            ttl.props("readonly")

    def _node_form(self, node: dict) -> None:
        nid = node["id"]
        impl = self.registry.get(node.get("type"))
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
        draft = self.state.draft
        variables = [*draft.variables(nid), *wiring.candidates(draft, nid)] if impl.templated else None
        ctx = node_form_context(impl, variables=variables, readonly=not self.editing, model_source=self.model_source)
        ctx.wired = wiring.wired(draft, nid)
        ctx.unwire = lambda port: self.emit(i.Unwire(nid, port)) if self.editing else None
        ctx.depend = lambda upstream: self.emit(i.DependOn(nid, upstream)) if self.editing else None
        # A field with the "model_params" widget: the model's own inputs, loadable from Replicate.
        params = next((k for k, f in impl.definition.fields.items() if f.widget == "model_params"), None)
        loadable = params is not None and self.replicate is not None
        render_form(
            impl.Config.model_json_schema(),
            node.get("config") or {},
            lambda key, value: self.on_config(nid, key, value),
            ctx,
            skip=(params,) if loadable and params else (),
        )
        if loadable and params:
            self._replicate_params(node, ctx, params)
        if self.editing and self.tools is not None:  # (a node inside a loop too: on a sample item)
            self._run_tools(nid, self.tools)
        if self.editing:
            ui.button(t("editor_panel.delete_node"), icon="delete", on_click=lambda: self.delete_node(nid)).props(
                'flat color=negative dense data-testid="delete-node"'
            )

    def _run_tools(self, nid: str, tools: RunTools) -> None:
        """Run the node alone on sample values, run the canvas again from it, pin its outputs."""
        pinned = nid in self.state.draft.pins()
        with ui.row().classes("w-full gap-1").props('data-testid="node-tools"'):
            ui.button(t("editor_panel.run_node"), icon="play_arrow", on_click=lambda: tools.run_node(nid)).props(
                'outline dense no-caps data-testid="tool-run-node"'
            ).tooltip(t("editor_panel.run_node_tip"))
            ui.button(t("editor_panel.run_from"), icon="fast_forward", on_click=lambda: tools.run_from(nid)).props(
                'outline dense no-caps data-testid="tool-run-from"'
            ).tooltip(t("editor_panel.run_from_tip"))
            ui.button(
                t("editor_panel.edit_pin" if pinned else "editor_panel.pin"),
                icon="push_pin",
                on_click=lambda: tools.edit_pin(nid),
            ).props("outline dense no-caps data-testid=tool-pin" + (" color=teal" if pinned else "")).tooltip(
                t("editor_panel.pin_tip")
            )

    def _replicate_params(self, node: dict, ctx: FormContext, key: str) -> None:
        """The ``key`` field (a model's inputs) as JSON text until "load parameters" fetches the
        model's input schema; then a form generated from that schema edits the same object."""
        nid, replicate = node["id"], self.replicate
        assert replicate is not None  # (offered only then)
        box = ui.column().classes("w-full gap-1")
        with box:
            render_form(
                {"properties": {key: {"type": "object", "title": t("editor_panel.params")}}},
                node.get("config") or {},
                lambda k, value: self.on_config(nid, k, value),
                ctx,
            )

        def config() -> dict:
            return (self.state.draft.node(nid) or {}).get("config") or {}

        async def load() -> None:
            model = config().get("model")
            if not model:
                ui.notify(t("editor_panel.need_model"), type="warning")
                return
            try:
                schema = await replicate.input_schema(model)
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
    def on_config(self, node_id: str, key: str, value: Any) -> None:
        if self.editing:
            self.emit(i.UpdateConfig(node_id, key, value))

    def on_label(self, node_id: str, label: str) -> None:
        if self.editing:
            self.emit(i.SetLabel(node_id, label or ""))

    def on_meta(self, key: str, value: str) -> None:
        if self.editing:
            self.emit(i.SetMeta(key, value or ""))

    def on_cache_ttl(self, seconds) -> None:
        if self.editing:
            settings = dict(self.state.draft.doc.get("settings") or {})
            settings["cache_ttl"] = seconds if seconds not in ("", None) else None
            self.emit(i.SetMeta("settings", settings))

    def delete_node(self, node_id: str) -> None:
        self.emit(i.Delete((node_id,)))
