"""The shared page frame: header with navigation, the environment (FLOWAI_ENV), language switch
and the signed-in user; for admins, a banner of the active provider alerts."""

from __future__ import annotations

from contextlib import contextmanager

from nicegui import app, ui

from flowai.platform import Platform

from . import theme
from .i18n import LANGUAGES, language, serve_page_in_language, set_language, t
from .ids import safe_id

ENV_COLORS = {"production": "negative", "test": "purple", "development": "teal"}

NAV = [
    ("workflows", "/", False),
    ("studio", "/studio", False),
    ("runs", "/runs", False),
    ("api", "/api-keys", False),
    ("providers", "/providers", True),
]  # (text key, path, admins only)


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
    serve_page_in_language()
    dark = theme.apply(theme.chosen(user))
    here = _current_path()
    active = next((path for _, path, _ in NAV if here == path or (path != "/" and here.startswith(path + "/"))), None)
    with ui.header().classes("items-center bg-slate-800 gap-x-4 gap-y-1 py-2 flex-wrap"):
        ui.label("FlowAI").classes("text-lg font-bold")
        environment = platform.settings.environment
        ui.badge(t(f"layout.env_{environment}"), color=ENV_COLORS.get(environment, "grey")).props(
            f'data-testid="environment" data-env="{safe_id(environment)}"'
        )
        if user is not None:
            for key, path, admin_only in NAV:
                if admin_only and not user.is_admin:
                    continue
                style = (
                    "text-white underline underline-offset-8 font-bold"
                    if path == active
                    else "text-slate-200 no-underline hover:underline"
                )
                ui.link(t(f"layout.{key}"), path).classes(style).props(f'data-testid="{safe_id("nav", key)}"')
        # the page title, unless the highlighted navigation entry already says where we are
        ui.label(title).classes(
            "text-slate-300 max-sm:hidden border-l border-slate-500 pl-4" + (" sr-only" if active == here else "")
        ).props('data-testid="page-title"')
        ui.space()
        ui.select(LANGUAGES, value=language(), on_change=lambda e: _switch_language(platform, e.value)).props(
            'dense dark borderless data-testid="language"'
        ).classes("w-28")
        if user is not None:
            theme.switch(platform, user, dark)
            ui.label(user.username).classes("text-slate-300 max-sm:hidden").props('data-testid="username"')
            ui.button(t("layout.sign_out"), on_click=_sign_out).props("flat color=white").classes("max-sm:hidden")
            ui.button(icon="logout", on_click=_sign_out).props(  # a phone: the icon alone
                f'flat round dense color=white aria-label="{t("layout.sign_out")}"'
            ).classes("sm:hidden")
    if user is not None and user.is_admin:
        _alerts_banner(platform)
    classes = "w-full p-2 gap-2" if wide else "w-full max-w-6xl mx-auto p-4 max-sm:p-2 gap-4"
    with ui.column().classes(classes):
        yield


def _alerts_banner(platform: Platform) -> None:
    """Admins see what is wrong with the providers now (failure rate, quotas), on every page."""
    alerts = platform.provider_admin.active_alerts()
    if not alerts:
        return
    with (
        ui.row()
        .classes("w-full items-start gap-3 bg-red-50 border-b border-red-300 px-4 py-2 text-red-900")
        .props('data-testid="alerts-banner"')
    ):
        ui.icon("warning", color="negative").classes("text-xl")
        with ui.column().classes("gap-0"):
            ui.link(t("layout.alerts"), "/providers").classes("font-bold text-red-900")
            for alert in alerts:
                ui.label(alert["message"]).classes("text-sm").props(
                    f'data-testid="{safe_id("alert", alert["kind"], alert["provider"])}"'
                )


def copy_button(text: str, *, testid: str | None = None) -> ui.button:
    """A small button that puts ``text`` on the clipboard (sent as data, never as markup)."""

    def copy():
        ui.clipboard.write(text)
        ui.notify(t("layout.copied"), timeout=1000)

    button = ui.button(icon="content_copy", on_click=copy).props("flat dense size=sm").tooltip(t("layout.copy"))
    if testid:
        button.props(f'data-testid="{safe_id(testid)}"')
    return button
