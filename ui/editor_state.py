"""The editor's state: the draft, what is selected and shown, the versions, the problems.

Plain Python (no NiceGUI), so it is tested without a browser. It changes only through
:meth:`EditorState.apply` with an intent record (``ui.editor_intents``); after each change it
calls every subscribed view with a :class:`Change` saying what changed, and the views (the canvas
binding, the panels, the toolbar) redraw what concerns them. Views read the state freely and
never write it.

Validation is injected (``validate`` raises ``GraphError``, e.g. ``platform.workflows.validate``):
edits mark the problems stale (``Change.stale``; the page validates shortly after, with a
``Validate`` intent); undo, redo and showing the draft again validate at once. The checklist
(``check``, optional: ``flowai.workflows.checklist`` worded for people) runs with validation: its
errors join the problems on the nodes, its warnings are kept apart (``warnings_by_node``).
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import editor_intents as i
from . import editor_wiring as wiring
from .editor_model import Draft
from .editor_notes import view as notes_view

Validator = Callable[[dict], Any]
Checker = Callable[[dict], list[dict[str, Any]]]  # the checklist in people's words: {node, level, message, link?}


@dataclass
class Change:
    """What one intent changed; the views read the state itself for the new values."""

    intent: i.Intent
    document: bool = False  # the draft document changed (so may the dirty flag)
    graph: bool = False  # the canvas shows a new graph: the draft after undo / restore, or a version
    fit: bool = False  # ... fitted to the view
    added_nodes: list[str] = field(default_factory=list)  # ids of nodes new in the draft (selected)
    added_edges: list[dict] = field(default_factory=list)
    removed_nodes: list[str] = field(default_factory=list)
    removed_edges: list[str] = field(default_factory=list)  # canvas edge ids
    patched: dict[str, dict] = field(default_factory=dict)  # node id -> changed fields of its card
    moved: dict[str, dict] = field(default_factory=dict)  # node id -> its new (absolute) position
    selection: bool = False  # the selected node (or the form it shows) changed
    reveal: bool = False  # show the selected node: select it on the canvas, open its settings
    open_settings: bool = False  # bring the settings panel forward
    variables: bool = False  # the selected node's upstream changed (its variable menu)
    inputs: bool = False  # the input node's fields may have changed (the test-run form)
    issues: bool = False  # new validation problems
    stale: bool = False  # the problems may be out of date: validate soon
    mode: bool = False  # draft / view / diff changed
    versions: bool = False  # a version was saved or published
    run_cleared: bool = False
    run_patches: dict[str, dict] = field(default_factory=dict)
    run_stream: dict[str, str] = field(default_factory=dict)
    added_notes: list[dict] = field(default_factory=list)  # notes new in the draft (their views)
    removed_notes: list[str] = field(default_factory=list)
    stages: bool = False  # the stage frames changed (grouped, renamed, removed, membership)
    run_stages: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage id -> {status, progress}
    run_loaded: bool = False  # another run's results are the ones shown (``last_run``)
    kept: bool = False  # the kept (autosaved) draft or the recovered notice changed

    @property
    def run_only(self) -> bool:
        return isinstance(self.intent, (i.RunCleared, i.RunProgress, i.RunStream, i.RunStages, i.RunLoaded))


class EditorState:
    def __init__(
        self, draft: Draft, *, validate: Validator, base: int, published: int | None, check: Checker | None = None
    ):
        self.draft = draft
        self.base = base  # the version the draft is based on (0: none saved yet)
        self.published = published
        self.mode = "draft"  # "view": a version read-only; "diff": two versions compared
        self.shown_doc: dict | None = None  # the document on the canvas when not the draft
        self.shown_view: dict | None = None  # its canvas graph
        self.shown_label: Any = None  # the version number (view) or the pair compared (diff)
        self.selected: str | None = None
        self.issues_by_node: dict[str, list[str]] = {}
        self.general_issues: list[str] = []
        self.warnings_by_node: dict[str, list[str]] = {}
        self.general_warnings: list[str] = []
        self.checklist: list[dict[str, Any]] = []  # the checklist's items, as ``check`` words them
        self._checker = check
        self.run: dict[str, dict[str, Any]] = {}  # node id -> the test run's status on it
        self.run_stages: dict[str, dict[str, Any]] = {}  # stage id -> the test run's status of it
        self.last_run: str | None = None  # the ended run whose results are shown (test run or loaded)
        self.run_outputs: dict[str, dict[str, Any]] = {}  # node id -> its outputs in that run
        self.kept_doc: dict = deepcopy(draft.doc)  # the draft as last kept on the server (autosave)
        self.kept_at: datetime | None = None  # when this page last kept it
        self.recovered_at: datetime | None = None  # opened with edits kept then (until saved or discarded)
        self._validate = validate
        self._views: list[Callable[[Change], None]] = []
        self._pending: list[Change] = []
        self._notifying = False
        self._handlers: dict[type, Callable[[Any], Change | None]] = {
            i.SelectNode: self._select_node,
            i.AddNode: self._add_node,
            i.Move: self._move,
            i.Connect: self._connect,
            i.Delete: self._delete,
            i.Unwire: self._unwire,
            i.DependOn: self._depend_on,
            i.AddConnected: self._add_connected,
            i.UpdateConfig: self._update_config,
            i.SetLabel: self._set_label,
            i.SetMeta: self._set_meta,
            i.Paste: self._paste,
            i.SetPin: self._set_pin,
            i.AddNote: self._add_note,
            i.EditNote: self._edit_note,
            i.RemoveNote: self._remove_note,
            i.AutoLayout: self._auto_layout,
            i.GroupStage: self._group_stage,
            i.RenameStage: self._rename_stage,
            i.RemoveStage: self._remove_stage,
            i.Undo: self._undo_redo,
            i.Redo: self._undo_redo,
            i.Restore: self._restore,
            i.ShowVersion: self._show_version,
            i.ShowDraft: self._show_draft,
            i.Saved: self._saved,
            i.Published: self._published,
            i.Unpublished: self._unpublished,
            i.Rebase: self._rebase,
            i.Discard: self._discard,
            i.Recover: self._recover,
            i.DraftKept: self._draft_kept,
            i.DiscardRecovered: self._discard_recovered,
            i.Validate: self._validate_now,
            i.ReportIssues: self._report_issues,
            i.RunCleared: self._run_cleared,
            i.RunProgress: self._run_progress,
            i.RunStream: self._run_stream,
            i.RunStages: self._run_stages,
            i.RunLoaded: self._run_loaded,
        }
        self._check()

    # reads ------------------------------------------------------------------------------
    @property
    def editing(self) -> bool:
        return self.mode == "draft"

    @property
    def dirty(self) -> bool:
        return self.draft.dirty

    @property
    def unsaved(self) -> bool:
        """Edits not in any version (or no version yet)."""
        return self.draft.dirty or not self.base

    @property
    def unkept(self) -> bool:
        """The draft has edits not kept on the server yet (leaving the page now would lose them)."""
        return self.draft.doc != self.kept_doc

    @property
    def doc(self) -> dict:
        """The document on the canvas: the draft, or the version shown."""
        return self.draft.doc if self.editing else (self.shown_doc or self.draft.doc)

    @property
    def selected_node(self) -> dict | None:
        if self.selected is None:
            return None
        return next((n for n in self.doc["nodes"] if n["id"] == self.selected), None)

    @property
    def issue_count(self) -> int:
        return sum(len(v) for v in self.issues_by_node.values()) + len(self.general_issues)

    @property
    def warning_count(self) -> int:
        return sum(len(v) for v in self.warnings_by_node.values()) + len(self.general_warnings)

    def review(self, document: dict | None = None) -> tuple[list[str], list[str]]:
        """What keeps a document from publishing (errors) and what to confirm (warnings), each
        "label: message": the draft's current problems, or another document's checklist."""

        def said(node: str | None, message: str, doc: dict) -> str:
            label = next((n.get("label") or n["id"] for n in doc["nodes"] if n.get("id") == node), None)
            return f"{label}: {message}" if label else message

        if document is None:
            doc = self.draft.doc
            errors = self.general_issues + [said(n, m, doc) for n, ms in self.issues_by_node.items() for m in ms]
            warnings = self.general_warnings + [said(n, m, doc) for n, ms in self.warnings_by_node.items() for m in ms]
            return errors, warnings
        items = self._checker(document) if self._checker is not None else []
        doc = {"nodes": [n for n in document.get("nodes") or [] if isinstance(n, dict)]}
        return (
            [said(c.get("node"), c["message"], doc) for c in items if c.get("level") == "error"],
            [said(c.get("node"), c["message"], doc) for c in items if c.get("level") != "error"],
        )

    def label_of(self, node_id: str) -> str:
        return (self.draft.node(node_id) or {}).get("label") or node_id

    # changes ----------------------------------------------------------------------------
    def subscribe(self, view: Callable[[Change], None]) -> None:
        """Call ``view(change)`` after every change, in subscription order."""
        self._views.append(view)

    def apply(self, intent: i.Intent) -> Change | None:
        """Make the change ``intent`` asks for; None when it changes nothing (or is not allowed
        now: an edit while a version is shown). A view that emits while being told of a change
        is told of its own change after every view has seen the first."""
        if isinstance(intent, i.EDITING) and not self.editing:
            return None
        change = self._handlers[type(intent)](intent)
        if change is not None:
            self._pending.append(change)
            if not self._notifying:
                self._notify()
        return change

    def _notify(self) -> None:
        self._notifying = True
        try:
            while self._pending:
                change = self._pending.pop(0)
                for view in list(self._views):
                    view(change)
        finally:
            self._notifying = False

    def _check(self) -> None:
        self.issues_by_node, self.general_issues = self.draft.issues(self._validate)
        self._run_checklist()

    def _run_checklist(self) -> None:
        self.warnings_by_node, self.general_warnings = {}, []
        self.checklist = self._checker(self.draft.doc) if self._checker is not None else []
        for item in self.checklist:
            error = item.get("level") == "error"
            node = item.get("node")
            if node is not None and self.draft.node(node) is not None:
                (self.issues_by_node if error else self.warnings_by_node).setdefault(node, []).append(item["message"])
            else:
                (self.general_issues if error else self.general_warnings).append(item["message"])

    # the handlers, one per intent type (``self._handlers``) ----------------------------------------------------
    def _select_node(self, it: i.SelectNode) -> Change | None:
        if it.on_canvas:
            moved = it.node != self.selected
            self.selected = it.node
            if not moved and it.node is None:
                return None
            return Change(it, selection=moved, open_settings=it.node is not None)
        self.selected = it.node
        shown = it.node is not None
        return Change(it, selection=True, reveal=shown, open_settings=shown)

    def _add_node(self, it: i.AddNode) -> Change | None:
        if self.draft.registry.get(it.type) is None:
            return None
        node = self.draft.add_node(it.type, it.position, it.parent)
        self.selected = node["id"]
        return Change(
            it,
            document=True,
            stale=True,
            added_nodes=[node["id"]],
            selection=True,
            reveal=True,
            open_settings=True,
            inputs=it.type == "input",
        )

    def _move(self, it: i.Move) -> Change:
        refused = self.draft.move(it.positions, it.parents, it.stages)
        if refused:  # the canvas put a node where it cannot go: draw the draft as it is
            return Change(it, document=True, stale=True, graph=True, selection=True)
        moved = bool(it.parents or it.stages)
        return Change(it, document=True, stale=moved, variables=bool(it.parents), stages=bool(it.stages))

    def _add_note(self, it: i.AddNote) -> Change:
        note = self.draft.add_note(it.position, it.text)
        view = next(v for v in notes_view(self.draft.doc) if v["id"] == note["id"])
        return Change(it, document=True, added_notes=[view])

    def _edit_note(self, it: i.EditNote) -> Change | None:
        if not self.draft.edit_note(it.note, text=it.text, position=it.position, size=it.size):
            return None
        return Change(it, document=True)

    def _remove_note(self, it: i.RemoveNote) -> Change | None:
        if not self.draft.remove_note(it.note):
            return None
        return Change(it, document=True, removed_notes=[] if it.on_canvas else [it.note])

    def _auto_layout(self, it: i.AutoLayout) -> Change | None:
        if not self.draft.arrange(it.positions, it.notes):
            return None
        return Change(it, document=True)

    def _group_stage(self, it: i.GroupStage) -> Change | None:
        if self.draft.group_stage(list(it.nodes), it.label) is None:
            return None
        return Change(it, document=True, stale=True, stages=True)

    def _rename_stage(self, it: i.RenameStage) -> Change | None:
        if not self.draft.rename_stage(it.stage, it.label):
            return None
        return Change(it, document=True, stale=True, stages=True)

    def _remove_stage(self, it: i.RemoveStage) -> Change | None:
        if not self.draft.remove_stage(it.stage):
            return None
        return Change(it, document=True, stale=True, stages=True)

    def _connect(self, it: i.Connect) -> Change | None:
        edge = {"source": it.source, "source_port": it.source_port, "target": it.target, "target_port": it.target_port}
        if self.draft.connect(edge) is None:
            return None
        return Change(
            it, document=True, stale=True, variables=self.selected == it.target, patched=self._faces([it.target])
        )

    def _faces(self, node_ids: list[str]) -> dict[str, dict]:
        """The card summaries of these nodes (a wire into a field shows its source there)."""
        return {n: {"summary": self.draft.summary(node)} for n in node_ids if (node := self.draft.node(n)) is not None}

    def _unwire(self, it: i.Unwire) -> Change | None:
        gone = wiring.unwire(self.draft, it.node, it.port)
        if not gone:
            return None
        return Change(
            it,
            document=True,
            stale=True,
            removed_edges=[wiring.edge_id(e) for e in gone],
            variables=self.selected == it.node,
            patched=self._faces([it.node]),
        )

    def _depend_on(self, it: i.DependOn) -> Change | None:
        edge = wiring.depend_on(self.draft, it.node, it.upstream)
        if edge is None:
            return None
        return Change(it, document=True, stale=True, added_edges=[edge], variables=self.selected == it.node)

    def _add_connected(self, it: i.AddConnected) -> Change | None:
        before = {n["id"]: n.get("position") for n in self.draft.doc["nodes"]}
        made = wiring.add_connected(
            self.draft,
            it.type,
            it.position,
            parent=it.parent,
            upstream=it.upstream,
            downstream=it.downstream,
            room=it.room,
        )
        if made is None:
            return None
        node, added, removed = made
        self.selected = node["id"]
        nodes = self.draft.doc["nodes"]
        moved = {n["id"]: n["position"] for n in nodes if before.get(n["id"], n["position"]) != n["position"]}
        return Change(
            it,
            document=True,
            stale=True,
            moved=moved,  # nodes that made room for it
            added_nodes=[node["id"]],
            added_edges=added,
            removed_edges=removed,
            patched=self._faces([e["target"] for e in added]),
            selection=True,
            reveal=True,
            open_settings=True,
            inputs=it.type == "input",
        )

    def _delete(self, it: i.Delete) -> Change | None:
        targets = [e.get("target") for e in it.edges] + [
            e["target"] for e in self.draft.doc["edges"] if e["source"] in it.nodes
        ]
        nodes, edges = self.draft.remove(list(it.nodes), list(it.edges))
        if not nodes and not edges:
            return None
        change = Change(it, document=True, stale=True, inputs=True, stages=True)
        change.patched = self._faces([str(n) for n in dict.fromkeys(targets) if n and n not in nodes])
        change.variables = self.selected in targets
        if not it.on_canvas:
            change.removed_nodes, change.removed_edges = nodes, edges
        else:  # a loop removed on the canvas takes the nodes inside it along
            change.removed_nodes = [n for n in nodes if n not in it.nodes]
        if self.selected in nodes:
            self.selected = None
            change.selection = True
        return change

    def _update_config(self, it: i.UpdateConfig) -> Change | None:
        draft = self.draft
        result = draft.set_config(it.node, it.key, it.value)
        node = draft.node(it.node)
        if node is None:
            return None
        patch: dict[str, Any] = {"summary": draft.summary(node)}
        if result["ports"]:
            view = draft.node_view(node)["data"]
            patch.update(inputs=view["inputs"], outputs=view["outputs"])
        change = Change(
            it,
            document=True,
            stale=True,
            patched={it.node: patch},
            removed_edges=result["removed"],
            added_edges=result["added"],
            inputs=node.get("type") == "input",
        )
        for other in result["touched"]:  # their {{node.port}} references followed a renamed port
            change.patched[other] = {"summary": draft.summary(draft.node(other) or {})}
        return change

    def _set_label(self, it: i.SetLabel) -> Change:
        self.draft.set_label(it.node, it.label or "")
        fed = [e["target"] for e in self.draft.doc["edges"] if e["source"] == it.node and e.get("target_port")]
        patched = {**self._faces(fed), it.node: {"label": it.label or ""}}  # "← label · port" on the cards it feeds
        return Change(it, document=True, stale=True, patched=patched)

    def _set_meta(self, it: i.SetMeta) -> Change:
        self.draft.set_meta(it.key, it.value)
        return Change(it, document=True, stale=True)

    def _set_pin(self, it: i.SetPin) -> Change | None:
        if not self.draft.set_pin(it.node, it.outputs):
            return None
        return Change(it, document=True, stale=True, patched={it.node: {"pinned": self.draft.pin_text(it.node)}})

    def _paste(self, it: i.Paste) -> Change | None:
        nodes, edges = self.draft.paste(it.clip, it.position)
        if not nodes:
            return None
        return Change(
            it,
            document=True,
            stale=True,
            added_nodes=[n["id"] for n in nodes],
            added_edges=edges,
            inputs=any(n["type"] == "input" for n in nodes),
        )

    def _undo_redo(self, it: i.Undo | i.Redo) -> Change | None:
        if not (self.draft.undo() if isinstance(it, i.Undo) else self.draft.redo()):
            return None
        return self._redrawn(it, fit=False)

    def _restore(self, it: i.Restore) -> Change:
        self.draft.replace(it.document)
        return self._show_draft(it)

    def _show_version(self, it: i.ShowVersion) -> Change:
        self.mode, self.shown_doc, self.shown_label, self.shown_view = it.mode, it.document, it.label, it.view
        self.selected = None
        return Change(it, graph=True, fit=True, selection=True, mode=True)

    def _show_draft(self, it: i.ShowDraft | i.Restore) -> Change:
        self.mode, self.shown_doc, self.shown_label, self.shown_view = "draft", None, None, None
        self.selected = None
        change = self._redrawn(it, fit=True)
        change.mode = True
        return change

    def _redrawn(self, it: i.Intent, *, fit: bool) -> Change:
        """The draft drawn anew (undo, redo, back from a version): problems checked at once."""
        if self.selected is not None and self.draft.node(self.selected) is None:
            self.selected = None
        self._check()
        return Change(it, document=True, graph=True, fit=fit, selection=True, inputs=True, issues=True)

    def _saved(self, it: i.Saved) -> Change:
        self.base = it.version
        self.draft.mark_saved()
        # the version is the draft now: nothing left to keep or to say was recovered
        self.kept_doc, self.kept_at, self.recovered_at = deepcopy(self.draft.doc), None, None
        return Change(it, versions=True, kept=True)

    def _published(self, it: i.Published) -> Change:
        self.published = it.version
        return Change(it, versions=True)

    def _unpublished(self, it: i.Unpublished) -> Change:
        self.published = None
        return Change(it, versions=True)

    def _rebase(self, it: i.Rebase) -> Change:
        self.base = it.version
        return Change(it)

    def _discard(self, it: i.Discard) -> Change:
        self.draft.mark_saved()
        self.kept_doc = deepcopy(self.draft.doc)
        return Change(it)

    def _recover(self, it: i.Recover) -> Change:
        self.draft.replace(it.document)
        self.kept_doc, self.recovered_at = deepcopy(self.draft.doc), it.at
        change = self._redrawn(it, fit=True)
        change.kept = True
        return change

    def _draft_kept(self, it: i.DraftKept) -> Change:
        self.kept_doc, self.kept_at = deepcopy(it.document), it.at
        return Change(it, kept=True)

    def _discard_recovered(self, it: i.DiscardRecovered) -> Change:
        self.draft.replace(it.document)
        self.draft.mark_saved()
        self.base, self.recovered_at, self.kept_at = it.version, None, None
        self.kept_doc = deepcopy(self.draft.doc)
        change = self._redrawn(it, fit=True)
        change.kept = True
        return change

    def _validate_now(self, it: i.Validate) -> Change | None:
        if not self.editing:
            return None
        self._check()
        return Change(it, issues=True)

    def _report_issues(self, it: i.ReportIssues) -> Change:
        self.issues_by_node, self.general_issues = self.draft.locate(list(it.issues))
        self._run_checklist()
        return Change(it, issues=True)

    def _run_cleared(self, it: i.RunCleared) -> Change:
        self.run, self.run_stages = {}, {}
        return Change(it, run_cleared=True)

    def _run_progress(self, it: i.RunProgress) -> Change:
        for node, patch in it.patches.items():
            self.run.setdefault(node, {}).update(patch)
        return Change(it, run_patches=dict(it.patches))

    def _run_stages(self, it: i.RunStages) -> Change:
        self.run_stages.update(it.stages)
        return Change(it, run_stages=dict(it.stages))

    def _run_loaded(self, it: i.RunLoaded) -> Change:
        self.last_run, self.run_outputs = it.run_id, dict(it.outputs)
        return Change(it, run_loaded=True)

    def _run_stream(self, it: i.RunStream) -> Change:
        for node, text in it.chunks.items():
            entry = self.run.setdefault(node, {})
            entry["stream"] = entry.get("stream", "") + text
        return Change(it, run_stream=dict(it.chunks))
