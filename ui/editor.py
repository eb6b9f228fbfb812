"""The canvas editor page, ``/workflows/{id}``: palette, canvas, settings / run / versions panels.

The server holds the editor's state (:class:`ui.editor_state.EditorState`: the draft, the
selection, what is shown, the versions, the problems). The page builds the views — the canvas
binding (``ui.editor_canvas``), the settings panel, the test-run panel, the versions list, the
save/publish bar and its own toolbar, palette and problem list — hands each the state and
``emit`` (``state.apply``), and subscribes them to the state's changes. No view changes the state
or another view itself. Saving makes an immutable version based on the version the page started
from, so a second tab gets a conflict message instead of overwriting.
"""

from __future__ import annotations

import asyncio
import json
import time

from nicegui import app, ui

from flowai.errors import NotFoundError
from flowai.platform import Platform
from flowai.ports import PortType
from flowai.workflows.checklist import Readiness, checklist
from nodes.define import GROUPS as NODE_GROUPS

from . import editor_intents as i
from .budget_banner import budget_banner
from .editor_canvas import CanvasBinding
from .editor_model import Draft
from .editor_panel import SettingsPanel
from .editor_runs import RunPanel
from .editor_save import DraftKeeper, Publishing
from .editor_state import Change, EditorState
from .editor_versions import VersionsPanel
from .i18n import LANGUAGES, labelled, language, t
from .issues import checklist_items, said
from .layout import frame, safe_id, signed_in_user

# Colours of the state labels, set as styles: a class change makes the page's Tailwind runtime
# rewrite its stylesheet, which restyles every element of a large graph (~0.1 s for 200 nodes).
# Variables (EDITOR_CSS), lighter in dark mode.
BLUE, ORANGE, GREEN, RED, GREY = (f"var(--fa-state-{c})" for c in ("blue", "orange", "green", "red", "grey"))
VALIDATE_AFTER = 0.25  # seconds of quiet after an edit before the draft is validated again
READINESS_TTL = 5.0  # seconds the checklist trusts what it read of the configured providers
AMBER = "var(--fa-state-amber)"
# The keyboard shortcuts the help dialog (`?`) lists: keys, what they do (catalog key).
SHORTCUTS = (
    ("Ctrl/⌘ + S", "editor.key_save"),
    ("Ctrl/⌘ + Z", "editor.key_undo"),
    ("Ctrl/⌘ + Shift + Z · Ctrl/⌘ + Y", "editor.key_redo"),
    ("Ctrl/⌘ + C", "editor.key_copy"),
    ("Ctrl/⌘ + V", "editor.key_paste"),
    ("Ctrl/⌘ + A", "editor.menu_select_all"),
    ("Delete · Backspace", "editor.key_delete"),
    ("Shift + L", "editor.menu_layout"),
    ("Shift + N", "editor.menu_note"),
    ("Esc", "editor.key_escape"),
    ("?", "editor.shortcuts"),
)
# Below this width the palette and the side panel give the canvas the whole width, and the canvas
# is a read-only view (pan, zoom, a node's details on tap): see flow_canvas.js ("phone").
PHONE = 640  # px
EDITOR_CSS = """
:root {
  --fa-state-blue: #1d4ed8; --fa-state-orange: #c2410c; --fa-state-green: #15803d; --fa-state-red: #b91c1c;
  --fa-state-grey: #6b7280; --fa-state-amber: #b45309;
}
body.body--dark {
  --fa-state-blue: #93c5fd; --fa-state-orange: #fdba74; --fa-state-green: #86efac; --fa-state-red: #fca5a5;
  --fa-state-grey: #9ca3af; --fa-state-amber: #fcd34d;
}
.fa-palette-item { background: #fff; }
.fa-palette-item:hover { background: #f1f5f9; }
body.body--dark .fa-palette-item { background: #1e293b; border-color: #475569; }
body.body--dark .fa-palette-item:hover { background: #334155; }
body.body--dark .fa-canvas-frame { border-color: #334155; }
@media (max-width: 640px) {
  .fa-editor-side, .fa-editor-palette, .fa-desktop-only { display: none !important; }
  .fa-editor-main { height: calc(100vh - 190px) !important; }
  .fa-editor-name { width: auto !important; min-width: 0; flex: 1 1 auto; }
}
@media (min-width: 641px) and (max-width: 1279px) {
  .fa-editor-side { width: 320px !important; }
  .fa-editor-palette { width: 9.5rem !important; }
}
@media (min-width: 641px) and (max-width: 1439px) {
  [data-testid="group-stage"] .q-btn__content { font-size: 0; }
  [data-testid="group-stage"] .q-icon { font-size: 24px; margin: 0; }
}
@media (min-width: 641px) and (max-width: 1279px) {
  [data-testid="save"] .q-btn__content, [data-testid="publish"] .q-btn__content { font-size: 0; }
  [data-testid="save"] .q-icon, [data-testid="publish"] .q-icon { font-size: 24px; margin: 0; }
}
/* The toolbar is one line at every width: what it says shrinks (ending in "…", the whole text on
   hover) instead of wrapping, so the canvas under it never moves when a status appears. */
.fa-toolbar-status { flex: 1 1 auto; min-width: 0; overflow: hidden; }
.fa-toolbar-status > * { white-space: nowrap; flex: 0 0 auto; }
.fa-toolbar-status .fa-shrink { flex: 0 1 auto; min-width: 3rem; overflow: hidden; text-overflow: ellipsis; }
.fa-toolbar-status .fa-recovered { flex: 0 1 auto; min-width: 8rem; }
.fa-toolbar-status .fa-recovered .q-btn { flex-shrink: 0; }
@media (max-width: 1279px) {  /* room for what matters: the shortcuts stay on the "?" key */
  .fa-toolbar-status [data-testid="draft-state"], [data-testid="shortcuts"] { display: none; }
}
.fa-editor-name { flex: 0 1 16rem; min-width: 8rem; }
.fa-collapsed { display: none !important; }
"""


class Said(ui.label):
    """A toolbar label whose whole text shows on hover (the toolbar may cut it short)."""

    def _handle_text_change(self, text: str) -> None:
        super()._handle_text_change(text)
        self.props["title"] = text


def register(platform: Platform) -> None:
    @ui.page("/workflows/{workflow_id}")
    def editor_page(workflow_id: str, run: str = ""):
        user = signed_in_user(platform)
        if user is None:
            return
        try:
            wf = platform.workflows.get(owner_id=user.id, workflow_id=workflow_id)
        except NotFoundError:
            with frame(platform, t("editor.title")):
                ui.label(t("editor.not_found")).props('data-testid="not-found"')
                ui.link(t("editor.back"), "/")
            return
        editor = Editor(platform, user, wf)
        editor.build()
        if run:  # "Open on canvas" from a run's page: that run's results, once the canvas is drawn
            editor.canvas.on("ready", lambda: editor.runs.load_run(run))


def _titles(registry) -> dict[str, str]:
    """Node type titles in the UI language, from the node definitions."""
    lang = language()
    return {impl.type: impl.definition.title.get(lang) for impl in registry}


class Editor:
    def __init__(self, platform: Platform, user, wf):
        self.platform = platform
        self.account_id: int = user.id
        self.workflow_id = wf.id
        kept = platform.workflows.kept_draft(owner_id=user.id, workflow_id=wf.id)  # edits an editor kept, unsaved
        draft = Draft(
            kept.saved if kept else platform.workflows.export(owner_id=user.id, workflow_id=wf.id),
            platform.registry,
            titles=_titles(platform.registry),
            language=language(),
        )
        self._ready: tuple[float, Readiness] | None = None
        self.state = EditorState(
            draft,
            validate=platform.workflows.validate,
            base=kept.base if kept else wf.latest_version,
            published=wf.published_version,
            check=self.check,
        )
        draft.pin_label = t("editor_runs.pinned")
        draft.type_labels = {p.value: t(f"editor.port_type_{p.value}") for p in PortType}
        draft.say_issue = lambda issue, doc: said(issue, doc, platform.registry)
        self.emit: i.Emit = self.state.apply
        if kept:
            self.emit(i.Recover(kept.document, kept.at))
        self._validate: asyncio.TimerHandle | None = None
        self.phone = False  # a phone's read-only view (below 640 px, as the canvas decides)
        self._last_add: tuple[float, float] | None = None

    def readiness(self) -> Readiness:
        """Which providers are configured (read again after READINESS_TTL seconds)."""
        now = time.monotonic()
        if self._ready is None or now - self._ready[0] > READINESS_TTL:
            configured, ready = self.platform.provider_admin.readiness()
            self._ready = (now, Readiness(frozenset(configured), ready))
        return self._ready[1]

    def check(self, document: dict) -> list[dict]:
        """The checklist before publishing, in the UI language."""
        registry = self.platform.registry
        return checklist_items(checklist(document, registry, providers=self.readiness()), document, registry)

    # layout -----------------------------------------------------------------------------
    def build(self) -> None:
        state, emit, platform = self.state, self.emit, self.platform
        where = {"platform": platform, "account_id": self.account_id, "workflow_id": self.workflow_id}
        with frame(platform, f"{t('editor.title')} · {state.draft.doc.get('name', '')}", wide=True):
            host = ui.element("div").classes("hidden")  # dialogs, outside anything that refreshes
            self.publishing = Publishing(state, emit, host=host, **where)
            self.keeper = DraftKeeper(state, emit, **where)
            ui.add_css(EDITOR_CSS)
            self._toolbar()
            budget_banner(platform, self.workflow_id)  # the workflow's budget at its warning share
            with (
                ui.row()
                .classes("w-full no-wrap gap-2 items-stretch fa-editor-main")
                .style("height: calc(100vh - 152px)")
            ):
                self._palette()
                with ui.element("div").classes("grow relative rounded border fa-canvas-frame").style("min-width: 0"):
                    self.binding = CanvasBinding(state, emit)
                    self.canvas = self.binding.canvas
                    self.canvas.classes("absolute inset-0").props('data-testid="canvas"')
                with (
                    ui.column()
                    .classes("w-[390px] shrink-0 h-full no-wrap gap-0 fa-editor-side")
                    .props('data-testid="side-panel"') as self.side
                ):
                    with ui.tabs().classes("w-full").props("dense") as tabs:
                        tab_settings = ui.tab("settings", t("editor.settings")).props('data-testid="tab-settings"')
                        ui.tab("run", t("editor.run")).props('data-testid="tab-run"')
                        ui.tab("versions", t("editor.versions")).props('data-testid="tab-versions"')
                    with (
                        ui.tab_panels(tabs, value=tab_settings)
                        .props("keep-alive")
                        .classes("w-full grow overflow-y-auto overflow-x-hidden") as self.panels
                    ):
                        with ui.tab_panel("settings").classes("p-2"):
                            self.settings = SettingsPanel(
                                state,
                                emit,
                                registry=platform.registry,
                                titles=_titles(platform.registry),
                                replicate=platform.replicate if platform.services.replicate is not None else None,
                                model_source=platform.provider_admin,
                            )
                            self.issues_box = ui.column().classes("w-full gap-1").props('data-testid="problems"')
                        with ui.tab_panel("run").classes("p-2"):
                            self.runs = RunPanel(state, emit, show=lambda: self.panels.set_value("run"), **where)
                        with ui.tab_panel("versions").classes("p-2"):
                            self.versions = VersionsPanel(
                                state, emit, host=host, publish=self.publishing.confirm_publish, **where
                            )
        self.settings.tools = self.runs
        self.canvas.on("save", self.publishing.save_now)
        self.canvas.on("help", self.show_help)
        self.canvas.on("ready", self.check_phone)
        self._show_collapsed()
        for view in (self.binding.on_change, self.on_change, self.settings.on_change, self.runs.on_change):
            state.subscribe(view)
        state.subscribe(self.versions.on_change)
        state.subscribe(self.keeper.on_change)
        ui.context.client.on_disconnect(self.keeper.keep_now)  # reload, Back, a closed tab: keep what is left
        self.settings.render()
        self.update_state()
        self.binding.show_dirty()
        self.show_issues()

    def _toolbar_status(self) -> None:
        """What the toolbar says: saved or not, the problems, the kept draft, a recovered draft (the
        last ones are cut short first when the toolbar is narrow)."""
        self.status = Said().classes("text-sm fa-desktop-only fa-shrink").props('data-testid="save-state"')
        self.issue_badge = ui.label().classes("text-sm fa-desktop-only").props('data-testid="issue-count"')
        self.warning_badge = ui.label().classes("text-sm fa-desktop-only").props('data-testid="warning-count"')
        self.warning_badge.style(f"color: {AMBER}")
        self.kept_label = (
            Said().classes("text-xs text-gray-500 fa-desktop-only fa-shrink").props('data-testid="draft-state"')
        )
        with ui.row().classes("items-center gap-1 no-wrap fa-recovered") as self.recovered:
            self.recovered_text = (
                Said().classes("text-sm text-orange-700 fa-shrink").props('data-testid="recovered-message"')
            )
            ui.button(t("editor.discard_recovered"), on_click=self.keeper.discard).props(
                'flat dense no-wrap size=sm data-testid="discard-recovered"'
            ).classes("fa-desktop-only").tooltip(t("editor.discard_recovered_tip"))
        self.recovered.set_visibility(False)

    def _toolbar(self) -> None:
        with ui.row().classes("w-full items-center gap-2 no-wrap"):
            ui.button(icon="arrow_back", on_click=lambda: ui.navigate.to("/")).props("flat dense round").tooltip(
                t("editor.back")
            )
            self.palette_toggle = (
                ui.button(icon="view_sidebar", on_click=lambda: self.toggle("palette"))
                .props('flat dense round data-testid="toggle-palette"')
                .classes("fa-desktop-only")
                .style("transform: scaleX(-1)")
                .tooltip(t("editor.toggle_palette"))
            )
            self.name_input = (
                ui.input(
                    value=self.state.draft.doc.get("name", ""),
                    on_change=lambda e: self.rename(e.value or ""),
                )
                .props('dense outlined data-testid="wf-name"')
                .classes("fa-editor-name")
            )
            with ui.row().classes("items-center gap-2 no-wrap fa-toolbar-status"):
                self._toolbar_status()
            ui.button(icon="keyboard", on_click=self.show_help).props(
                'flat dense round data-testid="shortcuts"'
            ).classes("fa-desktop-only").tooltip(t("editor.shortcuts"))
            with ui.row().classes("items-center gap-1 no-wrap fa-desktop-only") as self.draft_tools:
                ui.button(icon="undo", on_click=lambda: self.emit(i.Undo())).props(
                    'flat dense data-testid="undo"'
                ).tooltip(t("editor.undo"))
                ui.button(icon="redo", on_click=lambda: self.emit(i.Redo())).props(
                    'flat dense data-testid="redo"'
                ).tooltip(t("editor.redo"))
                ui.button(icon="fit_screen", on_click=lambda: self.canvas.run_method("fit")).props(
                    'flat dense data-testid="fit"'
                ).tooltip(t("editor.fit"))
                ui.button(icon="account_tree", on_click=lambda: self.binding.auto_layout()).props(
                    'flat dense data-testid="auto-layout"'
                ).tooltip(f"{t('editor.menu_layout')} (Shift+L)")
                ui.button(icon="sticky_note_2", on_click=self.add_note).props(
                    'flat dense data-testid="add-note"'
                ).tooltip(f"{t('editor.menu_note')} (Shift+N)")
                ui.button(
                    t("editor.group_stage"), icon="select_all", on_click=lambda: self.binding.group_selected()
                ).props('flat dense no-wrap data-testid="group-stage"').tooltip(t("editor.group_stage"))
                ui.button(t("editor.save"), icon="save", on_click=self.publishing.ask_save).props(
                    'no-wrap data-testid="save"'
                ).tooltip(t("editor.save"))  # below 1280 px the button is its icon alone
                ui.button(
                    t("editor.publish"), icon="publish", on_click=lambda: self.publishing.confirm_publish(None)
                ).props('no-wrap color=positive data-testid="publish"').tooltip(t("editor.publish"))
            self.panel_toggle = (
                ui.button(icon="view_sidebar", on_click=lambda: self.toggle("panel"))
                .props('flat dense round data-testid="toggle-panel"')
                .classes("fa-desktop-only")
                .tooltip(t("editor.toggle_panel"))
            )
            with ui.row().classes("items-center gap-1 no-wrap") as self.view_tools:
                ui.button(t("editor.back_to_draft"), icon="edit", on_click=lambda: self.emit(i.ShowDraft())).props(
                    'no-wrap data-testid="back-to-draft"'
                )
            self.view_tools.set_visibility(False)

    def _palette(self) -> None:
        registry = list(self.platform.registry)
        lang = language()
        titles = _titles(self.platform.registry)
        self.palette_items: list[tuple[ui.element, str, str]] = []  # (entry, node type, text searched)
        self.palette_groups: list[tuple[ui.label, list[str]]] = []
        with (
            ui.column()
            .classes("w-44 shrink-0 h-full overflow-auto gap-1 no-wrap fa-editor-palette")
            .props('data-testid="palette"') as self.palette
        ):
            self.search = (
                ui.input(placeholder=t("editor.palette_search"), on_change=lambda e: self.filter_palette(e.value or ""))
                .props('dense outlined clearable data-testid="palette-search"')
                .classes("w-full")
            )
            self.search.on("keydown.enter", self.add_first_match)
            ui.label(t("editor.palette_hint")).classes("text-xs text-gray-500")
            self.no_match = (
                ui.label(t("editor.palette_none")).classes("text-xs text-gray-500").props('data-testid="palette-none"')
            )
            self.no_match.set_visibility(False)
            for group, group_title in NODE_GROUPS.items():  # the definitions' groups, in palette order
                impls = [n for n in registry if n.group == group]
                if not impls:
                    continue
                heading = ui.label(group_title.get(lang)).classes("text-xs font-bold uppercase mt-2")
                self.palette_groups.append((heading, [impl.type for impl in impls]))
                for impl in impls:
                    item = (
                        ui.element("div")
                        .classes("w-full rounded border fa-palette-item px-2 py-1 text-sm cursor-grab select-none")
                        .props(f'draggable=true data-testid="{safe_id("palette", impl.type)}"')
                    )
                    with item:
                        ui.label(titles.get(impl.type) or impl.title)
                    item.tooltip(impl.definition.description.get(lang))
                    item.on(
                        "dragstart",
                        js_handler=f"(e) => e.dataTransfer.setData('application/flowai-node', {json.dumps(impl.type)})",
                    )
                    item.on("click", lambda _e, kind=impl.type: self.add_at_center(kind))
                    searched = " ".join(
                        [impl.type, impl.title, *(impl.definition.title.get(code) for code in LANGUAGES)]
                    ).casefold()
                    self.palette_items.append((item, impl.type, searched))

    async def check_phone(self) -> None:
        """On a phone the canvas is a read-only view (decided once, when it is drawn): so is the name."""
        try:
            phone = await ui.run_javascript(f"window.matchMedia('(max-width: {PHONE}px)').matches")
        except TimeoutError:
            return
        if phone:
            self.phone = True
            self.name_input.props["readonly"] = True
            self.name_input.value = self.state.draft.doc.get("name", "")
            self.name_input.update()

    def rename(self, name: str) -> None:
        if self.phone:
            return
        if self.state.editing and name != self.state.draft.doc.get("name"):
            self.emit(i.SetMeta("name", name))

    async def add_at_center(self, kind: str) -> None:
        """Add a node at the free spot nearest the middle of the view (never on top of another)."""
        if not self.state.editing:
            return
        try:
            spot = await self.canvas.run_method("freeSpot")
        except TimeoutError:
            spot = None
        if isinstance(spot, dict):
            x, y = float(spot.get("x", 0)), float(spot.get("y", 0))
        else:  # the canvas did not answer in time: beside the last one added
            x, y = (self._last_add[0] + 40, self._last_add[1] + 40) if self._last_add else (0.0, 0.0)
        self.emit(i.AddNode(kind, {"x": round(x), "y": round(y)}))

    # the palette's search ----------------------------------------------------------------
    def _matches(self, text: str) -> list[str]:
        words = text.casefold().split()
        return [kind for _, kind, searched in self.palette_items if all(w in searched for w in words)]

    def filter_palette(self, text: str) -> None:
        shown = set(self._matches(text))
        for item, kind, _ in self.palette_items:
            item.set_visibility(kind in shown)
        for heading, kinds in self.palette_groups:
            heading.set_visibility(any(k in shown for k in kinds))
        self.no_match.set_visibility(not shown)

    async def add_first_match(self) -> None:
        found = self._matches(self.search.value or "")
        if found:
            await self.add_at_center(found[0])
            self.search.value = ""

    # collapsible palette and side panel (remembered per user) ------------------------------------
    def toggle(self, which: str) -> None:
        key = f"editor_hide_{which}"
        app.storage.user[key] = not app.storage.user.get(key, False)
        self._show_collapsed()
        self.canvas.run_method("fitSoon")  # the canvas changed width: show the graph in it again

    def _show_collapsed(self) -> None:
        for which, element, button in (
            ("palette", self.palette, self.palette_toggle),
            ("panel", self.side, self.panel_toggle),
        ):
            hidden = bool(app.storage.user.get(f"editor_hide_{which}", False))
            element.classes(add="fa-collapsed" if hidden else "", remove="" if hidden else "fa-collapsed")
            element.props["data-collapsed"] = str(hidden).lower()
            button.props["color"] = "grey" if hidden else "primary"
            button.props["aria-pressed"] = str(not hidden).lower()

    async def add_note(self) -> None:
        if not self.state.editing:
            return
        try:
            spot = await self.canvas.run_method("freeSpot", None, {"w": 220, "h": 140})
        except TimeoutError:
            spot = None
        self.emit(i.AddNote(spot if isinstance(spot, dict) else {"x": 0, "y": 0}))

    def show_help(self) -> None:
        """The keyboard shortcuts, in a dialog (also opened with ``?``)."""
        with ui.dialog() as dialog, ui.card().props('data-testid="shortcut-help"').classes("min-w-[320px]"):
            ui.label(t("editor.shortcuts")).classes("text-lg font-medium")
            with ui.grid(columns=2).classes("gap-x-6 gap-y-1 items-center"):
                for keys, what in SHORTCUTS:
                    ui.label(keys).classes("font-mono text-sm bg-slate-100 rounded px-2 py-0.5 justify-self-start")
                    ui.label(t(what)).classes("text-sm").props('data-role="shortcut"')
            ui.label(t("editor.shortcuts_menu")).classes("text-xs text-gray-500")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor.close"), on_click=dialog.close).props('flat data-testid="shortcut-close"')
        dialog.on("hide", dialog.delete)
        dialog.open()

    # the page's own views of the state ----------------------------------------------------
    def on_change(self, c: Change) -> None:
        if c.run_only:
            return
        if isinstance(c.intent, i.AddNode) and c.added_nodes:  # where the next click-to-add goes
            pos = (self.state.draft.node(c.added_nodes[0]) or {}).get("position") or {}
            self._last_add = (pos.get("x", 0), pos.get("y", 0))
        if c.open_settings:
            self.panels.set_value("settings")
        if c.graph and self.state.editing and self.name_input.value != self.state.draft.doc.get("name", ""):
            self.name_input.value = self.state.draft.doc.get("name", "")  # a restored version, an undo
        if c.issues or c.selection:
            self.show_issues()
        self.update_state()
        if c.stale:
            self.validate_soon()

    def update_state(self) -> None:
        state = self.state
        if state.mode == "view":
            text, colour = t("editor.viewing", n=state.shown_label), BLUE
        elif state.mode == "diff":
            text, colour = t("editor.diffing", a=state.shown_label[0], b=state.shown_label[1]), BLUE
        elif state.unsaved:
            text, colour = t("editor.unsaved"), ORANGE
        else:
            text = t("editor.saved", n=state.base) + (
                t("editor.published_as", n=state.published) if state.published else ""
            )
            colour = GREEN
        self.status.text = text
        self.status.style(f"color: {colour}")
        self.status.props(f'data-dirty="{safe_id(str(state.dirty).lower())}"')
        kept_at = state.kept_at if state.editing and state.dirty and not state.unkept else None
        self.kept_label.text = t("editor.draft_kept", time=kept_at.strftime("%H:%M")) if kept_at else ""
        self.kept_label.set_visibility(kept_at is not None)
        recovered_at = state.recovered_at if state.editing else None
        if recovered_at is not None:
            self.recovered_text.text = t("editor.recovered", time=recovered_at.strftime("%H:%M"))
        self.recovered.set_visibility(recovered_at is not None)
        editing = state.editing
        self.draft_tools.set_visibility(editing)
        self.issue_badge.set_visibility(editing)
        self.warning_badge.set_visibility(editing and state.warning_count > 0)
        self.view_tools.set_visibility(not editing)

    def validate_soon(self, delay: float = VALIDATE_AFTER) -> None:
        if self._validate is not None:
            self._validate.cancel()
        self._validate = asyncio.get_running_loop().call_later(delay, self._validate_now)

    def _validate_now(self) -> None:
        self._validate = None
        self.emit(i.Validate())

    def show_issues(self) -> None:
        """The toolbar's counts and the problem list: errors (validation and the checklist), then
        the checklist's warnings; a row names its node (a click shows it) and links to the page that
        fixes it (Providers)."""
        state = self.state
        count, warned = state.issue_count, state.warning_count
        self.issue_badge.text = (
            t("editor.valid") if not count else t("editor.issue") if count == 1 else t("editor.issues", n=count)
        )
        self.issue_badge.style(f"color: {RED if count else GREY}")
        self.issue_badge.props(f'data-count="{safe_id(count)}"')
        self.warning_badge.text = t("editor.warning_one") if warned == 1 else t("editor.warning_count", n=warned)
        self.warning_badge.props(f'data-count="{safe_id(warned)}"')
        self.warning_badge.set_visibility(state.editing and warned > 0)
        links = {(c.get("node"), c["message"]): c["link"] for c in state.checklist if c.get("link")}
        self.issues_box.clear()
        with self.issues_box:
            for level, by_node, general, colour in (
                ("error", state.issues_by_node, state.general_issues, RED),
                ("warning", state.warnings_by_node, state.general_warnings, AMBER),
            ):
                rows = [(None, m) for m in general] + [
                    (n, m) for n, ms in by_node.items() if state.selected in (None, n) for m in ms
                ]
                if not rows:
                    continue
                title = t("editor.problems") if level == "error" else t("issues.check_warnings")
                ui.label(title).classes("text-sm font-medium").style(f"color: {colour}")
                for n, message in rows:
                    self._problem_row(level, n, message, links.get((n, message)), colour)

    def _named(self, node_id: str) -> str:
        """A node as a problem row names it: its label, else its type's title (never its id)."""
        node = self.state.draft.node(node_id) or {}
        return node.get("label") or self.state.draft.titles.get(str(node.get("type"))) or node_id

    def _problem_row(self, level: str, node: str | None, message: str, link: str | None, colour: str) -> None:
        state = self.state
        with (
            ui.row()
            .classes("w-full items-start gap-1 no-wrap")
            .props(f'data-testid="problem" data-level="{safe_id(level)}" data-node="{safe_id(node or "")}"')
        ):
            ui.icon("error" if level == "error" else "warning", size="xs").style(f"color: {colour}")
            with ui.column().classes("gap-0 grow").style("min-width: 0"):
                text = message if node is None or state.selected is not None else labelled(self._named(node), message)
                row = ui.label(text).classes("text-sm break-words").style(f"color: {colour}")
                if node is not None and state.selected is None:
                    row.classes("cursor-pointer hover:underline")
                    row.on("click", lambda _e, n=node: self.emit(i.SelectNode(n)))
                if link:
                    ui.link(t("issues.check_set_up"), link).classes("text-xs").props('data-testid="problem-link"')
