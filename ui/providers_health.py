"""The Providers page's monitoring part: active alerts, health per window (success rate, p50/p95
latency, error classes) and the weekly free-quota report. Read from ``platform.provider_admin``."""

from __future__ import annotations

from nicegui import ui

from .i18n import t
from .layout import safe_id

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
        ui.label(t("providers_health.alerts")).classes("text-2xl mt-4")
        alerts = self.admin.active_alerts()
        if not alerts:
            ui.label(t("providers_health.no_alerts")).classes("text-sm text-gray-500").props('data-testid="no-alerts"')
        for alert in alerts:
            ui.label(alert["message"]).classes("text-sm text-red-700").props(
                f'data-testid="{safe_id("page-alert", alert["kind"], alert["provider"])}"'
            )
        with ui.row().classes("w-full items-center gap-4 mt-4"):
            ui.label(t("providers_health.health")).classes("text-2xl")
            ui.select(
                {w: t(f"providers_health.{w}") for w in WINDOWS}, value=self.window, on_change=self._switch
            ).props('dense outlined data-testid="health-window"').classes("w-40")
            ui.label(t("providers_health.health_hint")).classes("text-sm text-gray-500")
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
            ui.label(t("providers_health.no_calls")).classes("text-sm text-gray-500").props(
                'data-testid="health-empty"'
            )
            return
        columns = [
            {"name": key, "label": t(f"providers_health.{key}"), "field": key, "align": "left"}
            for key in ("provider", "calls", "success_rate", "p50", "p95", "errors")
        ]
        ui.table(columns=columns, rows=rows, row_key="provider").classes("w-full").props(
            'flat bordered dense data-testid="health-table"'
        )

    def report(self) -> None:
        data = self.admin.weekly_report()
        ui.label(t("providers_health.report")).classes("text-2xl mt-4")
        last = data.get("last")
        with ui.row().classes("items-center gap-4 text-sm text-gray-600"):
            if last:
                ui.label(t("providers_health.report_last", week=last["week"], at=last["generated_at"][:16])).props(
                    'data-testid="report-last"'
                )
            else:
                ui.label(t("providers_health.report_none")).props('data-testid="report-last"')
            if data.get("next_report_at"):
                tz = (data.get("current") or {}).get("timezone", "")
                ui.label(t("providers_health.report_next", at=data["next_report_at"][:16].replace("T", " "), tz=tz))
        current = data.get("current") or {}
        rows = [
            {
                "provider": p["title"],
                "quota": (
                    f"{_num(p['quota']['limit'])} {p['quota']['unit']} / {p['quota']['period']}"
                    if p["quota"]
                    else t("providers_health.no_quota")
                ),
                "used": _num(p["used"]),
                "remaining": "–" if p["remaining"] is None else _num(p["remaining"]),
                "calls": p["week"]["calls"],
            }
            for p in current.get("providers", [])
        ]
        columns = [
            {"name": key, "label": t(f"providers_health.{key}"), "field": key, "align": "left"}
            for key in ("provider", "quota", "used", "remaining", "calls")
        ]
        ui.table(columns=columns, rows=rows, row_key="provider").classes("w-full").props(
            'flat bordered dense data-testid="report-table"'
        )
