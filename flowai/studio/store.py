"""Where studio projects are kept (storage.studio_store.DbProjectStore implements it)."""

from __future__ import annotations

from typing import Any, Protocol


class ProjectStore(Protocol):
    """Rows as plain dicts: id, owner_id, name, workflow_id, run_id, edits, created_at, updated_at."""

    def add(self, *, project_id: str, owner_id: int, name: str, workflow_id: str, run_id: str) -> dict[str, Any]: ...

    def get(self, project_id: str) -> dict[str, Any] | None: ...

    def page(self, *, owner_id: int, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]: ...

    def update(self, project_id: str, *, run_id: str | None = None, edits: dict[str, Any] | None = None) -> None: ...
