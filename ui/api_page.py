"""API management (/api-keys, FlowAI's "API管理"): keys, and how to call each published workflow.

A new key's secret is shown once, in a dialog; until the page is left, the code snippets below
carry it, so they run as copied.
"""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request

from flowai.errors import FlowAIError
from flowai.platform import Platform

from . import snippets
from .i18n import t
from .layout import TEXT as LAYOUT
from .layout import copy_button, frame, safe_id, signed_in_user

TEXT = {
    "title": ("API management", "API管理"),
    "keys": ("API keys", "API 密钥"),
    "keys_hint": (
        "Calls to a published workflow send a key in the X-API-KEY header.",
        "调用已发布的工作流时，在 X-API-KEY 请求头中携带密钥。",
    ),
    "new_key": ("Create new key", "创建新密钥"),
    "no_keys": (
        "No keys yet: create one to call your published workflows.",
        "还没有密钥：创建一个以调用已发布的工作流。",
    ),
    "name": ("Name", "名称"),
    "prefix": ("Key", "密钥"),
    "rate": ("Rate limit", "速率限制"),
    "per_min": ("{n}/min", "{n} 次/分钟"),
    "unlimited": ("unlimited", "不限"),
    "rate_label": ("Runs per minute (0 = unlimited)", "每分钟运行次数（0 = 不限）"),
    "scope": ("Workflows", "工作流范围"),
    "scope_label": ("Only these workflows (empty: all of yours)", "仅限这些工作流（留空：全部）"),
    "all": ("all", "全部"),
    "created": ("Created", "创建时间"),
    "last_used": ("Last used", "最近使用"),
    "never": ("never", "从未"),
    "status": ("Status", "状态"),
    "active": ("active", "有效"),
    "revoked": ("revoked", "已吊销"),
    "revoke": ("Revoke", "吊销"),
    "revoke_title": ("Revoke this key?", "吊销此密钥？"),
    "revoke_body": (
        "Apps using “{name}” ({prefix}…) stop working at once. This cannot be undone.",
        "使用“{name}”（{prefix}…）的应用将立即无法调用。此操作无法撤销。",
    ),
    "revoked_done": ("Key revoked.", "密钥已吊销。"),
    "create": ("Create", "创建"),
    "cancel": ("Cancel", "取消"),
    "close": ("I have copied it", "我已复制"),
    "secret_title": ("Your new API key", "新的 API 密钥"),
    "secret_once": (
        "Copy it now: it is shown only once and cannot be seen again.",
        "请立即复制：密钥只显示这一次，之后无法再次查看。",
    ),
    "signing": (
        "Callback signing secret (verifies callback_url requests):",
        "回调签名密钥（用于校验 callback_url 请求）：",
    ),
    "name_required": ("Give the key a name.", "请为密钥命名。"),
    "published_title": ("Published workflows", "已发布的工作流"),
    "none_published": (
        "No published workflow yet: publish one in the editor (“Publish API”).",
        "还没有已发布的工作流：在编辑器中点击“发布API”。",
    ),
    "workflow": ("Workflow", "工作流"),
    "id": ("Workflow ID", "工作流ID"),
    "version": ("Published version", "已发布版本"),
    "published": ("published", "已发布"),
    "not_published": ("not published", "未发布"),
    "call": ("How to call “{name}”", "如何调用“{name}”"),
    "fields": ("Input fields: {fields}", "输入字段：{fields}"),
    "required": (", required", "，必填"),
    "no_fields": ("This workflow takes no input fields.", "此工作流没有输入字段。"),
    "with_key": ("These examples carry the key you just created.", "以下示例已填入您刚创建的密钥。"),
    "placeholder": (
        "Replace <YOUR_API_KEY> with one of your keys (create one above).",
        "请将 <YOUR_API_KEY> 替换为您的密钥（可在上方创建）。",
    ),
    "standard": ("curl", "curl 标准调用"),
    "stream": ("curl (streaming)", "curl 流式调用"),
    "python": ("Python", "Python"),
    "python_stream": ("Python (streaming)", "Python 流式"),
    "js": ("JavaScript", "JavaScript"),
    "js_stream": ("JavaScript (streaming)", "JavaScript 流式"),
}

SNIPPETS = [  # (tab key, language, builder, stream)
    ("standard", "bash", snippets.curl, False),
    ("stream", "bash", snippets.curl, True),
    ("python", "python", snippets.python, False),
    ("python_stream", "python", snippets.python, True),
    ("js", "javascript", snippets.javascript, False),
    ("js_stream", "javascript", snippets.javascript, True),
]


def register(platform: Platform) -> None:
    @ui.page("/api-keys")
    def api_page(request: Request):
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t(TEXT, "title")):
            ApiPage(platform, user.id, str(request.base_url).rstrip("/")).build()


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


class ApiPage:
    def __init__(self, platform: Platform, owner_id: int, base_url: str):
        self.platform = platform
        self.owner_id = owner_id
        self.base_url = base_url
        self.secret: str | None = None  # the key created on this page, for the snippets

    def build(self) -> None:
        self.host = ui.element("div")  # dialogs
        with ui.row().classes("w-full items-center"):
            ui.label(t(TEXT, "keys")).classes("text-2xl")
            ui.space()
            ui.button(t(TEXT, "new_key"), icon="add", on_click=self.create_dialog).props('data-testid="new-key"')
        ui.label(t(TEXT, "keys_hint")).classes("text-sm text-gray-500")
        self.keys_area()
        ui.label(t(TEXT, "published_title")).classes("text-2xl mt-4")
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
            ui.label(t(TEXT, "no_keys")).classes("text-gray-500").props('data-testid="no-keys"')
            return
        names = {wf.id: wf.name for wf in self.platform.workflows.list(owner_id=self.owner_id, limit=1000)[0]}
        rows = [
            {
                "id": k.id,
                "prefix": k.prefix + "…",
                "name": k.name,
                "rate": t(TEXT, "per_min", n=k.rate_limit) if k.rate_limit else t(TEXT, "unlimited"),
                "scope": ", ".join(names.get(w, w) for w in k.workflows) if k.workflows else t(TEXT, "all"),
                "created": _when(k.created_at),
                "last_used": _when(k.last_used_at) or t(TEXT, "never"),
                "status": t(TEXT, "revoked") if k.revoked_at else t(TEXT, "active"),
                "active": k.revoked_at is None,
            }
            for k in keys
        ]
        columns = [
            {"name": c, "label": t(TEXT, c), "field": c, "align": "left"}
            for c in ("name", "prefix", "rate", "scope", "created", "last_used", "status")
        ]
        columns.append({"name": "actions", "label": "", "field": "id", "align": "right"})
        table = (
            ui.table(columns=columns, rows=rows, row_key="id")
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
                     label="{t(TEXT, "revoke")}" :data-testid="'revoke-' + props.row.id"
                     @click="$parent.$emit('revoke', props.row)" />
            </q-td>''',
        )
        table.on("revoke", lambda e: self.revoke_dialog(e.args["id"], e.args["name"], e.args["prefix"]))

    def create_dialog(self) -> None:
        workflows = {wf.id: wf.name for wf in self.platform.workflows.list(owner_id=self.owner_id, limit=1000)[0]}
        with self._dialog() as dialog, ui.card().classes("w-[28rem]"):
            ui.label(t(TEXT, "new_key")).classes("text-lg")
            name = ui.input(t(TEXT, "name"), value="").classes("w-full").props('data-testid="key-name"')
            rate = (
                ui.number(
                    t(TEXT, "rate_label"), value=self.platform.keys.default_rate_limit, min=0, precision=0, format="%d"
                )
                .classes("w-full")
                .props('data-testid="key-rate"')
            )
            scope = (
                ui.select(workflows, multiple=True, value=[], label=t(TEXT, "scope_label"))
                .classes("w-full")
                .props('use-chips data-testid="key-scope"')
            )
            error = ui.label().classes("text-red-600 text-sm")

            def create():
                if not (name.value or "").strip():
                    error.text = t(TEXT, "name_required")
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
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "create"), on_click=create).props('data-testid="create-key"')
        dialog.open()

    def show_secret(self, secret: str, signing: str) -> None:
        with (
            self._dialog().props("persistent") as dialog,
            ui.card().classes("w-[36rem]").props('data-testid="secret-dialog"'),
        ):
            ui.label(t(TEXT, "secret_title")).classes("text-lg")
            ui.label(t(TEXT, "secret_once")).classes("text-sm text-orange-700")
            with ui.row().classes("w-full items-center no-wrap bg-slate-100 rounded p-2"):
                ui.label(secret).classes("font-mono break-all grow").props('data-testid="secret"')
                copy_button(secret, testid="copy-secret")
            ui.label(t(TEXT, "signing")).classes("text-xs text-gray-500")
            ui.label(signing).classes("font-mono text-xs break-all text-gray-600")
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "close"), on_click=dialog.close).props('data-testid="secret-done"')
        dialog.open()

    def revoke_dialog(self, key_id: int, name: str, prefix: str) -> None:
        with self._dialog() as dialog, ui.card().classes("w-96").props('data-testid="revoke-dialog"'):
            ui.label(t(TEXT, "revoke_title")).classes("text-lg")
            ui.label(t(TEXT, "revoke_body", name=name, prefix=prefix.rstrip("…"))).classes("text-sm")

            def revoke():
                try:
                    self.platform.keys.revoke(owner_id=self.owner_id, key_id=key_id)
                except FlowAIError as exc:
                    ui.notify(exc.message, type="negative")
                else:
                    ui.notify(t(TEXT, "revoked_done"), type="positive")
                dialog.close()
                self.keys_area.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "revoke"), on_click=revoke).props('color=negative data-testid="revoke-confirm"')
        dialog.open()

    # published workflows and how to call them -------------------------------------------------
    @ui.refreshable_method
    def workflows_area(self) -> None:
        workflows, _ = self.platform.workflows.list(owner_id=self.owner_id, limit=500)
        if not any(wf.published_version for wf in workflows):
            ui.label(t(TEXT, "none_published")).classes("text-gray-500").props('data-testid="none-published"')
        rows = [
            {
                "id": wf.id,
                "workflow": wf.name,
                "version": wf.published_version or "—",
                "status": t(TEXT, "published") if wf.published_version else t(TEXT, "not_published"),
                "live": bool(wf.published_version),
            }
            for wf in workflows
        ]
        columns = [
            {"name": c, "label": t(TEXT, c), "field": c, "align": "left"}
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
                     @click="$parent.$emit('copy', props.row)"><q-tooltip>{t(LAYOUT, "copy")}</q-tooltip></q-btn>
            </q-td>""",
        )
        table.add_slot(
            "body-cell-status",
            """
            <q-td :props="props">
              <q-badge :color="props.row.live ? 'positive' : 'grey'">{{ props.value }}</q-badge>
            </q-td>""",
        )
        table.on("copy", lambda e: (ui.clipboard.write(e.args["id"]), ui.notify(t(LAYOUT, "copied"), timeout=1000)))
        for i, wf in enumerate(w for w in workflows if w.published_version):
            self.call_panel(wf, opened=i == 0)

    def call_panel(self, wf, *, opened: bool) -> None:
        try:
            fields = self.platform.workflows.compiled(wf.id, wf.published_version).input_node.config.fields
        except (FlowAIError, AttributeError):
            fields = []
        run_input = snippets.sample_input(fields)
        with (
            ui.expansion(t(TEXT, "call", name=wf.name), icon="terminal", value=opened)
            .classes("w-full")
            .props(f'data-testid="{safe_id("call", wf.id)}" header-class="text-lg"')
        ):
            if fields:
                described = [f"{f.name} ({f.type}{t(TEXT, 'required') if f.required else ''})" for f in fields]
                ui.label(t(TEXT, "fields", fields=", ".join(described))).classes("text-sm")
            else:
                ui.label(t(TEXT, "no_fields")).classes("text-sm")
            ui.label(t(TEXT, "with_key") if self.secret else t(TEXT, "placeholder")).classes(
                "text-sm " + ("text-green-700" if self.secret else "text-orange-700")
            )
            with ui.tabs().classes("w-full") as tabs:
                tab_items = {
                    key: ui.tab(key, label=t(TEXT, key)).props(f'data-testid="{safe_id("tab", key, wf.id)}"')
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
