"""The shared page frame: header with navigation, language switch and the signed-in user."""

from __future__ import annotations

import re
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
    "copy": ("Copy", "复制"),
    "copied": ("Copied", "已复制"),
    "admins_only": ("Only admins can open this page.", "只有管理员可以打开此页面。"),
}

NAV = [
    ("workflows", "/", False),
    ("runs", "/runs", False),
    ("api", "/api-keys", False),
    ("providers", "/providers", True),
]  # (text key, path, admins only)


_UNSAFE_ID = re.compile(r"[^\w-]")


def safe_id(*parts: object) -> str:
    """A ``data-testid`` value from parts that may be user text (field names, node ids, schema
    keys): anything but letters, digits, ``_`` and ``-`` becomes ``_``, so it can never break out
    of a props string (NiceGUI splits props on any whitespace and quotes)."""
    return _UNSAFE_ID.sub("_", "-".join(str(p) for p in parts))


def user_id() -> int | None:
    return app.storage.user.get("user_id")


def signed_in_user(platform: Platform):
    """The signed-in account, or None after sending the browser to the sign-in page."""
    uid = user_id()
    user = platform.users.get(uid) if uid is not None else None
    if user is not None and user.token_version != app.storage.user.get("token_version", 0):
        app.storage.user.clear()  # signed out everywhere, or the password changed, since this sign-in
        user = None
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


def _current_path() -> str:
    try:
        return ui.context.client.request.url.path
    except (AttributeError, RuntimeError):
        return ""


def _sign_out() -> None:
    app.storage.user.clear()
    ui.navigate.to("/login")


@contextmanager
def frame(platform: Platform, title: str, *, wide: bool = False):
    """Header (product, navigation, language, user) and a content column.

    ``wide`` gives the full window width (the editor); other pages use a centred column.
    """
    uid = user_id()
    user = platform.users.get(uid) if uid is not None else None
    here = _current_path()
    active = next((path for _, path, _ in NAV if here == path or (path != "/" and here.startswith(path + "/"))), None)
    with ui.header().classes("items-center bg-slate-800 gap-4 py-2"):
        ui.label("FlowAI").classes("text-lg font-bold")
        if user is not None:
            for key, path, admin_only in NAV:
                if admin_only and not user.is_admin:
                    continue
                style = (
                    "text-white underline underline-offset-8 font-bold"
                    if path == active
                    else "text-slate-200 no-underline hover:underline"
                )
                ui.link(t(TEXT, key), path).classes(style).props(f'data-testid="{safe_id("nav", key)}"')
        # the page title, unless the highlighted navigation entry already says where we are
        ui.label(title).classes("text-slate-300" + (" sr-only" if active == here else "")).props(
            'data-testid="page-title"'
        )
        ui.space()
        ui.select(LANGUAGES, value=language(), on_change=lambda e: _switch_language(platform, e.value)).props(
            'dense dark borderless data-testid="language"'
        ).classes("w-28")
        if user is not None:
            ui.label(user.username).classes("text-slate-300").props('data-testid="username"')
            ui.button(t(TEXT, "sign_out"), on_click=_sign_out).props("flat color=white")
    classes = "w-full p-2 gap-2" if wide else "w-full max-w-6xl mx-auto p-4 gap-4"
    with ui.column().classes(classes):
        yield


def copy_button(text: str, *, testid: str | None = None) -> ui.button:
    """A small button that puts ``text`` on the clipboard (sent as data, never as markup)."""

    def copy():
        ui.clipboard.write(text)
        ui.notify(t(TEXT, "copied"), timeout=1000)

    button = ui.button(icon="content_copy", on_click=copy).props("flat dense size=sm").tooltip(t(TEXT, "copy"))
    if testid:
        button.props(f'data-testid="{safe_id(testid)}"')
    return button
