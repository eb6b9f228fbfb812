"""API management (/api-keys, FlowAI's "API管理"): keys, and how to call each published workflow.

A new key's secret is shown once, in a dialog; until the page is left, the code snippets below
carry it, so they run as copied.
"""

from __future__ import annotations

import json

from nicegui import ui
from starlette.requests import Request

from flowai.errors import FlowAIError
from flowai.platform import Platform

from . import snippets
from .i18n import has, listing, t
from .layout import copy_button, frame, safe_id, signed_in_user

SNIPPETS = [  # (tab key, language, builder, stream)
    ("standard", "bash", snippets.curl, False),
    ("stream", "bash", snippets.curl, True),
    ("python", "python", snippets.python, False),
    ("python_stream", "python", snippets.python, True),
    ("python_requests", "python", snippets.python_requests, False),
    ("python_requests_stream", "python", snippets.python_requests, True),
    ("js", "javascript", snippets.javascript, False),
    ("js_stream", "javascript", snippets.javascript, True),
]


def _field(name: str, kind: str, required: bool) -> str:
    """One input field as the page describes it: name, type in the UI language, required or not."""
    kind = t(f"api.type_{kind}") if has(f"api.type_{kind}") else kind
    return t("api.field_required" if required else "api.field", name=name, type=kind)


def register(platform: Platform) -> None:
    @ui.page("/api-keys")
    def api_page(request: Request):
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t("api.title")):
            page = ApiPage(platform, user.id, str(request.base_url).rstrip("/"))
            page.focus = request.query_params.get("workflow")  # the editor's Published dialog links here
            page.build()


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


class ApiPage:
    def __init__(self, platform: Platform, owner_id: int, base_url: str):
        self.platform = platform
        self.owner_id = owner_id
        self.base_url = base_url
        self.secret: str | None = None  # the key created on this page, for the snippets
        self.focus: str | None = None  # the workflow whose call panel opens (default: the first)

    def build(self) -> None:
        self.host = ui.element("div")  # dialogs
        with ui.row().classes("w-full items-center"):
            ui.label(t("api.keys")).classes("text-2xl")
            ui.space()
            ui.button(t("api.new_key"), icon="add", on_click=self.create_dialog).props('data-testid="new-key"')
        ui.label(t("api.keys_hint")).classes("text-sm text-gray-500")
        self.keys_area()
        ui.label(t("api.published_title")).classes("text-2xl mt-4")
        self.workflows_area()

    def _dialog(self) -> ui.dialog:
        self.host.clear()
        with self.host:
            return ui.dialog()

    # keys --------------------------------------------------------------------------------
    @ui.refreshable_method
    def keys_area(self) -> None:
        keys, _ = self.platform.keys.page(owner_id=self.owner_id, limit=200)
        if not keys:
            ui.label(t("api.no_keys")).classes("text-gray-500").props('data-testid="no-keys"')
            return
        names = {wf.id: wf.name for wf in self.platform.workflows.list(owner_id=self.owner_id, limit=1000)[0]}
        rows = [
            {
                "id": k.id,
                "prefix": k.prefix + "…",
                "name": k.name,
                "rate": t("api.per_min", n=k.rate_limit) if k.rate_limit else t("api.unlimited"),
                "scope": listing(names.get(w, w) for w in k.workflows) if k.workflows else t("api.all"),
                "created": _when(k.created_at),
                "last_used": _when(k.last_used_at) or t("api.never"),
                "status": t("api.revoked") if k.revoked_at else t("api.active"),
                "active": k.revoked_at is None,
            }
            for k in keys
        ]
        columns = [
            {"name": c, "label": t(f"api.{c}"), "field": c, "align": "left"}
            for c in ("name", "prefix", "rate", "scope", "created", "last_used", "status")
        ]
        columns.append({"name": "actions", "label": "", "field": "id", "align": "right"})
        table = (
            ui.table(columns=columns, rows=rows, row_key="id", pagination=10)  # revoked keys stay listed
            .classes("w-full")
            .props('data-testid="keys" flat bordered')
        )
        table.add_slot("body-cell-prefix", '<q-td :props="props"><code>{{ props.value }}</code></q-td>')
        table.add_slot(
            "body-cell-status",
            """
            <q-td :props="props">
              <q-badge :color="props.row.active ? 'positive' : 'grey'">{{ props.value }}</q-badge>
            </q-td>""",
        )
        table.add_slot(
            "body-cell-actions",
            f'''
            <q-td :props="props" class="text-right">
              <q-btn v-if="props.row.active" flat dense size="sm" color="negative" icon="block"
                     label="{t("api.revoke")}" :data-testid="'revoke-' + props.row.id"
                     @click="$parent.$emit('revoke', props.row)" />
            </q-td>''',
        )
        table.on("revoke", lambda e: self.revoke_dialog(e.args["id"], e.args["name"], e.args["prefix"]))

    def create_dialog(self) -> None:
        workflows = {wf.id: wf.name for wf in self.platform.workflows.list(owner_id=self.owner_id, limit=1000)[0]}
        with self._dialog() as dialog, ui.card().classes("w-[28rem]"):
            ui.label(t("api.new_key")).classes("text-lg")
            name = ui.input(t("api.name"), value="").classes("w-full").props('data-testid="key-name"')
            rate = (
                ui.number(
                    t("api.rate_label"), value=self.platform.keys.default_rate_limit, min=0, precision=0, format="%d"
                )
                .classes("w-full")
                .props('data-testid="key-rate"')
            )
            scope = (
                ui.select(workflows, multiple=True, value=[], label=t("api.scope_label"))
                .classes("w-full")
                .props('use-chips data-testid="key-scope"')
            )
            error = ui.label().classes("text-red-600 text-sm")

            def create():
                if not (name.value or "").strip():
                    error.text = t("api.name_required")
                    return
                try:
                    secret, key = self.platform.keys.create(
                        owner_id=self.owner_id,
                        name=name.value.strip()[:100],
                        rate_limit=max(0, int(rate.value or 0)),
                        workflows=list(scope.value or []) or None,
                    )
                except FlowAIError as exc:
                    error.text = exc.message
                    return
                dialog.close()
                self.secret = secret
                self.keys_area.refresh()
                self.workflows_area.refresh()
                self.show_secret(secret, self.platform.keys.signing_secret(key.id))

            with ui.row().classes("w-full justify-end"):
                ui.button(t("api.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("api.create"), on_click=create).props('data-testid="create-key"')
        dialog.open()

    def show_secret(self, secret: str, signing: str) -> None:
        with (
            self._dialog().props("persistent") as dialog,
            ui.card().classes("w-[36rem]").props('data-testid="secret-dialog"'),
        ):
            ui.label(t("api.secret_title")).classes("text-lg")
            ui.label(t("api.secret_once")).classes("text-sm text-orange-700")
            with ui.row().classes("w-full items-center no-wrap bg-slate-100 rounded p-2"):
                ui.label(secret).classes("font-mono break-all grow").props('data-testid="secret"')
                copy_button(secret, testid="copy-secret")
            ui.label(t("api.signing")).classes("text-xs text-gray-500")
            ui.label(signing).classes("font-mono text-xs break-all text-gray-600")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("api.close"), on_click=dialog.close).props('data-testid="secret-done"')
        dialog.open()

    def revoke_dialog(self, key_id: int, name: str, prefix: str) -> None:
        with self._dialog() as dialog, ui.card().classes("w-96").props('data-testid="revoke-dialog"'):
            ui.label(t("api.revoke_title")).classes("text-lg")
            ui.label(t("api.revoke_body", name=name, prefix=prefix.rstrip("…"))).classes("text-sm")

            def revoke():
                try:
                    self.platform.keys.revoke(owner_id=self.owner_id, key_id=key_id)
                except FlowAIError as exc:
                    ui.notify(exc.message, type="negative")
                else:
                    ui.notify(t("api.revoked_done"), type="positive")
                dialog.close()
                self.keys_area.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("api.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("api.revoke"), on_click=revoke).props('color=negative data-testid="revoke-confirm"')
        dialog.open()

    # published workflows and how to call them -------------------------------------------------
    @ui.refreshable_method
    def workflows_area(self) -> None:
        everything, _ = self.platform.workflows.list(owner_id=self.owner_id, limit=500)
        workflows = [wf for wf in everything if wf.published_version]  # only what the API can run
        if not workflows:
            ui.label(t("api.none_published")).classes("text-gray-500").props('data-testid="none-published"')
            return
        rows = [
            {
                "id": wf.id,
                "workflow": wf.name,
                "version": wf.published_version or "—",
                "status": t("api.published") if wf.published_version else t("api.not_published"),
                "live": bool(wf.published_version),
            }
            for wf in workflows
        ]
        columns = [
            {"name": c, "label": t(f"api.{c}"), "field": c, "align": "left"}
            for c in ("workflow", "id", "version", "status")
        ]
        table = (
            ui.table(columns=columns, rows=rows, row_key="id")
            .classes("w-full")
            .props('data-testid="published" flat bordered')
        )
        table.add_slot(
            "body-cell-id",
            f"""
            <q-td :props="props">
              <code>{{{{ props.value }}}}</code>
              <q-btn flat dense size="sm" icon="content_copy" :data-testid="'copy-wf-' + props.row.id"
                     @click="$parent.$emit('copy', props.row)"><q-tooltip>{t("layout.copy")}</q-tooltip></q-btn>
            </q-td>""",
        )
        table.add_slot(
            "body-cell-status",
            """
            <q-td :props="props">
              <q-badge :color="props.row.live ? 'positive' : 'grey'">{{ props.value }}</q-badge>
            </q-td>""",
        )
        table.on("copy", lambda e: (ui.clipboard.write(e.args["id"]), ui.notify(t("layout.copied"), timeout=1000)))
        focus = self.focus if any(wf.id == self.focus for wf in workflows) else workflows[0].id
        for wf in workflows:
            self.call_panel(wf, opened=wf.id == focus)
        if focus == self.focus:  # linked to this workflow: show its panel
            self.focus = None  # (once: not again when the list is refreshed)
            selector = json.dumps(f'[data-testid="{safe_id("call", focus)}"]')
            ui.timer(0.2, lambda: ui.run_javascript(f"document.querySelector({selector})?.scrollIntoView()"), once=True)

    def call_panel(self, wf, *, opened: bool) -> None:
        try:
            fields = self.platform.workflows.compiled(wf.id, wf.published_version).input_node.config.fields
        except (FlowAIError, AttributeError):
            fields = []
        run_input = snippets.sample_input(fields)
        with (
            ui.expansion(t("api.call", name=wf.name), icon="terminal", value=opened)
            .classes("w-full")
            .props(f'data-testid="{safe_id("call", wf.id)}" header-class="text-lg"')
        ):
            if fields:
                described = [_field(f.name, f.type, f.required) for f in fields]
                ui.label(t("api.fields", fields=listing(described))).classes("text-sm").props(
                    f'data-testid="{safe_id("fields", wf.id)}"'
                )
            else:
                ui.label(t("api.no_fields")).classes("text-sm")
            openapi = f"{self.base_url}/v1/api/workflow/run/{wf.id}/openapi.json"
            ui.label(t("api.openapi")).classes("text-sm")
            ui.code(f"curl -H 'X-API-KEY: {self.secret or '<YOUR_API_KEY>'}' {openapi}", language="bash").classes(
                "w-full"
            ).props(f'data-testid="{safe_id("openapi", wf.id)}"')
            ui.label(t("api.with_key") if self.secret else t("api.placeholder")).classes(
                "text-sm " + ("text-green-700" if self.secret else "text-orange-700")
            )
            with ui.tabs().classes("w-full") as tabs:
                tab_items = {
                    key: ui.tab(key, label=t(f"api.{key}")).props(f'data-testid="{safe_id("tab", key, wf.id)}"')
                    for key, *_ in SNIPPETS
                }
            with ui.tab_panels(tabs, value=tab_items["standard"]).classes("w-full"):
                for key, language, build, stream in SNIPPETS:
                    code = build(self.base_url, wf.id, run_input, self.secret, stream=stream)
                    with ui.tab_panel(tab_items[key]):
                        block = (
                            ui.code(code, language=language)
                            .classes("w-full")
                            .props(f'data-testid="{safe_id("code", key, wf.id)}"')
                        )
                        block.copy_button.props(f'data-testid="{safe_id("copy", key, wf.id)}"')
