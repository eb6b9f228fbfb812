"""The editor's version history: list (with each version's note), view one read-only on the
canvas, compare two (highlighted on the canvas and listed, each changed text old and new side by
side), restore one as the draft, publish one, unpublish.

A view of the editor's state: what goes on the canvas is asked for with ``ShowVersion``,
``ShowDraft`` and ``Restore`` intents; publishing a version goes through the ``publish`` the
page hands in (the save/publish bar's confirmation). The list follows ``Saved`` / ``Published``.
"""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from flowai.errors import FlowAIError
from flowai.platform import Platform
from flowai.workflows.diff import GraphDiff, diff, field_values, line_changes

from . import editor_intents as i
from .editor_hosted import hosted
from .editor_state import Change, EditorState
from .i18n import labelled, listing, t
from .issues import field_label
from .layout import safe_id

# the messages FlowAI itself gives versions (stored as written, shown in the UI language)
AUTOMATIC = {"Created": "created", "Imported": "imported", "Published": "published_msg", "Demo example": "demo"}


def version_message(message: str) -> str:
    if message in AUTOMATIC:
        return t(f"editor_versions.{AUTOMATIC[message]}")
    if message.startswith("Copied from "):
        return t("editor_versions.copied_from", id=message.removeprefix("Copied from "))
    return message


class VersionsPanel:
    def __init__(
        self,
        state: EditorState,
        emit: i.Emit,
        *,
        platform: Platform,
        account_id: int,
        workflow_id: str,
        host: ui.element,
        publish: Callable[[int], None],
    ):
        self.state = state
        self.emit = emit
        self.platform = platform
        self.account_id = account_id
        self.workflow_id = workflow_id
        self.host = host  # a stable element for what the handlers create (the list refreshes)
        self.publish = publish  # asks to publish a version
        self._shown: dict = {}  # the newer document of the comparison shown
        with ui.row().classes("w-full items-end gap-1"):
            self.a = (
                ui.select({}, label=t("editor_versions.from")).props('dense data-testid="diff-from"').classes("w-20")
            )
            self.b = ui.select({}, label=t("editor_versions.to")).props('dense data-testid="diff-to"').classes("w-28")
            ui.button(t("editor_versions.compare"), icon="compare_arrows", on_click=self.compare).props(
                'dense flat data-testid="diff-compare"'
            )
        self.summary = ui.column().classes("w-full gap-1").props('data-testid="diff-summary"')
        self.items = ui.column().classes("w-full gap-1")
        self.refresh()

    def on_change(self, c: Change) -> None:
        if c.versions:
            self.refresh()
        if c.mode and self.state.editing:
            self.summary.clear()

    def refresh(self) -> None:
        versions, _total = self.platform.workflows.version_page(
            owner_id=self.account_id, workflow_id=self.workflow_id, limit=100
        )
        options = {v.number: f"v{v.number}" for v in versions}
        self.a.set_options(
            options, value=versions[1].number if len(versions) > 1 else (versions[0].number if versions else None)
        )
        self.b.set_options(
            {"draft": t("editor_versions.draft"), **options}, value=versions[0].number if versions else "draft"
        )
        self.items.clear()
        with self.items:
            if self.state.published:
                with ui.row().classes("w-full items-center gap-2 no-wrap").props('data-testid="published-row"'):
                    ui.label(t("editor_versions.published_now", n=self.state.published)).classes("text-sm grow")
                    ui.button(
                        t("editor_versions.unpublish"), icon="unpublished", on_click=self.confirm_unpublish
                    ).props('flat dense size=sm color=negative data-testid="unpublish"')
            if not versions:
                ui.label(t("editor_versions.none")).classes("text-sm text-gray-500")
            for v in versions:
                card_props = f'flat bordered data-testid="{safe_id("version", v.number)}"'
                with ui.card().classes("w-full p-2 gap-0").props(card_props):
                    with ui.row().classes("items-center gap-2 w-full"):
                        ui.label(f"v{v.number}").classes("font-bold")
                        if self.state.published == v.number:
                            ui.badge(t("editor_versions.published"), color="green").props(
                                f'data-testid="{safe_id("published", v.number)}"'
                            )
                        ui.space()
                        ui.label(v.created_at.strftime("%Y-%m-%d %H:%M")).classes("text-xs text-gray-500")
                    if v.message:
                        with ui.row().classes("items-start gap-1 no-wrap"):
                            ui.icon("sticky_note_2", size="xs").classes("text-gray-500 mt-0.5")
                            ui.label(version_message(v.message)).classes("text-sm text-gray-700 break-words").props(
                                f'data-testid="{safe_id("version-note", v.number)}"'
                            )
                    with ui.row().classes("gap-0"):
                        ui.button(icon="visibility", on_click=lambda n=v.number: self.view_version(n)).props(
                            f'flat dense size=sm data-testid="{safe_id("version-view", v.number)}"'
                        ).tooltip(t("editor_versions.view"))
                        ui.button(icon="restore", on_click=lambda n=v.number: self.restore_version(n)).props(
                            f'flat dense size=sm data-testid="{safe_id("version-restore", v.number)}"'
                        ).tooltip(t("editor_versions.restore"))
                        ui.button(icon="publish", on_click=lambda n=v.number: self.publish(n)).props(
                            f'flat dense size=sm data-testid="{safe_id("version-publish", v.number)}"'
                        ).tooltip(t("editor_versions.publish"))

    @hosted
    def confirm_unpublish(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-[28rem]").props('data-testid="unpublish-dialog"'):
            ui.label(t("editor_versions.unpublish_confirm", n=self.state.published)).classes("text-base")

            def go() -> None:
                dialog.close()
                self.unpublish()

            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor_save.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("editor_versions.unpublish"), on_click=go).props(
                    'color=negative data-testid="unpublish-confirm"'
                )
        dialog.open()

    @hosted
    def unpublish(self) -> None:
        try:
            self.platform.workflows.unpublish(owner_id=self.account_id, workflow_id=self.workflow_id)
        except FlowAIError as exc:
            ui.notify(t("editor_versions.unpublish_failed", message=exc.message), type="negative", multi_line=True)
            return
        self.emit(i.Unpublished())
        ui.notify(t("editor_versions.unpublished"), type="positive")

    def compare(self) -> None:
        if self.a.value is None or self.b.value is None:
            return
        self.show_diff(self.a.value, self.b.value)

    def show_summary(
        self, d: GraphDiff, labels: dict[str, str], sides: tuple[dict, dict, str, str] | None = None
    ) -> None:
        self.summary.clear()
        with self.summary:
            if d.empty:
                ui.label(t("editor_versions.same")).classes("text-sm text-gray-500")
                return
            if sides is not None:
                self.show_values(d, labels, *sides)
            for key, colour in (
                ("added", "text-green-700"),
                ("removed", "text-red-700"),
                ("changed", "text-amber-700"),
                ("moved", "text-gray-600"),
            ):
                ids = getattr(d, key)
                if not ids:
                    continue
                if key == "changed":
                    names = self.field_names
                    text = "; ".join(
                        f"{labels.get(n, n)} ({listing(names(n, f) for f in fields)})" for n, fields in ids.items()
                    )
                else:
                    text = listing(labels.get(n, n) for n in ids)
                ui.label(labelled(t(f"editor_versions.{key}"), text)).classes(f"text-sm {colour} break-words").props(
                    f'data-testid="{safe_id("diff", key)}"'
                )
            for key in ("edges_added", "edges_removed"):
                edges = getattr(d, key)
                if edges:
                    text = listing(
                        f"{e['source']}.{e.get('source_port') or ''} → {e['target']}.{e.get('target_port') or ''}"
                        for e in edges
                    )
                    ui.label(labelled(t(f"editor_versions.{key}"), text)).classes("text-xs text-gray-600 break-words")
            if d.meta:
                ui.label(labelled(t("editor_versions.meta"), ", ".join(d.meta))).classes("text-xs text-gray-600")

    # versions on the canvas ---------------------------------------------------------------
    def _document(self, number) -> dict:
        if number == "draft":
            return self.state.draft.doc
        return self.platform.workflows.version(
            owner_id=self.account_id, workflow_id=self.workflow_id, number=int(number)
        ).document

    @hosted
    def view_version(self, number: int) -> None:
        doc = self._document(number)
        self.emit(i.ShowVersion("view", doc, number, self.state.draft.graph_view(doc)))

    @hosted
    def show_diff(self, a, b) -> None:
        """Version ``b`` on the canvas with what changed since ``a``: added nodes green, changed
        amber (with the fields), removed ones (from ``a``) red and dashed; the same as a list."""
        draft = self.state.draft
        old, new = self._document(a), self._document(b)
        self._shown = new
        d = diff(old, new)
        view = draft.graph_view(new)
        for n in view["nodes"]:
            if n["id"] in d.added:
                n["data"]["diff"] = "added"
            elif n["id"] in d.changed:
                n["data"].update(
                    diff="changed", changes=[self.field_names(n["id"], f, new) for f in d.changed[n["id"]]]
                )
        old_nodes = {n["id"]: n for n in old.get("nodes", [])}
        view["nodes"] += [draft.node_view(old_nodes[nid], diff="removed") for nid in d.removed]
        added = {draft.edge_view(e, new)["id"] for e in d.edges_added}
        for e in view["edges"]:
            if e["id"] in added:
                e["portType"] = "added"
        view["edges"] += [{**draft.edge_view(e, old), "portType": "removed"} for e in d.edges_removed]
        labels = {n["id"]: n.get("label") or n["id"] for n in [*old.get("nodes", []), *new.get("nodes", [])]}

        def name(v) -> str:
            return t("editor_versions.draft_short") if v == "draft" else f"v{v}"

        self.emit(i.ShowVersion("diff", new, (name(a), name(b)), view))
        self.show_summary(d, labels, (old, new, name(a), name(b)))

    def field_names(self, node_id: str, name: str, document: dict | None = None) -> str:
        """What people call a changed field of ``GraphDiff.changed`` (``config.<key>``, ``label``...)."""
        if name.startswith("config."):
            return field_label(document or self._shown, self.state.draft.registry, node_id, name[7:])
        return t(f"editor_versions.field_{name}")

    def show_values(self, d: GraphDiff, labels: dict[str, str], old: dict, new: dict, a: str, b: str) -> None:
        """Each changed field of each changed node: its old text beside its new, changed lines marked."""
        for nid, fields in d.changed.items():
            for name in fields:
                before, after = field_values(old, new, nid, name)
                title = self.field_names(nid, name, new)
                with (
                    ui.column()
                    .classes("w-full gap-0 rounded border")
                    .props(f'data-testid="{safe_id("diff-field", nid, name)}"')
                ):
                    ui.label(f"{labels.get(nid, nid)} · {title}").classes(
                        "w-full text-xs font-medium px-2 py-1 bg-amber-50"
                    )
                    left, right = line_changes(before, after)
                    with ui.element("div").classes("w-full grid grid-cols-2 text-xs font-mono"):
                        for side, lines, marked, testid in (
                            (a, left, "bg-red-100 text-red-900", "diff-old"),
                            (b, right, "bg-green-100 text-green-900", "diff-new"),
                        ):
                            with (
                                ui.column()
                                .classes("gap-0 p-1 border-t")
                                .style("min-width: 0")
                                .props(f'data-testid="{safe_id(testid)}"')
                            ):
                                ui.label(side).classes("text-gray-500 font-sans")
                                for line, changed in lines:
                                    ui.label(line or " ").classes(
                                        "whitespace-pre-wrap break-words " + (marked if changed else "")
                                    )

    @hosted
    def restore_version(self, number: int) -> None:
        self.emit(i.Restore(self._document(number)))
        ui.notify(t("editor_versions.restored", n=number))
