"""The workflows list (/): create (blank or from a template), rename, duplicate, delete, import
and export ``flowai/1`` files; each row opens the editor at /workflows/{id}."""

from __future__ import annotations

import json
import re

from nicegui import events, ui

from flowai.errors import FlowAIError
from flowai.platform import Platform
from flowai.workflows.starters import from_template, template_names

from .i18n import t
from .layout import TEXT as LAYOUT
from .layout import frame, safe_id, signed_in_user

TEXT = {
    "title": ("Workflows", "工作流"),
    "count": ("Workflows ({n})", "工作流（{n}）"),
    "empty": (
        "No workflows yet: create one, import a flowai/1 file, or start FlowAI with `flowai serve --demo`.",
        "还没有工作流：新建一个、导入 flowai/1 文件，或用 `flowai serve --demo` 启动。",
    ),
    "new": ("New workflow", "新建工作流"),
    "import": ("Import", "导入"),
    "name": ("Name", "名称"),
    "id": ("Workflow ID", "工作流ID"),
    "versions": ("Versions", "版本数"),
    "published": ("Published version", "已发布版本"),
    "updated": ("Updated", "更新时间"),
    "actions": ("Actions", "操作"),
    "template": ("Start from", "起始模板"),
    "blank": ("Blank (input → output)", "空白（输入 → 输出）"),
    "create": ("Create", "创建"),
    "cancel": ("Cancel", "取消"),
    "untitled": ("Untitled", "未命名"),
    "created": ("Workflow created.", "已创建工作流。"),
    "rename": ("Rename", "重命名"),
    "renamed": ("Renamed.", "已重命名。"),
    "save": ("Save", "保存"),
    "duplicate": ("Duplicate", "复制"),
    "duplicated": ("Duplicated as “{name}”.", "已复制为“{name}”。"),
    "copy_suffix": ("{name} (copy)", "{name}（副本）"),
    "export": ("Export", "导出"),
    "delete": ("Delete", "删除"),
    "delete_title": ("Delete this workflow?", "删除此工作流？"),
    "delete_body": (
        "“{name}” and all its versions will be deleted, and its API endpoint stops working. This cannot be undone.",
        "“{name}”及其所有版本将被删除，其 API 接口也将停止工作。此操作无法撤销。",
    ),
    "deleted": ("Workflow deleted.", "已删除工作流。"),
    "import_title": ("Import a flowai/1 file", "导入 flowai/1 文件"),
    "import_hint": ("Choose a .json file exported from FlowAI.", "选择从 FlowAI 导出的 .json 文件。"),
    "publish_after": ("Publish after import", "导入后发布"),
    "imported": ("Imported “{name}”.", "已导入“{name}”。"),
    "not_json": ("The file is not JSON: {error}", "文件不是有效的 JSON：{error}"),
    "open": ("Open in the editor", "在编辑器中打开"),
}


def register(platform: Platform) -> None:
    @ui.page("/")
    def workflows_page():
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t(TEXT, "title")):
            WorkflowsList(platform, user.id).build()


class WorkflowsList:
    def __init__(self, platform: Platform, owner_id: int):
        self.platform = platform
        self.owner_id = owner_id

    def build(self) -> None:
        with ui.row().classes("w-full items-center"):
            self.heading = ui.label().classes("text-2xl")
            ui.space()
            ui.button(t(TEXT, "import"), icon="upload", on_click=self.import_dialog).props(
                'outline data-testid="import-workflow"'
            )
            ui.button(t(TEXT, "new"), icon="add", on_click=self.create_dialog).props('data-testid="new-workflow"')
        self.host = ui.element("div")  # dialogs live here, outside the list that refreshes
        self.table_area()

    # the list ----------------------------------------------------------------------------
    @ui.refreshable_method
    def table_area(self) -> None:
        workflows, total = self.platform.workflows.list(owner_id=self.owner_id, limit=500)
        self.heading.text = t(TEXT, "count", n=total)
        if not workflows:
            ui.label(t(TEXT, "empty")).classes("text-gray-500").props('data-testid="no-workflows"')
            return
        rows = [
            {
                "id": wf.id,
                "name": wf.name,
                "versions": wf.latest_version,
                "published": wf.published_version or "—",
                "updated": wf.updated_at.strftime("%Y-%m-%d %H:%M"),
            }
            for wf in workflows
        ]
        columns = [
            {"name": "name", "label": t(TEXT, "name"), "field": "name", "align": "left", "sortable": True},
            {"name": "id", "label": t(TEXT, "id"), "field": "id", "align": "left"},
            {"name": "versions", "label": t(TEXT, "versions"), "field": "versions"},
            {"name": "published", "label": t(TEXT, "published"), "field": "published"},
            {"name": "updated", "label": t(TEXT, "updated"), "field": "updated", "sortable": True},
            {"name": "actions", "label": t(TEXT, "actions"), "field": "id", "align": "right"},
        ]
        table = (
            ui.table(columns=columns, rows=rows, row_key="id")
            .classes("w-full")
            .props('data-testid="workflows" flat bordered hide-bottom')
        )
        # Vue's {{ }} interpolation renders names as text, never as HTML.
        table.add_slot(
            "body-cell-name",
            f'''
            <q-td :props="props">
              <a :href="'/workflows/' + props.row.id" class="text-primary" :data-testid="'open-' + props.row.id"
                 title="{t(TEXT, "open")}">{{{{ props.row.name }}}}</a>
            </q-td>''',
        )
        table.add_slot(
            "body-cell-id",
            f"""
            <q-td :props="props">
              <code>{{{{ props.value }}}}</code>
              <q-btn flat dense size="sm" icon="content_copy" :data-testid="'copy-id-' + props.row.id"
                     @click="$parent.$emit('copy_id', props.row)"><q-tooltip>{t(LAYOUT, "copy")}</q-tooltip></q-btn>
            </q-td>""",
        )
        buttons = "".join(
            f'''<q-btn flat dense size="sm" icon="{safe_id(icon)}" :data-testid="'{safe_id(action)}-' + props.row.id"
                       @click="$parent.$emit('{safe_id(action)}', props.row)">
                       <q-tooltip>{t(TEXT, action)}</q-tooltip></q-btn>'''
            for action, icon in (
                ("rename", "edit"),
                ("duplicate", "content_copy"),
                ("export", "download"),
                ("delete", "delete"),
            )
        )
        table.add_slot("body-cell-actions", f'<q-td :props="props" class="text-right">{buttons}</q-td>')
        table.on("copy_id", lambda e: self._copy(e.args["id"]))
        table.on("rename", lambda e: self.rename_dialog(e.args["id"], e.args["name"]))
        table.on("duplicate", lambda e: self.duplicate(e.args["id"], e.args["name"]))
        table.on("export", lambda e: self.export(e.args["id"]))
        table.on("delete", lambda e: self.delete_dialog(e.args["id"], e.args["name"]))

    def _copy(self, text: str) -> None:
        ui.clipboard.write(text)
        ui.notify(t(LAYOUT, "copied"), timeout=1000)

    def _try(self, action, done: str | None = None, **fmt) -> bool:
        """Run ``action``; a FlowAIError is shown to the user (as text) instead of raised."""
        try:
            action()
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative", multi_line=True)
            return False
        if done:
            ui.notify(t(TEXT, done, **fmt), type="positive")
        self.table_area.refresh()
        return True

    # actions -----------------------------------------------------------------------------
    def _dialog(self) -> ui.dialog:
        self.host.clear()
        with self.host:
            return ui.dialog()

    def create_dialog(self) -> None:
        options = {"": t(TEXT, "blank"), **{name: name for name in template_names()}}
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(t(TEXT, "new")).classes("text-lg")
            name = (
                ui.input(t(TEXT, "name"), value=t(TEXT, "untitled")).classes("w-full").props('data-testid="new-name"')
            )
            template = (
                ui.select(options, value="", label=t(TEXT, "template"))
                .classes("w-full")
                .props('data-testid="new-template"')
            )

            def create():
                document = from_template(template.value or None, (name.value or "").strip() or t(TEXT, "untitled"))
                if self._try(
                    lambda: self.platform.workflows.create(owner_id=self.owner_id, document=document), "created"
                ):
                    dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "create"), on_click=create).props('data-testid="create-workflow"')
        dialog.open()

    def rename_dialog(self, workflow_id: str, current: str) -> None:
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(t(TEXT, "rename")).classes("text-lg")
            name = ui.input(t(TEXT, "name"), value=current).classes("w-full").props('data-testid="rename-input"')

            def save():
                if self._try(
                    lambda: self.platform.workflows.rename(
                        owner_id=self.owner_id, workflow_id=workflow_id, name=name.value
                    ),
                    "renamed",
                ):
                    dialog.close()

            name.on("keydown.enter", save)
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "save"), on_click=save).props('data-testid="rename-save"')
        dialog.open()

    def duplicate(self, workflow_id: str, name: str) -> None:
        copy_name = t(TEXT, "copy_suffix", name=name)[:200]
        self._try(
            lambda: self.platform.workflows.duplicate(owner_id=self.owner_id, workflow_id=workflow_id, name=copy_name),
            "duplicated",
            name=copy_name,
        )

    def export(self, workflow_id: str) -> None:
        try:
            document = self.platform.workflows.export(owner_id=self.owner_id, workflow_id=workflow_id)
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative")
            return
        stem = re.sub(r"[^\w.-]+", "-", document.get("name") or "workflow").strip("-") or "workflow"
        ui.download.content(
            json.dumps(document, ensure_ascii=False, indent=2), f"{stem}.flowai.json", "application/json"
        )

    def delete_dialog(self, workflow_id: str, name: str) -> None:
        with self._dialog() as dialog, ui.card().classes("w-96").props('data-testid="delete-dialog"'):
            ui.label(t(TEXT, "delete_title")).classes("text-lg")
            ui.label(t(TEXT, "delete_body", name=name)).classes("text-sm")

            def delete():
                self._try(
                    lambda: self.platform.workflows.delete(owner_id=self.owner_id, workflow_id=workflow_id), "deleted"
                )
                dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props('flat data-testid="delete-cancel"')
                ui.button(t(TEXT, "delete"), on_click=delete).props('color=negative data-testid="delete-confirm"')
        dialog.open()

    def import_dialog(self) -> None:
        with self._dialog() as dialog, ui.card().classes("w-[28rem]"):
            ui.label(t(TEXT, "import_title")).classes("text-lg")
            ui.label(t(TEXT, "import_hint")).classes("text-sm text-gray-500")
            publish = ui.checkbox(t(TEXT, "publish_after")).props('data-testid="import-publish"')
            error = ui.label().classes("text-red-600 text-sm whitespace-pre-wrap").props('data-testid="import-error"')

            async def received(e: events.UploadEventArguments):
                try:
                    document = json.loads(await e.file.text())
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    error.text = t(TEXT, "not_json", error=str(exc))
                    return
                try:
                    wf, _ = self.platform.workflows.create(
                        owner_id=self.owner_id, document=document, message="Imported", publish=publish.value
                    )
                except FlowAIError as exc:
                    error.text = exc.message
                    return
                ui.notify(t(TEXT, "imported", name=wf.name), type="positive")
                self.table_area.refresh()
                dialog.close()

            ui.upload(on_upload=received, auto_upload=True, max_file_size=5_000_000).props(
                'accept=".json,application/json" flat bordered data-testid="import-upload"'
            ).classes("w-full")
            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
        dialog.open()
