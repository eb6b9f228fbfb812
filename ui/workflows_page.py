"""The workflows list (/): create (blank or from a template, then straight into its editor), rename,
duplicate, delete, import (a dropped or chosen file, or pasted JSON; a taken name gets a number)
and export ``flowai/1`` files; each row opens the editor at /workflows/{id}."""

from __future__ import annotations

import json
import re

from nicegui import events, ui

from flowai.errors import FlowAIError, GraphError
from flowai.platform import Platform
from flowai.workflows.starters import from_template, template_names

from .i18n import language, t
from .issues import for_people
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
                title = (name.value or "").strip() or t("workflows.untitled")
                document = from_template(template.value or None, title, language())
                try:
                    wf, _ = self.platform.workflows.create(owner_id=self.owner_id, document=document)
                except FlowAIError as exc:
                    ui.notify(exc.message, type="negative", multi_line=True)
                    return
                dialog.close()
                ui.navigate.to(f"/workflows/{wf.id}")  # a new workflow is made to be edited

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
        with self._dialog() as dialog, ui.card().classes("w-[32rem] max-w-full"):
            ui.label(t("workflows.import_title")).classes("text-lg")
            publish = ui.checkbox(t("workflows.publish_after")).props('data-testid="import-publish"')
            problems = ui.column().classes("w-full gap-1").props('data-testid="import-error"')

            def show(title: str, lines: list[str]) -> None:
                problems.clear()
                with problems:
                    ui.label(title).classes("text-red-700 text-sm font-bold")
                    for line in lines:
                        ui.label("• " + line).classes("text-red-700 text-sm whitespace-pre-wrap break-words").props(
                            'data-testid="import-problem"'
                        )

            def take(text: str) -> None:
                try:
                    document = json.loads(text)
                except json.JSONDecodeError as exc:
                    show(t("workflows.not_json", error=str(exc)), [])
                    return
                if isinstance(document, dict) and isinstance(document.get("name"), str):
                    taken = {wf.name for wf in self.platform.workflows.list(owner_id=self.owner_id, limit=1000)[0]}
                    document = {**document, "name": unique_name(document["name"], taken)}
                try:
                    wf, _ = self.platform.workflows.create(
                        owner_id=self.owner_id, document=document, message="Imported", publish=publish.value
                    )
                except GraphError as exc:
                    registry = self.platform.registry
                    show(t("workflows.import_invalid"), [for_people(i, document, registry) for i in exc.issues])
                    return
                except FlowAIError as exc:
                    show(t("workflows.import_failed"), [exc.message])
                    return
                ui.notify(t("workflows.imported", name=wf.name), type="positive")
                self.table_area.refresh()
                dialog.close()

            async def received(e: events.UploadEventArguments):
                try:
                    text = await e.file.text()
                except UnicodeDecodeError as exc:
                    show(t("workflows.not_json", error=str(exc)), [])
                    return
                take(text)

            with ui.column().classes("w-full gap-1 border-2 border-dashed border-slate-300 rounded p-2"):
                ui.label(t("workflows.import_drop")).classes("text-sm text-gray-600")
                ui.upload(
                    label=t("workflows.import_choose"), on_upload=received, auto_upload=True, max_file_size=5_000_000
                ).props('accept=".json,application/json" flat data-testid="import-upload"').classes("w-full")
            ui.label(t("workflows.import_or_paste")).classes("text-sm text-gray-600")
            pasted = (
                ui.textarea(placeholder='{"format": "flowai/1", "name": …, "nodes": [...], "edges": [...]}')
                .classes("w-full font-mono text-xs")
                .props('outlined autogrow input-class="max-h-48" data-testid="import-paste"')
            )
            with ui.row().classes("w-full justify-end"):
                ui.button(t("workflows.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("workflows.import"), on_click=lambda: take(pasted.value or "")).props(
                    'data-testid="import-paste-submit"'
                )
        dialog.open()


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or the first of "name (2)", "name (3)", … that no workflow of the account has."""
    if name not in taken:
        return name
    base = re.sub(r" \((\d+)\)$", "", name)
    n = 2
    while f"{base} ({n})" in taken:
        n += 1
    return f"{base} ({n})"[:200]
