"""Saving and publishing from the editor: versions based on the page's version, conflicts, publish;
and keeping the draft (autosave) between versions.

The draft is kept on the server a second after the last edit (:class:`DraftKeeper`), never as a
version: a reload, Back, a closed tab or a crash loses nothing, and the editor opens again with the
kept edits over the saved version ("Restored your unsaved changes…", with Discard). Two tabs keep
their drafts in turn (the last one wins); saving a version still checks its base.

A save passes the version the draft is based on, so when another tab (or person) saved
meanwhile the user gets a conflict dialog, never a silent overwrite; a failed save says why
and keeps the edit.

A view of the editor's state: it reads the draft and the version it is based on, and reports
what happened as intents (``Saved``, ``Published``, ``Rebase``, ``Discard``, ``ReportIssues``,
``DraftKept``, ``DiscardRecovered``).
"""

from __future__ import annotations

import asyncio
import copy
import logging

from nicegui import ui

from flowai.errors import ConflictError, FlowAIError, GraphError, NotFoundError
from flowai.platform import Platform

from . import editor_intents as i
from .editor_hosted import hosted
from .editor_state import Change, EditorState
from .i18n import t

log = logging.getLogger("flowai.ui")
KEEP_AFTER = 1.0  # seconds of quiet after an edit before the draft is kept on the server


class DraftKeeper:
    """Keeps the draft on the server shortly after each edit (the workflow's draft, not a version)."""

    def __init__(self, state: EditorState, emit: i.Emit, *, platform: Platform, account_id: int, workflow_id: str):
        self.state = state
        self.emit = emit
        self.platform = platform
        self.account_id = account_id
        self.workflow_id = workflow_id
        self._timer: asyncio.TimerHandle | None = None

    def on_change(self, c: Change) -> None:
        if c.document and not c.run_only and self.state.unkept:
            self.keep_soon()

    def keep_soon(self, delay: float = KEEP_AFTER) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self.keep_now)

    def keep_now(self) -> None:
        """Keep the draft now if it has edits not kept yet (also when the page goes away)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        state = self.state
        if not state.unkept:
            return
        document = copy.deepcopy(state.draft.doc)
        try:
            at = self.platform.workflows.keep_draft(
                owner_id=self.account_id, workflow_id=self.workflow_id, document=document, base_version=state.base
            )
        except NotFoundError:  # deleted meanwhile: nothing to keep it in
            return
        except Exception:  # the database is gone, a disk is full...: the page still asks before leaving
            log.exception("keeping the draft of workflow %s failed", self.workflow_id)
            return
        self.emit(i.DraftKept(document, at))

    def discard(self) -> None:
        """Drop the recovered edits: the latest version is the draft again."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            document, number = self.platform.workflows.drop_draft(
                owner_id=self.account_id, workflow_id=self.workflow_id
            )
        except FlowAIError as exc:
            ui.notify(t("editor_save.discard_failed", message=exc.message), type="negative")
            return
        self.emit(i.DiscardRecovered(document, number))


class Publishing:
    def __init__(
        self,
        state: EditorState,
        emit: i.Emit,
        *,
        platform: Platform,
        account_id: int,
        workflow_id: str,
        host: ui.element,
    ):
        self.state = state
        self.emit = emit
        self.platform = platform
        self.account_id = account_id
        self.workflow_id = workflow_id
        self.host = host  # a stable element for the dialogs

    @hosted
    def ask_save(self) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-96").props('data-testid="save-dialog"'):
            message = (
                ui.input(t("editor_save.save_message")).props('autofocus data-testid="save-message"').classes("w-full")
            )

            def go() -> None:
                dialog.close()
                self.save(message.value or "")

            message.on("keydown.enter", go)
            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor_save.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("editor_save.save"), on_click=go).props('data-testid="save-confirm"')
        dialog.open()

    def save_now(self) -> None:
        if self.state.editing:
            self.save("")

    @hosted
    def save(self, message: str = "") -> int | None:
        """Save the draft as a new version; None when it was not saved (the edits stay)."""
        state = self.state
        if not state.unsaved:
            ui.notify(t("editor_save.no_changes", n=state.base))
            return state.base
        try:
            version = self.platform.workflows.save(
                owner_id=self.account_id,
                workflow_id=self.workflow_id,
                document=state.draft.doc,
                base_version=state.base,
                message=message,
                user_id=self.account_id,
            )
        except ConflictError as exc:
            self.conflict((exc.detail or {}).get("current_version"))
            return None
        except GraphError as exc:
            self.emit(i.ReportIssues(tuple(exc.issues)))
            ui.notify(t("editor_save.save_invalid", message=exc.message), type="negative", multi_line=True)
            return None
        except FlowAIError as exc:
            ui.notify(t("editor_save.save_failed", message=exc.message), type="negative", multi_line=True)
            return None
        except Exception as exc:  # the database is gone, a disk is full...: say so, keep the edit
            log.exception("saving workflow %s failed", self.workflow_id)
            ui.notify(t("editor_save.save_failed", message=type(exc).__name__), type="negative")
            return None
        self.emit(i.Saved(version.number))
        ui.notify(t("editor_save.saved_toast", n=version.number), type="positive")
        return version.number

    @hosted
    def conflict(self, current: int | None) -> None:
        with ui.dialog().props("persistent") as dialog, ui.card().classes("w-[30rem]").props('data-testid="conflict"'):
            ui.label(t("editor_save.conflict", n=current)).classes("text-base").props('data-testid="conflict-message"')

            def reload() -> None:
                self.emit(i.Discard())
                try:  # this tab's kept edits go too, or the reload would restore them
                    self.platform.workflows.drop_draft(owner_id=self.account_id, workflow_id=self.workflow_id)
                except FlowAIError:
                    pass
                ui.navigate.reload()

            def keep() -> None:
                dialog.close()
                assert current is not None  # (offered only then)
                self.emit(i.Rebase(current))
                self.save("")

            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor_save.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("editor_save.conflict_reload"), on_click=reload).props('flat data-testid="conflict-reload"')
                if current is not None:
                    ui.button(t("editor_save.conflict_keep", n=current + 1), on_click=keep).props(
                        'data-testid="conflict-keep"'
                    )
        dialog.open()

    @hosted
    def confirm_publish(self, version: int | None) -> None:
        """Publish after a confirmation; the checklist's errors refuse it (listed), its warnings
        are listed in the confirmation."""
        if version is None:
            errors, warnings = self.state.review()
        else:
            v = self.platform.workflows.version(owner_id=self.account_id, workflow_id=self.workflow_id, number=version)
            errors, warnings = self.state.review(v.document)
        if errors:
            self.refuse_publish(errors)
            return
        text = (
            t("editor_save.publish_confirm") if version is None else t("editor_save.publish_version_confirm", n=version)
        )
        with ui.dialog() as dialog, ui.card().classes("w-[28rem]").props('data-testid="publish-dialog"'):
            ui.label(text).classes("text-base").props('data-testid="publish-text"')
            if warnings:
                with ui.column().classes("w-full gap-1").props('data-testid="publish-warnings"'):
                    ui.label(t("editor_save.publish_warnings")).classes("text-sm font-medium text-amber-700")
                    for w in warnings[:12]:
                        ui.label(w).classes("text-sm text-amber-700 break-words")
                    if len(warnings) > 12:
                        ui.label(f"… (+{len(warnings) - 12})").classes("text-sm text-amber-700")

            def go() -> None:
                dialog.close()
                self.publish(version)

            with ui.row().classes("w-full justify-end"):
                ui.button(t("editor_save.cancel"), on_click=dialog.close).props("flat")
                ui.button(t("editor_save.confirm"), on_click=go).props('color=positive data-testid="publish-confirm"')
        dialog.open()

    def refuse_publish(self, errors: list[str]) -> None:
        with ui.dialog() as dialog, ui.card().classes("w-[28rem]").props('data-testid="publish-refused"'):
            ui.label(t("editor_save.publish_refused_title", n=len(errors))).classes("text-base font-medium")
            ui.label(t("editor_save.publish_refused")).classes("text-sm")
            for e in errors[:12]:
                ui.label(e).classes("text-sm text-red-700 break-words")
            if len(errors) > 12:
                ui.label(f"… (+{len(errors) - 12})").classes("text-sm text-red-700")
            with ui.row().classes("w-full justify-end"):
                close = ui.button(t("editor_save.close"), on_click=dialog.close)
                close.props('flat data-testid="publish-refused-close"')
        dialog.open()

    @hosted
    def publish(self, version: int | None) -> None:
        """Publish ``version``; None: the current draft (saved first when it has changes)."""
        state = self.state
        if version is None:
            if not state.editing:
                return
            if state.unsaved:
                version = self.save("Published")
                if version is None:
                    return
            else:
                latest = self.platform.workflows.get(owner_id=self.account_id, workflow_id=self.workflow_id)
                if latest.latest_version != state.base:  # saved elsewhere: this page's version is not the latest
                    self.conflict(latest.latest_version)
                    return
                version = state.base
        try:
            number = self.platform.workflows.publish(
                owner_id=self.account_id, workflow_id=self.workflow_id, version=version, user_id=self.account_id
            )
        except FlowAIError as exc:
            if isinstance(exc, GraphError):
                self.emit(i.ReportIssues(tuple(exc.issues)))
            ui.notify(t("editor_save.publish_failed", message=exc.message), type="negative", multi_line=True)
            return
        self.emit(i.Published(number))
        self.show_published(number)

    def show_published(self, number: int) -> None:
        wf_id = self.workflow_id
        with ui.dialog() as dialog, ui.card().classes("w-[30rem]").props('data-testid="published-dialog"'):
            ui.label(t("editor_save.published", n=number)).classes("text-base")
            with ui.row().classes("items-center gap-2"):
                ui.label(wf_id).classes("font-mono text-lg").props('data-testid="published-id"')

                def copy() -> None:
                    ui.clipboard.write(wf_id)
                    ui.notify(t("editor_save.copied"))

                ui.button(t("editor_save.copy"), icon="content_copy", on_click=copy).props(
                    'flat dense data-testid="copy-id"'
                )
            ui.label(t("editor_save.call_hint", id=wf_id)).classes("text-xs text-gray-600")
            with ui.row().classes("w-full items-center"):
                ui.link(t("editor_save.api_link"), f"/api-keys?workflow={wf_id}").props(
                    'data-testid="published-api-link"'
                ).classes("text-sm")
                ui.space()
                ui.button(t("editor_save.close"), on_click=dialog.close).props('flat data-testid="published-close"')
        dialog.open()
