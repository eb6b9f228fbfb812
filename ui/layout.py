"""The shared page frame: header with navigation, language switch and the signed-in user."""

from __future__ import annotations

from contextlib import contextmanager

from nicegui import app, ui

from flowai.platform import Platform

from .i18n import LANGUAGES, language, set_language, t

TEXT = {
    "workflows": ("Workflows", "工作流"),
    "runs": ("Runs", "运行记录"),
    "api": ("API", "API管理"),
    "providers": ("Providers", "模型供应商"),
    "sign_out": ("Sign out", "退出登录"),
}

NAV = [("workflows", "/"), ("runs", "/runs"), ("api", "/api-keys"), ("providers", "/providers")]


def user_id() -> int | None:
    return app.storage.user.get("user_id")


def signed_in_user(platform: Platform):
    """The signed-in account, or None after sending the browser to the sign-in page."""
    uid = user_id()
    user = platform.users.get(uid) if uid is not None else None
    if user is None:
        ui.navigate.to("/login")
        return None
    if "lang" not in app.storage.user:
        set_language(user.language or "en")
    return user


def _switch_language(platform: Platform, lang: str) -> None:
    set_language(lang)
    uid = user_id()
    if uid is not None:
        platform.users.set_language(uid, lang)
    ui.navigate.reload()


@contextmanager
def frame(platform: Platform, title: str, *, wide: bool = False):
    """Header (product, navigation, language, user) and a content column.

    ``wide`` gives the full window width (the editor); other pages use a centred column.
    """
    uid = user_id()
    user = platform.users.get(uid) if uid is not None else None
    with ui.header().classes("items-center bg-slate-800 gap-4 py-2"):
        ui.label("FlowAI").classes("text-lg font-bold")
        if user is not None:
            for key, path in NAV:
                ui.link(t(TEXT, key), path).classes("text-white no-underline hover:underline") \
                    .props(f'data-testid="nav-{key}"')
        ui.label(title).classes("text-slate-300")
        ui.space()
        ui.select(LANGUAGES, value=language(),
                  on_change=lambda e: _switch_language(platform, e.value)) \
            .props('dense dark borderless data-testid="language"').classes("w-28")
        if user is not None:
            ui.label(user.username).classes("text-slate-300").props('data-testid="username"')
            ui.button(t(TEXT, "sign_out"), on_click=lambda: (app.storage.user.clear(), ui.navigate.to("/login"))) \
                .props("flat color=white")
    classes = "w-full p-2 gap-2" if wide else "w-full max-w-6xl mx-auto p-4 gap-4"
    with ui.column().classes(classes):
        yield
