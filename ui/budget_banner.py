"""The budget warning banner: workflows whose spend today reached the warning share of their
daily budget (``platform.budget_watch``). Self-contained, so any page can mount it:

    budget_banner(platform)                  # every workflow's warning (the Providers page)
    budget_banner(platform, workflow_id)     # one workflow's (the editor)

It renders nothing when there is nothing to warn about.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from .i18n import t
from .layout import safe_id


def budget_banner(platform: Any, workflow_id: str | None = None) -> ui.element | None:
    """Render the banner (None when no budget is at its warning share)."""
    watch = getattr(platform, "budget_watch", None)
    if watch is None:
        return None
    if workflow_id is None:
        warnings = watch.warnings()
    else:
        one = watch.warning_for(workflow_id)
        warnings = [one] if one else []
    if not warnings:
        return None
    with (
        ui.element("div")
        .classes("w-full rounded border border-amber-400 bg-amber-50 p-3 my-2")
        .props('role="alert" data-testid="budget-banner"') as banner
    ):
        ui.label(t("budget_banner.title")).classes("font-bold text-amber-900")
        for w in warnings:
            ui.label(
                t(
                    "budget_banner.item",
                    workflow=w["workflow_id"],
                    share=f"{w['share']:.0%}",
                    spent=f"{w['spent']:.4f}",
                    budget=f"{w['budget']:g}",
                    threshold=f"{w['threshold']:.0%}",
                )
            ).classes("text-sm text-amber-900").props(f'data-testid="{safe_id("budget-warning", w["workflow_id"])}"')
    return banner
