"""The editor's version history: list, view read-only, compare two versions, restore, publish."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nicegui import ui

from flowai.diff import GraphDiff

from .i18n import t

if TYPE_CHECKING:
    from .editor import Editor

TEXT = {
    "history": ("Versions", "版本"),
    "none": ("No versions yet.", "还没有版本。"),
    "published": ("published", "已发布"),
    "view": ("View", "查看"),
    "restore": ("Restore as draft", "恢复为草稿"),
    "publish": ("Publish this version", "发布此版本"),
    "compare": ("Compare", "对比"),
    "from": ("From", "从"),
    "to": ("To", "到"),
    "draft": ("Current draft", "当前草稿"),
    "added": ("Added", "新增"),
    "removed": ("Removed", "删除"),
    "changed": ("Changed", "修改"),
    "moved": ("Moved", "移动"),
    "edges_added": ("Edges added", "新增连线"),
    "edges_removed": ("Edges removed", "删除连线"),
    "meta": ("Workflow settings", "工作流设置"),
    "same": ("No differences.", "没有差异。"),
    "version": ("Version {n}", "版本 {n}"),
}


class VersionsPanel:
    def __init__(self, editor: "Editor"):
        self.editor = editor
        with ui.row().classes("w-full items-end gap-1"):
            self.a = ui.select({}, label=t(TEXT, "from")).props('dense data-testid="diff-from"').classes("w-20")
            self.b = ui.select({}, label=t(TEXT, "to")).props('dense data-testid="diff-to"').classes("w-28")
            ui.button(t(TEXT, "compare"), icon="compare_arrows", on_click=self.compare) \
                .props('dense flat data-testid="diff-compare"')
        self.summary = ui.column().classes("w-full gap-1").props('data-testid="diff-summary"')
        self.items = ui.column().classes("w-full gap-1")
        self.refresh()

    def refresh(self) -> None:
        ed = self.editor
        versions, _total = ed.platform.workflows.version_page(owner_id=ed.user.id, workflow_id=ed.workflow_id,
                                                             limit=100)
        options = {v.number: f"v{v.number}" for v in versions}
        self.a.set_options(options, value=versions[1].number if len(versions) > 1 else
                           (versions[0].number if versions else None))
        self.b.set_options({"draft": t(TEXT, "draft"), **options},
                           value=versions[0].number if versions else "draft")
        self.items.clear()
        with self.items:
            if not versions:
                ui.label(t(TEXT, "none")).classes("text-sm text-gray-500")
            for v in versions:
                with ui.card().classes("w-full p-2 gap-0").props(f'flat bordered data-testid="version-{v.number}"'):
                    with ui.row().classes("items-center gap-2 w-full"):
                        ui.label(f"v{v.number}").classes("font-bold")
                        if ed.published == v.number:
                            ui.badge(t(TEXT, "published"), color="green").props(f'data-testid="published-{v.number}"')
                        ui.space()
                        ui.label(v.created_at.strftime("%Y-%m-%d %H:%M")).classes("text-xs text-gray-500")
                    if v.message:
                        ui.label(v.message).classes("text-sm text-gray-700 break-words")
                    with ui.row().classes("gap-0"):
                        ui.button(icon="visibility", on_click=lambda n=v.number: ed.view_version(n)) \
                            .props(f'flat dense size=sm data-testid="version-view-{v.number}"') \
                            .tooltip(t(TEXT, "view"))
                        ui.button(icon="restore", on_click=lambda n=v.number: ed.restore_version(n)) \
                            .props(f'flat dense size=sm data-testid="version-restore-{v.number}"') \
                            .tooltip(t(TEXT, "restore"))
                        ui.button(icon="publish", on_click=lambda n=v.number: ed.confirm_publish(n)) \
                            .props(f'flat dense size=sm data-testid="version-publish-{v.number}"') \
                            .tooltip(t(TEXT, "publish"))

    def compare(self) -> None:
        if self.a.value is None or self.b.value is None:
            return
        self.editor.show_diff(self.a.value, self.b.value)

    def show_summary(self, d: GraphDiff, labels: dict[str, str]) -> None:
        self.summary.clear()
        with self.summary:
            if d.empty:
                ui.label(t(TEXT, "same")).classes("text-sm text-gray-500")
                return
            for key, colour in (("added", "text-green-700"), ("removed", "text-red-700"),
                                ("changed", "text-amber-700"), ("moved", "text-gray-600")):
                ids = getattr(d, key)
                if not ids:
                    continue
                if key == "changed":
                    text = "; ".join(f"{labels.get(n, n)} ({', '.join(fields)})" for n, fields in ids.items())
                else:
                    text = ", ".join(labels.get(n, n) for n in ids)
                ui.label(f"{t(TEXT, key)}: {text}").classes(f"text-sm {colour} break-words") \
                    .props(f'data-testid="diff-{key}"')
            for key in ("edges_added", "edges_removed"):
                edges = getattr(d, key)
                if edges:
                    text = ", ".join(f"{e['source']}.{e.get('source_port') or ''} → {e['target']}."
                                     f"{e.get('target_port') or ''}" for e in edges)
                    ui.label(f"{t(TEXT, key)}: {text}").classes("text-xs text-gray-600 break-words")
            if d.meta:
                ui.label(f"{t(TEXT, 'meta')}: {', '.join(d.meta)}").classes("text-xs text-gray-600")
