"""What the editor's panels (settings, test runs, publishing, versions) use of the editor page.

``ui.editor`` builds the panels and hands each the page; the panels type it with this protocol
instead of importing ``ui.editor`` back, so no import cycle runs between the page and its parts.
"""

from __future__ import annotations

from typing import Any, Protocol

from nicegui import ui

from flowai.platform import Platform

from .canvas import FlowCanvas
from .editor_model import Draft


class Refreshable(Protocol):
    def refresh(self) -> None: ...


class PublishPrompt(Protocol):
    def confirm_publish(self, version: int | None) -> None: ...


class EditorHost(Protocol):
    platform: Platform
    user: Any  # the signed-in account (storage.models.User)
    workflow_id: str
    base: int  # the version the draft is based on
    published: int | None
    draft: Draft
    mode: str  # "draft", "view" (a version read-only) or "diff"
    shown_doc: dict | None
    selected: str | None
    canvas: FlowCanvas
    host: ui.element
    name_input: ui.input

    @property
    def publishing(self) -> PublishPrompt: ...

    @property
    def versions(self) -> Refreshable: ...

    def changed(self, *, validate: bool = True, inputs: bool = False) -> None: ...

    def select(self, node_id: str | None) -> None: ...

    def apply_issues(self, issues: list[dict]) -> None: ...

    def update_state(self) -> None: ...

    def show_draft(self) -> None: ...

    def show_readonly(self, mode: str, doc: dict, label: Any, view: dict) -> None: ...
