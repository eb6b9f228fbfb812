"""Sign-in, and on a fresh instance the first admin account."""

from __future__ import annotations

import asyncio

from nicegui import app, ui
from starlette.requests import Request

from flowai.errors import AuthError, FlowAIError, RateLimitedError
from flowai.platform import Platform

from .i18n import language, set_language, t
from .layout import frame


def register(platform: Platform) -> None:
    @ui.page("/login")
    def login_page(request: Request):
        setup = platform.users.needs_setup()
        address = request.client.host if request.client else "unknown"
        title = t("login.setup" if setup else "login.sign_in")
        with frame(platform, title):
            with ui.card().classes("w-96 self-center"):
                ui.label(title).classes("text-xl")
                if setup:
                    ui.label(t("login.setup_hint")).classes("text-sm text-gray-500")
                token = (
                    ui.input(t("login.token"), password=True).props('data-testid="setup-token-input"').classes("w-full")
                    if setup
                    else None
                )
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
                    throttle = platform.throttle
                    who = username.value or ""
                    error.text = ""  # a fresh answer for each attempt
                    try:
                        await throttle.check("address", address)
                        if not setup:
                            await throttle.check("account", who)
                        if setup:
                            if confirm.value != password.value:
                                error.text = t("login.differ")
                                return
                            try:
                                user = await asyncio.to_thread(
                                    platform.users.setup_admin, username=who, password=password.value, token=token.value
                                )
                            except AuthError:
                                await throttle.failed("address", address, what="set-up tokens")
                                raise
                        else:
                            user = await asyncio.to_thread(
                                platform.users.sign_in, username=who, password=password.value
                            )
                            if user is None:
                                await throttle.failed("address", address, what="UI sign-ins")
                                await throttle.failed("account", who, what="passwords")
                                error.text = t("login.wrong")
                                return
                    except RateLimitedError as exc:
                        error.text = t("login.throttled", seconds=exc.retry_after)
                        return
                    except FlowAIError as exc:
                        error.text = exc.message
                        return
                    app.storage.user["user_id"] = user.id
                    app.storage.user["token_version"] = user.token_version
                    if setup:  # the new account keeps the language chosen on this page
                        platform.users.set_language(user.id, language())
                    else:
                        set_language(user.language or "en")
                    ui.navigate.to("/")

                password.on("keydown.enter", submit)
                ui.button(t("login.create" if setup else "login.sign_in"), on_click=submit).props(
                    'data-testid="submit"'
                ).classes("w-full")
