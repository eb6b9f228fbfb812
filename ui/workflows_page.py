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
from .layout import frame, safe_id, signed_in_user
from .template_gallery import TemplateGallery


def register(platform: Platform) -> None:
    @ui.page("/")
    def workflows_page():
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t("workflows.title")):
            WorkflowsList(platform, user.id).build()


class WorkflowsList:
    def __init__(self, platform: Platform, owner_id: int):
        self.platform = platform
        self.owner_id = owner_id

    def build(self) -> None:
        with ui.row().classes("w-full items-center"):
            self.heading = ui.label().classes("text-2xl")
            ui.space()
            ui.button(t("workflows.import"), icon="upload", on_click=self.import_dialog).props(
                'outline data-testid="import-workflow"'
            )
            ui.button(
                t("template_gallery.open"),
                icon="apps",
                on_click=lambda: TemplateGallery(self.platform, self.owner_id).open(self.host),
            ).props('outline data-testid="open-gallery"')
            ui.button(t("workflows.new"), icon="add", on_click=self.create_dialog).props('data-testid="new-workflow"')
        self.host = ui.element("div")  # dialogs live here, outside the list that refreshes
        self.table_area()

    # the list ----------------------------------------------------------------------------
    @ui.refreshable_method
    def table_area(self) -> None:
        workflows, total = self.platform.workflows.list(owner_id=self.owner_id, limit=500)
        self.heading.text = t("workflows.count", n=total)
        if not workflows:
            ui.label(t("workflows.empty")).classes("text-gray-500").props('data-testid="no-workflows"')
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
            {"name": "name", "label": t("workflows.name"), "field": "name", "align": "left", "sortable": True},
            {"name": "id", "label": t("workflows.id"), "field": "id", "align": "left"},
            {"name": "versions", "label": t("workflows.versions"), "field": "versions"},
            {"name": "published", "label": t("workflows.published"), "field": "published"},
            {"name": "updated", "label": t("workflows.updated"), "field": "updated", "sortable": True},
            {"name": "actions", "label": t("workflows.actions"), "field": "id", "align": "right"},
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
                 title="{t("workflows.open")}">{{{{ props.row.name }}}}</a>
            </q-td>''',
        )
        table.add_slot(
            "body-cell-id",
            f"""
            <q-td :props="props">
              <code>{{{{ props.value }}}}</code>
              <q-btn flat dense size="sm" icon="content_copy" :data-testid="'copy-id-' + props.row.id"
                     @click="$parent.$emit('copy_id', props.row)"><q-tooltip>{t("layout.copy")}</q-tooltip></q-btn>
            </q-td>""",
        )
        buttons = "".join(
            f'''<q-btn flat dense size="sm" icon="{safe_id(icon)}" :data-testid="'{safe_id(action)}-' + props.row.id"
                       @click="$parent.$emit('{safe_id(action)}', props.row)">
                       <q-tooltip>{t(f"workflows.{action}")}</q-tooltip></q-btn>'''
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
        ui.notify(t("layout.copied"), timeout=1000)

    def _try(self, action, done: str | None = None, **fmt) -> bool:
        """Run ``action``; a FlowAIError is shown to the user (as text) instead of raised."""
        try:
            action()
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative", multi_line=True)
            return False
        if done:
            ui.notify(t(f"workflows.{done}", **fmt), type="positive")
        self.table_area.refresh()
        return True

    # actions -----------------------------------------------------------------------------
    def _dialog(self) -> ui.dialog:
        self.host.clear()
        with self.host:
            return ui.dialog()

    def create_dialog(self) -> None:
        options = {"": t("workflows.blank"), **{name: name for name in template_names()}}
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(t("workflows.new")).classes("text-lg")
            name = (
                ui.input(t("workflows.name"), value=t("workflows.untitled"))
                .classes("w-full")
                .props('data-testid="new-name"')
            )
            template = (
                ui.select(options, value="", label=t("workflows.template"))
                .classes("w-full")
                .props('data-testid="new-template"')
            )

            def create():
                document = from_template(template.value or None, (name.value or "").strip() or t("workflows.untitled"))
                if self._try(
                    lambda: self.platform.workflows.create(owner_id=self.owner_id, document=document), "created"
                ):
                    dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("workflows.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("workflows.create"), on_click=create).props('data-testid="create-workflow"')
        dialog.open()

    def rename_dialog(self, workflow_id: str, current: str) -> None:
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(t("workflows.rename")).classes("text-lg")
            name = ui.input(t("workflows.name"), value=current).classes("w-full").props('data-testid="rename-input"')

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
                ui.button(t("workflows.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("workflows.save"), on_click=save).props('data-testid="rename-save"')
        dialog.open()

    def duplicate(self, workflow_id: str, name: str) -> None:
        copy_name = t("workflows.copy_suffix", name=name)[:200]
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
            ui.label(t("workflows.delete_title")).classes("text-lg")
            ui.label(t("workflows.delete_body", name=name)).classes("text-sm")

            def delete():
                self._try(
                    lambda: self.platform.workflows.delete(owner_id=self.owner_id, workflow_id=workflow_id), "deleted"
                )
                dialog.close()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("workflows.cancel"), on_click=dialog.close).props('flat data-testid="delete-cancel"')
                ui.button(t("workflows.delete"), on_click=delete).props('color=negative data-testid="delete-confirm"')
        dialog.open()

    def import_dialog(self) -> None:
        with self._dialog() as dialog, ui.card().classes("w-[28rem]"):
            ui.label(t("workflows.import_title")).classes("text-lg")
            ui.label(t("workflows.import_hint")).classes("text-sm text-gray-500")
            publish = ui.checkbox(t("workflows.publish_after")).props('data-testid="import-publish"')
            error = ui.label().classes("text-red-600 text-sm whitespace-pre-wrap").props('data-testid="import-error"')

            async def received(e: events.UploadEventArguments):
                try:
                    document = json.loads(await e.file.text())
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    error.text = t("workflows.not_json", error=str(exc))
                    return
                try:
                    wf, _ = self.platform.workflows.create(
                        owner_id=self.owner_id, document=document, message="Imported", publish=publish.value
                    )
                except FlowAIError as exc:
                    error.text = exc.message
                    return
                ui.notify(t("workflows.imported", name=wf.name), type="positive")
                self.table_area.refresh()
                dialog.close()

            ui.upload(on_upload=received, auto_upload=True, max_file_size=5_000_000).props(
                'accept=".json,application/json" flat bordered data-testid="import-upload"'
            ).classes("w-full")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("workflows.cancel"), on_click=dialog.close).props("flat")
        dialog.open()
