"""Sign-in, and on a fresh instance the first admin account."""

from __future__ import annotations

import asyncio

from nicegui import app, ui

from flowai.errors import FlowAIError
from flowai.platform import Platform

from .i18n import language, set_language, t
from .layout import frame

TEXT = {
    "setup": ("Create the admin account", "创建管理员账户"),
    "sign_in": ("Sign in", "登录"),
    "setup_hint": (
        "This is a new FlowAI instance: the account you create here is its admin.",
        "这是一个新的 FlowAI 实例：在此创建的账户将成为管理员。",
    ),
    "username": ("Username", "用户名"),
    "password": ("Password", "密码"),
    "repeat": ("Repeat password", "重复密码"),
    "differ": ("The passwords differ.", "两次输入的密码不一致。"),
    "wrong": ("Wrong username or password.", "用户名或密码错误。"),
    "create": ("Create account", "创建账户"),
}


def register(platform: Platform) -> None:
    @ui.page("/login")
    def login_page():
        setup = platform.users.needs_setup()
        title = t(TEXT, "setup" if setup else "sign_in")
        with frame(platform, title):
            with ui.card().classes("w-96 self-center"):
                ui.label(title).classes("text-xl")
                if setup:
                    ui.label(t(TEXT, "setup_hint")).classes("text-sm text-gray-500")
                username = (
                    ui.input(t(TEXT, "username"), value="admin" if setup else "")
                    .props('data-testid="username-input"')
                    .classes("w-full")
                )
                password = (
                    ui.input(t(TEXT, "password"), password=True, password_toggle_button=True)
                    .props('data-testid="password-input"')
                    .classes("w-full")
                )
                confirm = ui.input(t(TEXT, "repeat"), password=True).classes("w-full") if setup else None
                error = ui.label().classes("text-red-600 text-sm").props('data-testid="login-error"')

                async def submit():  # the password KDF runs in a thread: the loop also serves the run API
                    try:
                        if setup:
                            if confirm.value != password.value:
                                error.text = t(TEXT, "differ")
                                return
                            user = await asyncio.to_thread(
                                platform.users.setup_admin, username=username.value, password=password.value
                            )
                        else:
                            user = await asyncio.to_thread(
                                platform.users.sign_in, username=username.value, password=password.value
                            )
                            if user is None:
                                error.text = t(TEXT, "wrong")
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
                ui.button(t(TEXT, "create" if setup else "sign_in"), on_click=submit).props(
                    'data-testid="submit"'
                ).classes("w-full")
