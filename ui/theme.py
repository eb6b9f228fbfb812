"""Light and dark: the UI follows the system's colour scheme unless the account chose light or
dark (remembered on the account, so every browser it signs in to gets it). The header's switch
offers the three; ``frame`` applies the account's choice to each page."""

from __future__ import annotations

from pathlib import Path

from nicegui import ui

from flowai.access.users import THEMES
from flowai.platform import Platform

from .i18n import t
from .ids import safe_id

ICONS = {"system": "brightness_auto", "light": "light_mode", "dark": "dark_mode"}

# The canvas's colours in dark (its light set and every name: ``:host`` in canvas/flow_canvas.css).
# Custom properties inherit into the canvas's shadow root, and this rule on its host element wins
# over the shadow root's own ``:host`` rule. Node categories keep their hue, dark-tinted.
CANVAS_DARK_CSS = """
body.body--dark .fa-host {
  --fa-canvas-bg: #0f172a; --fa-dots: #334155; --fa-card: #1e293b; --fa-border: #475569; --fa-line: #334155;
  --fa-text: #e2e8f0; --fa-soft: #cbd5e1; --fa-muted: #94a3b8; --fa-faint: #7c8aa0; --fa-status: #cbd5e1;
  --fa-head: #273449; --fa-head-inputs: #14432a; --fa-head-ai: #2e3170; --fa-head-media: #5a1f62;
  --fa-head-logic: #4d3d0c; --fa-head-outputs: #651c34;
  --fa-stream: #bfdbfe; --fa-stream-bg: #172554; --fa-error: #fca5a5; --fa-error-bg: #3f1d1d;
  --fa-warning: #fbbf24; --fa-changes: #fcd34d; --fa-ring: #0f172a; --fa-edge-selected: #f8fafc;
  --fa-loop-bg: rgba(113, 63, 18, .22); --fa-loop-head: #4d3d0c; --fa-loop-ports: rgba(113, 63, 18, .45);
  --fa-loop-inner: #5c4a10; --fa-loop-hint: #fcd34d; --fa-loop-note: rgba(15, 23, 42, .8);
  --fa-drop-bg: rgba(22, 101, 52, .35); --fa-stage-bg: rgba(51, 65, 85, .3); --fa-stage-text: #e2e8f0;
  --fa-stage-running: rgba(30, 64, 175, .3); --fa-stage-completed: rgba(22, 101, 52, .3);
  --fa-stage-failed: rgba(127, 29, 29, .35);
  --fa-note-bg: #3d3512; --fa-note-border: #a16207; --fa-note-text: #fef3c7; --fa-note-head: #facc15;
  --fa-note-hover: #fca5a5;
  --fa-popup: #1e293b; --fa-hover: #334155; --fa-pick-hover: #1e3a5f; --fa-tag-bg: #1e293b; --fa-fit-bg: #14532d;
  --fa-control: #1e293b; --fa-control-line: #334155; --fa-control-hover: #334155; --fa-control-icon: #e2e8f0;
  --fa-control-on: #1e3a8a; --fa-map: #1e293b; --fa-map-mask: rgba(15, 23, 42, .6); --fa-field-text: #e2e8f0;
}
"""

# Tailwind's light greys and tints, readable on Quasar's dark background
DARK_CSS = (
    """
body.body--dark { background: #121212; }
body.body--dark :is(.border, .border-2, .border-t, .border-b) { border-color: #475569; }
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
body.body--dark .text-gray-700 { color: #d1d5db; }
body.body--dark .text-blue-900 { color: #bfdbfe; }
body.body--dark .text-green-900 { color: #bbf7d0; }
body.body--dark .text-amber-700 { color: #fcd34d; }
body.body--dark .text-amber-900 { color: #fde68a; }
body.body--dark .bg-green-50 { background: #132a1c; }
body.body--dark .bg-green-100 { background: #14532d; }
body.body--dark .bg-red-100 { background: #5b1f1f; }
body.body--dark .bg-amber-50 { background: #3a2a0c; }
body.body--dark .bg-slate-200 { background: #334155; }
body.body--dark .border-slate-200 { border-color: #334155; }
body.body--dark .border-amber-400 { border-color: #92400e; }
body.body--dark .text-negative { --q-negative: #f87171; }
"""
    + CANVAS_DARK_CSS
)


# No transitions or animations where the system asks for reduced motion (the file says how)
REDUCED_MOTION_CSS = (Path(__file__).parent / "static" / "reduced_motion.css").read_text(encoding="utf-8")


def chosen(user) -> str:
    theme = getattr(user, "theme", None) if user is not None else None
    return theme if theme in THEMES else "system"


def apply(theme: str) -> ui.dark_mode:
    """Dark on, off, or None: as the system says (Quasar's ``auto``); motion as the system says."""
    ui.add_css(DARK_CSS + REDUCED_MOTION_CSS)
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
