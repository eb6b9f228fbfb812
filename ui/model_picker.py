"""The model picker of a node's form: the model field, with a menu of the models each provider
serving the node's task offers — from the provider's own model list where it has one (cached, see
``flowai.providers.model_lists``), else the catalog's defaults. Providers without credentials are
greyed, with a link to the Providers page. Any name can still be typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from nicegui import ui

from .i18n import t
from .layout import safe_id

PROVIDERS_PAGE = "/providers"
MAX_SHOWN = 200  # models listed per provider (a large catalog scrolls; typing any name still works)


class ModelSource(Protocol):
    """What the picker asks (``ProviderAdmin``)."""

    async def model_choices(self, task: str) -> list[dict[str, Any]]: ...


def model_picker(
    title: str,
    value: str,
    changed: Callable[[Any], None],
    source: ModelSource,
    *,
    task: str,
    provider: Callable[[str], None] | None = None,
):
    """An input for the model name with a button opening the providers' models; picking one sets
    the field (as typing it would) and tells ``provider`` whose list it came from."""
    w = ui.input(title, value=value, on_change=changed).props("dense")
    w.props(f'placeholder="{t("editor_form.empty_default")}"')
    with w.add_slot("after"):  # ("append" is the variable picker's)
        button = ui.button(icon="view_list").props('flat dense round size=sm data-testid="model-picker"')
        button.props(f'title="{t("model_picker.choose")}"')  # (a tooltip would cover the menu it opens)
        with button:
            menu = ui.menu().props('max-height=60vh data-testid="model-menu"').classes("min-w-[16rem]")

    labels: list[tuple[str, ui.label]] = []  # the usable items' models and labels (bold: the field's model)
    shown: list[dict[str, Any]] | None = None  # the lists the menu shows (None: not filled yet)

    def mark(current: str) -> None:
        """Bold the field's model in the lists (the labels stay: see ``fill``)."""
        for model, label in labels:
            if model == current:
                label.classes(add="font-bold")
            else:
                label.classes(remove="font-bold")

    def pick(model: str, name: str) -> None:
        w.value = model
        if provider is not None:
            provider(name)
        mark(model)
        menu.close()

    async def fill() -> None:
        nonlocal shown
        if shown is None:
            with menu:
                ui.label(t("model_picker.loading")).classes("text-sm text-gray-500 px-3 py-2")
        try:
            choices = await source.model_choices(task)
        except Exception:  # never a trace in the form: the field stays typeable
            choices = []
        if choices == shown:
            # The same lists: the items stay. The menu opens on the client at once, showing them, so
            # an item clicked right away must still be one the server knows (replacing them on every
            # opening lost such clicks).
            mark(w.value)
            return
        shown = choices
        labels.clear()
        menu.clear()
        with menu:
            if not choices:
                ui.label(t("model_picker.none")).classes("text-sm text-gray-500 px-3 py-2")
            for p in sorted(choices, key=lambda c: not c.get("configured")):  # usable ones first
                labels.extend(_provider(p, pick, current=w.value))

    button.on("click", fill)
    return w


def _provider(p: dict[str, Any], pick: Callable[[str, str], None], *, current: str) -> list[tuple[str, ui.label]]:
    """One provider's heading and model items; returns the models and labels of the usable ones."""
    name, ready = p["name"], bool(p.get("configured"))
    with (
        ui.row()
        .classes("w-full items-center gap-2 px-3 pt-2 pb-1 no-wrap")
        .props(f'data-testid="{safe_id("model-provider", name)}" data-configured="{safe_id(str(ready).lower())}"')
    ):
        ui.label(p.get("title") or name).classes("text-xs font-bold uppercase " + ("" if ready else "text-gray-400"))
        if not ready:
            ui.label(t("model_picker.not_configured")).classes("text-xs text-gray-400")
            ui.link(t("model_picker.set_up"), PROVIDERS_PAGE).classes("text-xs").props(
                f'data-testid="{safe_id("model-setup", name)}"'
            )
        elif p.get("source") == "catalog":
            ui.label(t("model_picker.defaults")).classes("text-xs text-gray-500")
    made = []
    for model in p.get("models", [])[:MAX_SHOWN]:
        item = ui.menu_item(on_click=lambda m=model: pick(m, name), auto_close=False)
        item.props(f'dense data-testid="{safe_id("model-option", name, model)}"')
        if not ready:
            item.props("disable")
        with item:
            label = ui.label(model).classes(
                "text-sm font-mono " + ("text-gray-400" if not ready else "font-bold" if model == current else "")
            )
        if ready:
            made.append((model, label))
    return made
