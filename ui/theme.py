"""Light and dark: the UI follows the system's colour scheme unless the account chose light or
dark (remembered on the account, so every browser it signs in to gets it). The header's switch
offers the three; ``frame`` applies the account's choice to each page."""

from __future__ import annotations

from nicegui import ui

from flowai.access.users import THEMES
from flowai.platform import Platform

from .i18n import t
from .ids import safe_id

ICONS = {"system": "brightness_auto", "light": "light_mode", "dark": "dark_mode"}

# Tailwind's light greys and tints, readable on Quasar's dark background
DARK_CSS = """
body.body--dark { background: #121212; }
body.body--dark .text-gray-400, body.body--dark .text-gray-500, body.body--dark .text-gray-600 { color: #9ca3af; }
body.body--dark .bg-slate-100 { background: #1e293b; }
body.body--dark .bg-red-50 { background: #3f1d1d; }
body.body--dark .border-red-300 { border-color: #7f1d1d; }
body.body--dark .text-red-900 { color: #fecaca; }
body.body--dark .text-red-700, body.body--dark .text-red-600 { color: #f87171; }
body.body--dark .text-orange-700 { color: #fdba74; }
body.body--dark .text-green-700 { color: #86efac; }
body.body--dark .border-slate-300 { border-color: #475569; }
body.body--dark .nicegui-code { background: #1e1e1e; }
"""


def chosen(user) -> str:
    theme = getattr(user, "theme", None) if user is not None else None
    return theme if theme in THEMES else "system"


def apply(theme: str) -> ui.dark_mode:
    """Dark on, off, or None: as the system says (Quasar's ``auto``)."""
    ui.add_css(DARK_CSS)
    return ui.dark_mode({"dark": True, "light": False}.get(theme))


def switch(platform: Platform, user, dark: ui.dark_mode) -> None:
    """The header's button: a menu of system / light / dark, the current one ticked."""
    current = chosen(user)

    def choose(theme: str) -> None:
        platform.users.set_theme(user.id, theme)
        dark.value = {"dark": True, "light": False}.get(theme)
        button.props["icon"] = ICONS[theme]
        button.update()
        for name, item in items.items():
            item.props["active"] = name == theme
            item.update()

    button = ui.button(icon=ICONS[current]).props(
        f'flat round dense color=white data-testid="theme" aria-label="{t("theme.title")}"'
    )
    items = {}
    with button:  # the tip goes to the left: the menu opens below, and the tip must never cover it
        ui.tooltip(t("theme.title")).props('anchor="center left" self="center right" data-testid="theme-tip"')
    with button, ui.menu().props('data-testid="theme-menu"'):
        for name in THEMES:
            item = ui.menu_item(t(f"theme.{name}"), on_click=lambda _, name=name: choose(name))
            item.props(f'data-testid="{safe_id("theme", name)}"')
            item.props["active"] = name == current
            items[name] = item
