"""Sign-in, and on a fresh instance the first admin account."""

from __future__ import annotations

import asyncio

from nicegui import app, ui

from flowai.errors import FlowAIError
from flowai.platform import Platform

from .i18n import language, set_language, t
from .layout import frame


def register(platform: Platform) -> None:
    @ui.page("/login")
    def login_page():
        setup = platform.users.needs_setup()
        title = t("login.setup" if setup else "login.sign_in")
        with frame(platform, title):
            with ui.card().classes("w-96 self-center"):
                ui.label(title).classes("text-xl")
                if setup:
                    ui.label(t("login.setup_hint")).classes("text-sm text-gray-500")
                username = (
                    ui.input(t("login.username"), value="admin" if setup else "")
                    .props('data-testid="username-input"')
                    .classes("w-full")
                )
                password = (
                    ui.input(t("login.password"), password=True, password_toggle_button=True)
                    .props('data-testid="password-input"')
                    .classes("w-full")
                )
                confirm = ui.input(t("login.repeat"), password=True).classes("w-full") if setup else None
                error = ui.label().classes("text-red-600 text-sm").props('data-testid="login-error"')

                async def submit():  # the password KDF runs in a thread: the loop also serves the run API
                    try:
                        if setup:
                            if confirm.value != password.value:
                                error.text = t("login.differ")
                                return
                            user = await asyncio.to_thread(
                                platform.users.setup_admin, username=username.value, password=password.value
                            )
                        else:
                            user = await asyncio.to_thread(
                                platform.users.sign_in, username=username.value, password=password.value
                            )
                            if user is None:
                                error.text = t("login.wrong")
                                return
                    except FlowAIError as exc:
                        error.text = exc.message
                        return
                    app.storage.user["user_id"] = user.id
                    if setup:  # the new account keeps the language chosen on this page
                        platform.users.set_language(user.id, language())
                    else:
                        set_language(user.language or "en")
                    ui.navigate.to("/")

                password.on("keydown.enter", submit)
                ui.button(t("login.create" if setup else "login.sign_in"), on_click=submit).props(
                    'data-testid="submit"'
                ).classes("w-full")
