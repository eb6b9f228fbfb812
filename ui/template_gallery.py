"""The template gallery dialog: a card per template of ``flowai.gallery`` — its name in
English and 中文, what it makes, the models it runs, an estimated cost per run and whether the keys it
needs are set (from the provider credentials). "Use" creates the workflow and opens the editor."""

from __future__ import annotations

from nicegui import ui

from flowai.errors import FlowAIError
from flowai.gallery import TEMPLATES, Template, key_status
from flowai.platform import Platform

from .i18n import language, t
from .layout import safe_id


def _short(model: str) -> str:
    return model.rsplit("/", 1)[-1]


def cost_text(template: Template) -> str:
    estimate = template.estimate()
    text = t("template_gallery.cost", usd=f"{estimate['usd']:.3f}".rstrip("0").rstrip("."))
    if estimate["unpriced"]:
        text += " " + t("template_gallery.unpriced", n=len(estimate["unpriced"]))
    if estimate["items"] > 1:
        text += " " + t("template_gallery.per_items", n=estimate["items"])
    return text


class TemplateGallery:
    """Opened in ``host`` (an element outside any refreshing area) for the account ``owner_id``."""

    def __init__(self, platform: Platform, owner_id: int):
        self.platform = platform
        self.owner_id = owner_id

    def open(self, host: ui.element) -> None:
        host.clear()
        configured = {p: self.platform.credentials.get(p).configured for t_ in TEMPLATES for p in t_.providers}
        zh = language() == "zh"
        with host, ui.dialog().props("maximized") as dialog, ui.card().classes("w-full"):
            with ui.row().classes("w-full items-center"):
                ui.label(t("template_gallery.title")).classes("text-xl")
                ui.space()
                ui.button(icon="close", on_click=dialog.close).props('flat round data-testid="gallery-close"')
            with (
                ui.element("div")
                .classes("grid gap-4 w-full")
                .style("grid-template-columns: repeat(auto-fill, minmax(320px, 1fr))")
                .props('data-testid="gallery"')
            ):
                for template in TEMPLATES:
                    self._card(template, key_status(template, configured), zh, dialog)
        dialog.open()

    def _card(self, template: Template, keys: list[dict], zh: bool, dialog: ui.dialog) -> None:
        tid = template.id  # every props string below passes it through safe_id
        with ui.card().classes("w-full").props(f'data-testid="template-{safe_id(tid)}"'):
            ui.label(template.name).classes("text-lg font-bold")
            ui.label(template.title[0]).classes("text-sm").props(f'data-testid="title-en-{safe_id(tid)}"')
            ui.label(template.title[1]).classes("text-sm").props(f'data-testid="title-zh-{safe_id(tid)}"')
            ui.label(template.produces[1 if zh else 0]).classes("font-medium")
            ui.label(template.description[1 if zh else 0]).classes("text-xs text-gray-600")
            ui.label(f"{t('template_gallery.models')}: {', '.join(_short(m) for m in template.models)}").classes(
                "text-sm"
            )
            ui.label(cost_text(template)).classes("text-sm").props(f'data-testid="cost-{safe_id(tid)}"')
            for key in keys:
                state = "set" if key["configured"] else "missing"
                ui.label(t(f"template_gallery.key_{state}", env=key["env"][0], provider=key["provider"])).classes(
                    "text-sm " + ("text-green-700" if key["configured"] else "text-orange-700")
                ).props(f'data-testid="key-{safe_id(tid, key["provider"])}" data-state="{safe_id(state)}"')
            with ui.row().classes("w-full justify-end"):
                ui.button(t("template_gallery.use"), on_click=lambda tm=template: self.use(tm, dialog)).props(
                    f'data-testid="use-{safe_id(tid)}"'
                )

    def use(self, template: Template, dialog: ui.dialog) -> None:
        try:
            wf, _ = self.platform.workflows.create(
                owner_id=self.owner_id,
                document=template.document(),
                message=t("template_gallery.created_from", name=template.name),
            )
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative", multi_line=True)
            return
        dialog.close()
        ui.navigate.to(f"/workflows/{wf.id}")
