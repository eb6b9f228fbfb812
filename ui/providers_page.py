"""Providers (/providers, admins only): credentials (masked once saved, never sent back in clear),
which environment variable a key came from, "test only" keys (refused in production), priorities
per task type, quotas with usage bars, the quotas' time zone, test connection; then alerts,
health per window and the weekly report (``providers_health``).

Everything goes through ``platform.provider_admin``.
"""

from __future__ import annotations

import json
import time
from zoneinfo import available_timezones

from nicegui import ui

from flowai.errors import FlowAIError
from flowai.platform import Platform

from .budget_banner import budget_banner
from .i18n import has, labelled, listing, t
from .layout import frame, safe_id, signed_in_user
from .providers_health import HealthSection

PERIODS = ("day", "month")
UNITS = ("calls", "tokens", "characters", "seconds", "images", "cost")


def _task(name: str) -> str:
    return t(f"providers.task_{name}") if has(f"providers.task_{name}") else name


def register(platform: Platform) -> None:
    @ui.page("/providers")
    def providers_page():
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t("providers.title")):
            if not user.is_admin:
                ui.label(t("layout.admins_only")).classes("text-gray-500").props('data-testid="admins-only"')
                return
            admin = getattr(platform, "provider_admin", None)
            if admin is None:
                ui.label(t("providers.unavailable")).classes("text-gray-500").props(
                    'data-testid="providers-unavailable"'
                )
                return
            budget_banner(platform)
            ProvidersPage(admin).build()


class ProvidersPage:
    def __init__(self, admin):
        self.admin = admin

    def build(self) -> None:
        self.host = ui.element("div")
        self.timezone_row()
        ui.label(t("providers.priorities")).classes("text-2xl mt-2")
        ui.label(t("providers.priorities_hint")).classes("text-sm text-gray-500")
        self.priorities_area()
        ui.label(t("providers.credentials")).classes("text-2xl mt-4")
        self.providers_area()
        HealthSection(self.admin).build()

    def _dialog(self) -> ui.dialog:
        self.host.clear()
        with self.host:
            return ui.dialog()

    def _try(self, action, done: str | None = "saved") -> bool:
        try:
            action()
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative", multi_line=True)
            return False
        except (ValueError, KeyError) as exc:
            ui.notify(str(exc), type="negative", multi_line=True)
            return False
        if done:
            ui.notify(t(f"providers.{done}"), type="positive")
        return True

    # time zone ---------------------------------------------------------------------------
    def timezone_row(self) -> None:
        zones = sorted(available_timezones() | {"UTC"})
        with ui.row().classes("w-full items-center gap-4"):
            zone = (
                ui.select(zones, value=self.admin.timezone(), label=t("providers.timezone"), with_input=True)
                .classes("w-72")
                .props('data-testid="timezone"')
            )
            ui.button(
                t("providers.save"), on_click=lambda: self._try(lambda: self.admin.set_timezone(zone.value))
            ).props('outline data-testid="timezone-save"')
            ui.label(t("providers.timezone_hint")).classes("text-sm text-gray-500")

    # providers ---------------------------------------------------------------------------
    @ui.refreshable_method
    def providers_area(self) -> None:
        with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-2"):
            for p in self.admin.providers():
                self.provider_card(p)

    def provider_card(self, p: dict) -> None:
        name = p["name"]
        with ui.card().classes("w-full").props(f'flat bordered data-testid="{safe_id("provider", name)}"'):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(p.get("title") or name).classes("text-lg font-bold")
                ui.label(listing(_task(x) for x in p.get("tasks") or ())).classes("text-sm text-gray-500")
                ui.space()
                if p.get("configured"):
                    source = t("providers.from_ui")
                    if p.get("source") == "env":
                        source = (
                            t("providers.from_env_var", var=p["env_var"])
                            if p.get("env_var")
                            else t("providers.from_env")
                        )
                    ui.badge(source, color="positive").props(f'data-testid="{safe_id("configured", name)}"')
                else:
                    ui.badge(t("providers.not_configured"), color="grey").props(
                        f'data-testid="{safe_id("configured", name)}"'
                    )
                if p.get("refused"):
                    ui.badge(t("providers.refused"), color="negative").props(
                        f'data-testid="{safe_id("refused", name)}"'
                    )
                until = p.get("cooling_down_until")
                if until and until > time.time():
                    ui.badge(
                        t("providers.cooling", when=time.strftime("%H:%M:%S", time.localtime(until))), color="orange"
                    )
            with ui.row().classes("w-full items-center gap-4 text-sm"):
                if p.get("masked_key"):
                    ui.label(labelled(t("providers.key"), "")).classes("text-gray-500")
                    ui.label(p["masked_key"]).classes("font-mono").props(f'data-testid="{safe_id("masked", name)}"')
                if p.get("base_url"):
                    ui.label(p["base_url"]).classes("font-mono text-gray-500 break-all")
            if p.get("env"):
                ui.label(t("providers.env", names=", ".join(p["env"]))).classes("text-xs text-gray-500")
            self.quota_row(p)
            with ui.row().classes("items-center gap-2"):
                ui.button(
                    t("providers.replace_key" if p.get("configured") else "providers.set_key"),
                    icon="key",
                    on_click=lambda p=p: self.credential_dialog(p),
                ).props(f'outline dense data-testid="{safe_id("set-key", name)}"')
                if p.get("source") == "ui":
                    ui.button(t("providers.clear_key"), icon="delete", on_click=lambda: self._clear(name)).props(
                        f'flat dense color=negative data-testid="{safe_id("clear-key", name)}"'
                    )
                ui.button(t("providers.set_quota"), icon="speed", on_click=lambda p=p: self.quota_dialog(p)).props(
                    f'outline dense data-testid="{safe_id("set-quota", name)}"'
                )
                result = ui.label().classes("text-sm").props(f'data-testid="{safe_id("test-result", name)}"')
                ui.button(
                    t("providers.test"), icon="network_check", on_click=lambda r=result: self._test(name, r)
                ).props(f'flat dense data-testid="{safe_id("test", name)}"')
                result.move(target_index=-1)
            ui.switch(
                t("providers.test_only"),
                value=bool(p.get("test_only")),
                on_change=lambda e: self._test_only(name, e.value),
            ).props(f'dense data-testid="{safe_id("test-only", name)}"').classes("text-sm")

    def quota_row(self, p: dict) -> None:
        quota = p.get("quota")
        name = p["name"]
        if not quota or quota.get("limit") is None:
            ui.label(labelled(t("providers.quota"), t("providers.no_quota"))).classes("text-sm text-gray-500").props(
                f'data-testid="{safe_id("quota", name)}"'
            )
            return
        unit = quota.get("unit") or "calls"
        used = (p.get("usage") or {}).get(unit) or 0
        limit = quota["limit"] or 0
        with ui.row().classes("w-full items-center gap-3 no-wrap"):
            ui.label(
                t(
                    "providers.quota_text",
                    used=_num(used),
                    limit=_num(limit),
                    unit=t(f"providers.{unit}") if has(f"providers.{unit}") else unit,
                    period=t(f"providers.{quota.get('period') or 'day'}"),
                )
            ).classes("text-sm whitespace-nowrap").props(f'data-testid="{safe_id("quota", name)}"')
            share = min(1.0, used / limit) if limit else 1.0
            ui.linear_progress(
                value=share,
                show_value=False,
                size="10px",
                color="negative" if share >= 1 else "orange" if share > 0.8 else "positive",
            ).classes("grow").props(f'data-testid="{safe_id("quota-bar", name)}"')
            if p.get("remaining") is not None:
                ui.label(t("providers.remaining", n=_num(p["remaining"]))).classes(
                    "text-sm text-gray-500 whitespace-nowrap"
                )

    def _test_only(self, name: str, value: bool) -> None:
        if self._try(lambda: self.admin.set_test_only(name, value)):
            self.providers_area.refresh()

    def _clear(self, name: str) -> None:
        if self._try(lambda: self.admin.clear_credential(name), "cleared"):
            self.providers_area.refresh()

    async def _test(self, name: str, result: ui.label) -> None:
        result.text = t("providers.testing")
        result.classes(replace="text-sm text-gray-500")
        try:
            ok, message = await self.admin.test_connection(name)
        except FlowAIError as exc:
            ok, message = False, exc.message
        result.text = t("providers.ok" if ok else "providers.fail", msg=message)
        result.classes(replace="text-sm " + ("text-green-700" if ok else "text-red-700"))

    def credential_dialog(self, p: dict) -> None:
        name = p["name"]
        with self._dialog() as dialog, ui.card().classes("w-[30rem]"):
            ui.label(p.get("title") or name).classes("text-lg")
            key = (
                ui.input(t("providers.key"), password=True, password_toggle_button=True)
                .classes("w-full")
                .props('autocomplete=off data-testid="credential-key"')
            )
            base = (
                ui.input(t("providers.base_url"), value=p.get("base_url") or "")
                .classes("w-full")
                .props('data-testid="credential-base-url"')
            )
            private = ui.checkbox(t("providers.allow_private")).props('data-testid="credential-allow-private"')
            options = ui.input(t("providers.options")).classes("w-full").props('data-testid="credential-options"')
            error = ui.label().classes("text-red-600 text-sm")

            def save():
                if not (key.value or "").strip():
                    error.text = t("providers.key_required")
                    return
                extra = None
                if (options.value or "").strip():
                    try:
                        extra = json.loads(options.value)
                    except json.JSONDecodeError:
                        extra = None
                    if not isinstance(extra, dict):
                        error.text = t("providers.options_bad")
                        return
                if self._try(
                    lambda: self.admin.set_credential(
                        name,
                        api_key=key.value.strip(),
                        base_url=(base.value or "").strip() or None,
                        options=extra,
                        allow_private_base_url=bool(private.value),
                    )
                ):
                    key.value = ""
                    dialog.close()
                    self.providers_area.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("providers.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("providers.save"), on_click=save).props('data-testid="credential-save"')
        dialog.open()

    def quota_dialog(self, p: dict) -> None:
        name = p["name"]
        quota = p.get("quota") or {}
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(labelled(t("providers.quota"), p.get("title") or name)).classes("text-lg")
            period = (
                ui.select(
                    {x: t(f"providers.{x}") for x in PERIODS},
                    value=quota.get("period") or "day",
                    label=t("providers.period"),
                )
                .classes("w-full")
                .props('data-testid="quota-period"')
            )
            limit = (
                ui.number(t("providers.limit"), value=quota.get("limit"), min=0)
                .classes("w-full")
                .props('data-testid="quota-limit"')
            )
            unit = (
                ui.select(
                    {x: t(f"providers.{x}") for x in UNITS},
                    value=quota.get("unit") or "calls",
                    label=t("providers.unit"),
                )
                .classes("w-full")
                .props('data-testid="quota-unit"')
            )

            def save():
                value = limit.value
                if self._try(
                    lambda: self.admin.set_quota(
                        name, period=period.value, unit=unit.value, limit=None if value is None else float(value)
                    )
                ):
                    dialog.close()
                    self.providers_area.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("providers.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("providers.save"), on_click=save).props('data-testid="quota-save"')
        dialog.open()

    # priorities --------------------------------------------------------------------------
    @ui.refreshable_method
    def priorities_area(self) -> None:
        titles = {p["name"]: p.get("title") or p["name"] for p in self.admin.providers()}
        configured = {p["name"] for p in self.admin.providers() if p.get("configured")}
        with ui.element("div").classes("w-full grid grid-cols-2 md:grid-cols-5 gap-2 items-start"):
            for task, names in self.admin.priorities().items():
                with ui.card().classes("w-full").props(f'flat bordered data-testid="{safe_id("priorities", task)}"'):
                    ui.label(_task(task)).classes("font-bold")
                    for i, name in enumerate(names):
                        with (
                            ui.row()
                            .classes("w-full items-center no-wrap gap-1")
                            .props(f'data-testid="{safe_id("priority", task, i)}"')
                        ):
                            ui.label(f"{i + 1}.").classes("text-gray-500 w-5")
                            ui.label(titles.get(name, name)).classes(
                                "grow " + ("" if name in configured else "text-gray-400")
                            ).props(f'data-name="{safe_id(name)}"')
                            ui.button(
                                icon="arrow_upward", on_click=lambda task=task, i=i: self.move(task, i, -1)
                            ).props(
                                f'flat dense size=sm data-testid="{safe_id("up", task, name)}"'
                                + (" disable" if i == 0 else "")
                            ).tooltip(t("providers.up"))
                            ui.button(
                                icon="arrow_downward", on_click=lambda task=task, i=i: self.move(task, i, 1)
                            ).props(
                                f'flat dense size=sm data-testid="{safe_id("down", task, name)}"'
                                + (" disable" if i == len(names) - 1 else "")
                            ).tooltip(t("providers.down"))

    def move(self, task: str, index: int, step: int) -> None:
        names = list(self.admin.priorities().get(task, []))
        other = index + step
        if not (0 <= index < len(names) and 0 <= other < len(names)):
            return
        names[index], names[other] = names[other], names[index]
        if self._try(lambda: self.admin.set_priorities(task, names)):
            self.priorities_area.refresh()


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)
