"""The video studio (/studio): the account's video projects (a novel made into a video by the
novel-to-video template, stage by stage) and a form for a new one, from a novel's text or an
uploaded txt, docx or pdf. One project is /studio/{workflow_id} (``studio_project``).

Everything goes through the service the studio API uses (``platform.studio``, flowai.studio):
the same projects, the same runs, the same views of them."""

from __future__ import annotations

from typing import Any

from nicegui import events, ui

from flowai.errors import FlowAIError
from flowai.platform import Platform
from flowai.runs.service import Principal
from flowai.studio import views

from . import studio_project
from .i18n import has, t
from .layout import frame, safe_id, signed_in_user

NOVEL_TYPES = ("text/", "application/pdf", "application/vnd")  # txt, md, pdf, docx (as the API's upload)
STATUS_COLOR = {
    "completed": "positive",
    "failed": "negative",
    "cancelled": "grey",
    "processing": "primary",
    "pending": "orange",
    "paused": "orange",
}


def status_text(status: str) -> str:
    return t(f"studio.s_{status}") if has(f"studio.s_{status}") else status


def register(platform: Platform) -> None:
    @ui.page("/studio")
    async def studio_page():
        user = signed_in_user(platform)
        if user is None:
            return
        await platform.recorder.flush()
        principal = Principal(user.id)
        snaps, total = await platform.studio.page(principal, status=None, stage=None, offset=0, limit=100)
        with frame(platform, t("studio.title")):
            _new_project(platform, principal)
            _projects([views.summary(s) for s in snaps], total)

    @ui.page("/studio/{workflow_id}")
    async def project_page(workflow_id: str):
        user = signed_in_user(platform)
        if user is None:
            return
        await platform.recorder.flush()
        await studio_project.show(platform, Principal(user.id), workflow_id)


def _new_project(platform: Platform, principal: Principal) -> None:
    uploaded: dict[str, Any] = {}
    with ui.card().classes("w-full").props('data-testid="studio-new"'):
        ui.label(t("studio.new_project")).classes("text-lg font-bold")
        ui.label(t("studio.new_hint")).classes("text-sm text-gray-600")
        name = ui.input(t("studio.name"), value=t("studio.default_name")).classes("w-full max-w-md")
        name.props('data-testid="studio-name" maxlength=200')
        novel = ui.textarea(t("studio.novel"), placeholder=t("studio.novel_placeholder")).classes("w-full")
        novel.props('outlined data-testid="studio-novel" input-class="min-h-32"')
        file_label = ui.label("").classes("text-sm text-gray-600").props('data-testid="studio-file"')

        async def received(e: events.UploadEventArguments) -> None:
            data = await e.file.read()
            try:
                row = platform.files.save(owner_id=principal.owner_id, name=e.file.name, data=data)
            except FlowAIError as exc:
                ui.notify(exc.message, type="negative")
                return
            if not row.type.startswith(NOVEL_TYPES):
                platform.files.delete(row.id)
                ui.notify(t("studio.not_a_novel", type=row.type), type="negative")
                return
            uploaded["url"] = platform.files.signed_url(row.id).url
            file_label.set_text(t("studio.file_chosen", name=e.file.name))

        with ui.row().classes("w-full items-center gap-2"):
            ui.upload(
                label=t("studio.upload_novel"),
                on_upload=received,
                auto_upload=True,
                max_file_size=platform.files.max_bytes,
            ).props('accept=".txt,.md,.pdf,.docx,.epub" flat data-testid="studio-upload"').classes("max-w-md").style(
                studio_project.UPLOADER
            )

        async def create() -> None:
            content = uploaded.get("url") or (novel.value or "").strip()
            title = (name.value or "").strip()[:200] or t("studio.default_name")
            if not content:
                ui.notify(t("studio.need_novel"), type="warning")
                return
            try:
                project, _handle = await platform.studio.create(principal, name=title, content=content[:200_000])
            except FlowAIError as exc:
                ui.notify(exc.message, type="negative")
                return
            ui.navigate.to(f"/studio/{project['id']}")

        ui.button(t("studio.create"), icon="movie", on_click=create).props('data-testid="studio-create"')


def _projects(rows: list[dict[str, Any]], total: int) -> None:
    ui.label(t("studio.projects", n=total)).classes("text-lg font-bold")
    if not rows:
        ui.label(t("studio.no_projects")).classes("text-gray-600").props('data-testid="studio-empty"')
        return
    with ui.column().classes("w-full gap-1").props('data-testid="studio-projects"'):
        for row in rows:
            with (
                ui.row()
                .classes("w-full items-center gap-3 border-b border-slate-200 py-1")
                .props(f'data-testid="{safe_id("project", row["id"])}"')
            ):
                ui.link(row["name"], f"/studio/{row['id']}").classes("font-medium")
                ui.badge(status_text(row["status"]), color=STATUS_COLOR.get(row["status"], "grey"))
                stage = row.get("current_stage")
                if stage:
                    ui.label(t(f"studio.stage_{stage}")).classes("text-sm text-gray-600")
                ui.linear_progress(value=row["progress"], show_value=False).classes("w-32")
                ui.space()
                ui.label(str(row["created_at"])[:19].replace("T", " ")).classes("text-xs text-gray-500")
