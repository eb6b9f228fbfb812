"""The Providers page's monitoring part: active alerts, health per window (success rate, p50/p95
latency, error classes) and the weekly free-quota report. Read from ``platform.provider_admin``."""

from __future__ import annotations

from nicegui import ui

from .i18n import t

TEXT = {
    "health": ("Health", "运行状况"),
    "health_hint": (
        "Every attempt at a provider (all processes): success rate, latency and error classes.",
        "每次供应商调用（所有进程）：成功率、延迟与错误类别。",
    ),
    "window": ("Window", "时间窗口"),
    "hour": ("last hour", "最近一小时"),
    "day": ("last day", "最近一天"),
    "week": ("last week", "最近一周"),
    "provider": ("Provider", "供应商"),
    "calls": ("Calls", "调用次数"),
    "success_rate": ("Success rate", "成功率"),
    "p50": ("p50 latency", "p50 延迟"),
    "p95": ("p95 latency", "p95 延迟"),
    "errors": ("Errors", "错误"),
    "no_calls": ("No provider calls in this window.", "此时间窗口内没有供应商调用。"),
    "alerts": ("Alerts", "告警"),
    "no_alerts": ("No alerts.", "无告警。"),
    "report": ("Weekly free-quota report", "每周免费额度报告"),
    "report_last": ("Last sent: week {week} ({at})", "上次发送：{week} 周（{at}）"),
    "report_none": ("Not sent yet.", "尚未发送。"),
    "report_next": ("Next report: {at} ({tz})", "下次报告：{at}（{tz}）"),
    "quota": ("Quota", "配额"),
    "used": ("Used", "已用"),
    "remaining": ("Left", "剩余"),
    "no_quota": ("no quota set", "未设置配额"),
}
WINDOWS = ("hour", "day", "week")


def _pct(value) -> str:
    return "–" if value is None else f"{value:.1%}"


def _ms(value) -> str:
    return "–" if value is None else f"{value * 1000:.0f} ms"


def _num(value) -> str:
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)


class HealthSection:
    def __init__(self, admin):
        self.admin = admin
        self.window = "hour"

    def build(self) -> None:
        ui.label(t(TEXT, "alerts")).classes("text-2xl mt-4")
        alerts = self.admin.active_alerts()
        if not alerts:
            ui.label(t(TEXT, "no_alerts")).classes("text-sm text-gray-500").props('data-testid="no-alerts"')
        for alert in alerts:
            ui.label(alert["message"]).classes("text-sm text-red-700").props(
                f'data-testid="page-alert-{alert["kind"]}-{alert["provider"]}"'
            )
        with ui.row().classes("w-full items-center gap-4 mt-4"):
            ui.label(t(TEXT, "health")).classes("text-2xl")
            ui.select({w: t(TEXT, w) for w in WINDOWS}, value=self.window, on_change=self._switch).props(
                'dense outlined data-testid="health-window"'
            ).classes("w-40")
            ui.label(t(TEXT, "health_hint")).classes("text-sm text-gray-500")
        self.health_table()
        self.report()

    def _switch(self, event) -> None:
        self.window = event.value
        self.health_table.refresh()

    @ui.refreshable_method
    def health_table(self) -> None:
        rows = [
            {
                "provider": name,
                "calls": s["calls"],
                "success_rate": _pct(s["success_rate"]),
                "p50": _ms(s["p50"]),
                "p95": _ms(s["p95"]),
                "errors": ", ".join(f"{k} {n}" for k, n in s["errors"].items()) or "–",
            }
            for name, s in self.admin.health()[self.window].items()
        ]
        if not rows:
            ui.label(t(TEXT, "no_calls")).classes("text-sm text-gray-500").props('data-testid="health-empty"')
            return
        columns = [
            {"name": key, "label": t(TEXT, key), "field": key, "align": "left"}
            for key in ("provider", "calls", "success_rate", "p50", "p95", "errors")
        ]
        ui.table(columns=columns, rows=rows, row_key="provider").classes("w-full").props(
            'flat bordered dense data-testid="health-table"'
        )

    def report(self) -> None:
        data = self.admin.weekly_report()
        ui.label(t(TEXT, "report")).classes("text-2xl mt-4")
        last = data.get("last")
        with ui.row().classes("items-center gap-4 text-sm text-gray-600"):
            if last:
                ui.label(t(TEXT, "report_last", week=last["week"], at=last["generated_at"][:16])).props(
                    'data-testid="report-last"'
                )
            else:
                ui.label(t(TEXT, "report_none")).props('data-testid="report-last"')
            if data.get("next_report_at"):
                tz = (data.get("current") or {}).get("timezone", "")
                ui.label(t(TEXT, "report_next", at=data["next_report_at"][:16].replace("T", " "), tz=tz))
        current = data.get("current") or {}
        rows = [
            {
                "provider": p["title"],
                "quota": (
                    f"{_num(p['quota']['limit'])} {p['quota']['unit']} / {p['quota']['period']}"
                    if p["quota"]
                    else t(TEXT, "no_quota")
                ),
                "used": _num(p["used"]),
                "remaining": "–" if p["remaining"] is None else _num(p["remaining"]),
                "calls": p["week"]["calls"],
            }
            for p in current.get("providers", [])
        ]
        columns = [
            {"name": key, "label": t(TEXT, key), "field": key, "align": "left"}
            for key in ("provider", "quota", "used", "remaining", "calls")
        ]
        ui.table(columns=columns, rows=rows, row_key="provider").classes("w-full").props(
            'flat bordered dense data-testid="report-table"'
        )
