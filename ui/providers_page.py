"""Providers (/providers, admins only): credentials (masked once saved, never sent back in clear),
priorities per task type, quotas with usage bars, the quotas' time zone, test connection.

Everything goes through ``platform.provider_admin``.
"""

from __future__ import annotations

import json
import time
from zoneinfo import available_timezones

from nicegui import ui

from flowai.errors import FlowAIError
from flowai.platform import Platform

from .i18n import t
from .layout import TEXT as LAYOUT
from .layout import frame, safe_id, signed_in_user

PERIODS = ("day", "month")
UNITS = ("calls", "tokens", "characters", "seconds", "images", "cost")

TEXT = {
    "title": ("Providers", "模型供应商"),
    "unavailable": ("Provider settings are not available in this build.", "此版本不提供供应商设置。"),
    "timezone": ("Time zone", "时区"),
    "timezone_hint": (
        "Daily and monthly quotas reset at midnight in this time zone.",
        "每日和每月配额在此时区的午夜重置。",
    ),
    "save": ("Save", "保存"),
    "saved": ("Saved.", "已保存。"),
    "credentials": ("Credentials and quotas", "凭据与配额"),
    "provider": ("Provider", "供应商"),
    "tasks": ("Tasks", "任务类型"),
    "status": ("Status", "状态"),
    "not_configured": ("not configured", "未配置"),
    "from_env": ("from the environment", "来自环境变量"),
    "from_ui": ("saved here", "在此保存"),
    "cooling": ("cooling down until {when}", "冷却至 {when}"),
    "key": ("API key", "API 密钥"),
    "base_url": ("Base URL (optional)", "Base URL（可选）"),
    "options": ('Extra options, JSON (optional, e.g. {"user_id": "…"})', '其他选项，JSON（可选，如 {"user_id": "…"}）'),
    "options_bad": ("The extra options must be a JSON object.", "其他选项必须是 JSON 对象。"),
    "key_required": ("Enter the API key.", "请输入 API 密钥。"),
    "set_key": ("Set key", "设置密钥"),
    "replace_key": ("Replace key", "更换密钥"),
    "clear_key": ("Remove key", "删除密钥"),
    "cleared": ("Key removed.", "密钥已删除。"),
    "quota": ("Quota", "配额"),
    "no_quota": ("no quota", "无配额"),
    "quota_text": ("{used} / {limit} {unit} per {period}", "每{period} {used} / {limit} {unit}"),
    "set_quota": ("Set quota", "设置配额"),
    "period": ("Period", "周期"),
    "limit": ("Limit (empty: no quota)", "上限（留空：无配额）"),
    "unit": ("Unit", "单位"),
    "remaining": ("{n} left", "剩余 {n}"),
    "test": ("Test connection", "测试连接"),
    "testing": ("Testing…", "测试中…"),
    "ok": ("OK: {msg}", "成功：{msg}"),
    "fail": ("Failed: {msg}", "失败：{msg}"),
    "priorities": ("Priorities", "调用优先级"),
    "priorities_hint": (
        "For each task type, providers are tried from the top; only configured ones are used.",
        "每种任务类型按从上到下的顺序尝试供应商；只使用已配置的供应商。",
    ),
    "up": ("Move up", "上移"),
    "down": ("Move down", "下移"),
    "cancel": ("Cancel", "取消"),
    "day": ("day", "天"),
    "month": ("month", "月"),
    "calls": ("calls", "次调用"),
    "tokens": ("tokens", "tokens"),
    "characters": ("characters", "字符"),
    "seconds": ("seconds", "秒"),
    "images": ("images", "张图片"),
    "cost": ("USD", "美元"),
    "task_text": ("text", "文本"),
    "task_image": ("image", "图像"),
    "task_stt": ("speech to text", "语音转文字"),
    "task_tts": ("text to speech", "文字转语音"),
    "task_multimodal": ("multimodal", "多模态"),
    "env": ("Environment: {names}", "环境变量：{names}"),
}


def _task(name: str) -> str:
    return t(TEXT, f"task_{name}") if f"task_{name}" in TEXT else name


def register(platform: Platform) -> None:
    @ui.page("/providers")
    def providers_page():
        user = signed_in_user(platform)
        if user is None:
            return
        with frame(platform, t(TEXT, "title")):
            if not user.is_admin:
                ui.label(t(LAYOUT, "admins_only")).classes("text-gray-500").props('data-testid="admins-only"')
                return
            admin = getattr(platform, "provider_admin", None)
            if admin is None:
                ui.label(t(TEXT, "unavailable")).classes("text-gray-500").props('data-testid="providers-unavailable"')
                return
            ProvidersPage(admin).build()


class ProvidersPage:
    def __init__(self, admin):
        self.admin = admin

    def build(self) -> None:
        self.host = ui.element("div")
        self.timezone_row()
        ui.label(t(TEXT, "priorities")).classes("text-2xl mt-2")
        ui.label(t(TEXT, "priorities_hint")).classes("text-sm text-gray-500")
        self.priorities_area()
        ui.label(t(TEXT, "credentials")).classes("text-2xl mt-4")
        self.providers_area()

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
            ui.notify(t(TEXT, done), type="positive")
        return True

    # time zone ---------------------------------------------------------------------------
    def timezone_row(self) -> None:
        zones = sorted(available_timezones() | {"UTC"})
        with ui.row().classes("w-full items-center gap-4"):
            zone = (
                ui.select(zones, value=self.admin.timezone(), label=t(TEXT, "timezone"), with_input=True)
                .classes("w-72")
                .props('data-testid="timezone"')
            )
            ui.button(t(TEXT, "save"), on_click=lambda: self._try(lambda: self.admin.set_timezone(zone.value))).props(
                'outline data-testid="timezone-save"'
            )
            ui.label(t(TEXT, "timezone_hint")).classes("text-sm text-gray-500")

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
                ui.label(", ".join(_task(x) for x in p.get("tasks") or ())).classes("text-sm text-gray-500")
                ui.space()
                if p.get("configured"):
                    source = t(TEXT, "from_env") if p.get("source") == "env" else t(TEXT, "from_ui")
                    ui.badge(source, color="positive").props(f'data-testid="{safe_id("configured", name)}"')
                else:
                    ui.badge(t(TEXT, "not_configured"), color="grey").props(
                        f'data-testid="{safe_id("configured", name)}"'
                    )
                until = p.get("cooling_down_until")
                if until and until > time.time():
                    ui.badge(t(TEXT, "cooling", when=time.strftime("%H:%M:%S", time.localtime(until))), color="orange")
            with ui.row().classes("w-full items-center gap-4 text-sm"):
                if p.get("masked_key"):
                    ui.label(f"{t(TEXT, 'key')}: ").classes("text-gray-500")
                    ui.label(p["masked_key"]).classes("font-mono").props(f'data-testid="{safe_id("masked", name)}"')
                if p.get("base_url"):
                    ui.label(p["base_url"]).classes("font-mono text-gray-500 break-all")
            if p.get("env"):
                ui.label(t(TEXT, "env", names=", ".join(p["env"]))).classes("text-xs text-gray-500")
            self.quota_row(p)
            with ui.row().classes("items-center gap-2"):
                ui.button(
                    t(TEXT, "replace_key" if p.get("configured") else "set_key"),
                    icon="key",
                    on_click=lambda p=p: self.credential_dialog(p),
                ).props(f'outline dense data-testid="{safe_id("set-key", name)}"')
                if p.get("source") == "ui":
                    ui.button(t(TEXT, "clear_key"), icon="delete", on_click=lambda: self._clear(name)).props(
                        f'flat dense color=negative data-testid="{safe_id("clear-key", name)}"'
                    )
                ui.button(t(TEXT, "set_quota"), icon="speed", on_click=lambda p=p: self.quota_dialog(p)).props(
                    f'outline dense data-testid="{safe_id("set-quota", name)}"'
                )
                result = ui.label().classes("text-sm").props(f'data-testid="{safe_id("test-result", name)}"')
                ui.button(t(TEXT, "test"), icon="network_check", on_click=lambda r=result: self._test(name, r)).props(
                    f'flat dense data-testid="{safe_id("test", name)}"'
                )
                result.move(target_index=-1)

    def quota_row(self, p: dict) -> None:
        quota = p.get("quota")
        name = p["name"]
        if not quota or quota.get("limit") is None:
            ui.label(f"{t(TEXT, 'quota')}: {t(TEXT, 'no_quota')}").classes("text-sm text-gray-500").props(
                f'data-testid="{safe_id("quota", name)}"'
            )
            return
        unit = quota.get("unit") or "calls"
        used = (p.get("usage") or {}).get(unit) or 0
        limit = quota["limit"] or 0
        with ui.row().classes("w-full items-center gap-3 no-wrap"):
            ui.label(
                t(
                    TEXT,
                    "quota_text",
                    used=_num(used),
                    limit=_num(limit),
                    unit=t(TEXT, unit) if unit in TEXT else unit,
                    period=t(TEXT, quota.get("period") or "day"),
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
                ui.label(t(TEXT, "remaining", n=_num(p["remaining"]))).classes(
                    "text-sm text-gray-500 whitespace-nowrap"
                )

    def _clear(self, name: str) -> None:
        if self._try(lambda: self.admin.clear_credential(name), "cleared"):
            self.providers_area.refresh()

    async def _test(self, name: str, result: ui.label) -> None:
        result.text = t(TEXT, "testing")
        result.classes(replace="text-sm text-gray-500")
        try:
            ok, message = await self.admin.test_connection(name)
        except FlowAIError as exc:
            ok, message = False, exc.message
        result.text = t(TEXT, "ok" if ok else "fail", msg=message)
        result.classes(replace="text-sm " + ("text-green-700" if ok else "text-red-700"))

    def credential_dialog(self, p: dict) -> None:
        name = p["name"]
        with self._dialog() as dialog, ui.card().classes("w-[30rem]"):
            ui.label(p.get("title") or name).classes("text-lg")
            key = (
                ui.input(t(TEXT, "key"), password=True, password_toggle_button=True)
                .classes("w-full")
                .props('autocomplete=off data-testid="credential-key"')
            )
            base = (
                ui.input(t(TEXT, "base_url"), value=p.get("base_url") or "")
                .classes("w-full")
                .props('data-testid="credential-base-url"')
            )
            options = ui.input(t(TEXT, "options")).classes("w-full").props('data-testid="credential-options"')
            error = ui.label().classes("text-red-600 text-sm")

            def save():
                if not (key.value or "").strip():
                    error.text = t(TEXT, "key_required")
                    return
                extra = None
                if (options.value or "").strip():
                    try:
                        extra = json.loads(options.value)
                    except json.JSONDecodeError:
                        extra = None
                    if not isinstance(extra, dict):
                        error.text = t(TEXT, "options_bad")
                        return
                if self._try(
                    lambda: self.admin.set_credential(
                        name, api_key=key.value.strip(), base_url=(base.value or "").strip() or None, options=extra
                    )
                ):
                    key.value = ""
                    dialog.close()
                    self.providers_area.refresh()

            with ui.row().classes("w-full justify-end"):
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "save"), on_click=save).props('data-testid="credential-save"')
        dialog.open()

    def quota_dialog(self, p: dict) -> None:
        name = p["name"]
        quota = p.get("quota") or {}
        with self._dialog() as dialog, ui.card().classes("w-96"):
            ui.label(f"{t(TEXT, 'quota')}: {p.get('title') or name}").classes("text-lg")
            period = (
                ui.select({x: t(TEXT, x) for x in PERIODS}, value=quota.get("period") or "day", label=t(TEXT, "period"))
                .classes("w-full")
                .props('data-testid="quota-period"')
            )
            limit = (
                ui.number(t(TEXT, "limit"), value=quota.get("limit"), min=0)
                .classes("w-full")
                .props('data-testid="quota-limit"')
            )
            unit = (
                ui.select({x: t(TEXT, x) for x in UNITS}, value=quota.get("unit") or "calls", label=t(TEXT, "unit"))
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
                ui.button(t(TEXT, "cancel"), on_click=dialog.close).props("flat")
                ui.button(t(TEXT, "save"), on_click=save).props('data-testid="quota-save"')
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
                            ).tooltip(t(TEXT, "up"))
                            ui.button(
                                icon="arrow_downward", on_click=lambda task=task, i=i: self.move(task, i, 1)
                            ).props(
                                f'flat dense size=sm data-testid="{safe_id("down", task, name)}"'
                                + (" disable" if i == len(names) - 1 else "")
                            ).tooltip(t(TEXT, "down"))

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
