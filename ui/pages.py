"""Pages: sign-in (and first-run admin setup) and the list of workflows."""

from __future__ import annotations

import json
from contextlib import contextmanager

from nicegui import app, ui
from starlette.requests import Request

from flowai.errors import FlowAIError
from flowai.platform import Platform


def _user_id() -> int | None:
    return app.storage.user.get("user_id")


@contextmanager
def frame(platform: Platform, title: str):
    """The shared page layout: a header with the product name and the signed-in user."""
    user = platform.users.get(_user_id()) if _user_id() else None
    with ui.header().classes("items-center bg-slate-800"):
        ui.label("FlowAI").classes("text-lg font-bold")
        ui.label(title).classes("text-slate-300")
        ui.space()
        if user is not None:
            ui.label(user.username).classes("text-slate-300").props('data-testid="username"')
            ui.button("Sign out", on_click=lambda: (app.storage.user.clear(), ui.navigate.to("/login"))) \
                .props("flat color=white")
    with ui.column().classes("w-full max-w-5xl mx-auto p-4 gap-4"):
        yield


def register(platform: Platform) -> None:
    @ui.page("/login")
    def login_page():
        setup = platform.users.needs_setup()
        with frame(platform, "Create the admin account" if setup else "Sign in"):
            with ui.card().classes("w-96 self-center"):
                ui.label("Create the admin account" if setup else "Sign in").classes("text-xl")
                if setup:
                    ui.label("This is a new FlowAI instance: the account you create here is its admin.") \
                        .classes("text-sm text-gray-500")
                username = ui.input("Username", value="admin" if setup else "").props('data-testid="username-input"') \
                    .classes("w-full")
                password = ui.input("Password", password=True, password_toggle_button=True) \
                    .props('data-testid="password-input"').classes("w-full")
                confirm = ui.input("Repeat password", password=True).classes("w-full") if setup else None
                error = ui.label().classes("text-red-600 text-sm")

                def submit():
                    try:
                        if setup:
                            if confirm.value != password.value:
                                error.text = "The passwords differ."
                                return
                            user = platform.users.setup_admin(username=username.value, password=password.value)
                        else:
                            user = platform.users.sign_in(username=username.value, password=password.value)
                            if user is None:
                                error.text = "Wrong username or password."
                                return
                    except FlowAIError as exc:
                        error.text = exc.message
                        return
                    app.storage.user["user_id"] = user.id
                    ui.navigate.to("/")

                password.on("keydown.enter", submit)
                ui.button("Create account" if setup else "Sign in", on_click=submit) \
                    .props('data-testid="submit"').classes("w-full")

    @ui.page("/")
    def workflows_page(request: Request):
        user_id = _user_id()
        if user_id is None or platform.users.get(user_id) is None:
            ui.navigate.to("/login")
            return
        workflows, total = platform.workflows.list(owner_id=user_id, limit=500)
        with frame(platform, "Workflows"):
            ui.label(f"Workflows ({total})").classes("text-2xl")
            if not workflows:
                ui.label("No workflows yet. Import one with `flowai workflow import FILE --publish`, "
                         "or start with `flowai serve --demo`.").classes("text-gray-500")
                return
            rows = [{"id": wf.id, "name": wf.name, "versions": wf.latest_version,
                     "published": wf.published_version or "—",
                     "updated": wf.updated_at.strftime("%Y-%m-%d %H:%M")} for wf in workflows]
            columns = [
                {"name": "name", "label": "Name", "field": "name", "align": "left", "sortable": True},
                {"name": "id", "label": "Workflow ID", "field": "id", "align": "left"},
                {"name": "versions", "label": "Versions", "field": "versions"},
                {"name": "published", "label": "Published version", "field": "published"},
                {"name": "updated", "label": "Updated", "field": "updated", "sortable": True},
            ]
            table = ui.table(columns=columns, rows=rows, row_key="id").classes("w-full") \
                .props('data-testid="workflows"')
            table.add_slot("body-cell-id", r'''
                <q-td :props="props">
                  <code>{{ props.value }}</code>
                  <q-btn flat dense size="sm" icon="content_copy"
                         @click="navigator.clipboard && navigator.clipboard.writeText(props.value)" />
                </q-td>''')
            base = str(request.base_url).rstrip("/")
            published = [wf for wf in workflows if wf.published_version]
            if published:
                with ui.expansion("Call a published workflow", icon="terminal").classes("w-full"):
                    wf = published[0]
                    fields = platform.workflows.compiled(wf.id, wf.published_version).input_node.config.fields
                    body = json.dumps({"input": {f.name: "" for f in fields}}, ensure_ascii=False)
                    ui.label(f"{wf.name} (published version {wf.published_version}):").classes("text-sm")
                    ui.code(f"curl -X POST {base}/v1/api/workflow/run/{wf.id} \\\n"
                            f"  -H 'X-API-KEY: <your key>' -d '{body}'", language="bash")
