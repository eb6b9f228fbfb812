"""The video-studio projects' table behind ``flowai.studio.store.ProjectStore``: one transaction per
method; answers are plain dicts (no rows leave this module)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, func, select

from .db import session
from .models import StudioProject, utcnow


def _plain(row: StudioProject) -> dict[str, Any]:
    return row.model_dump()


class DbProjectStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, *, project_id: str, owner_id: int, name: str, workflow_id: str, run_id: str) -> dict[str, Any]:
        with session(self.engine) as s:
            row = StudioProject(id=project_id, owner_id=owner_id, name=name, workflow_id=workflow_id, run_id=run_id)
            s.add(row)
            s.commit()
            s.refresh(row)
            return _plain(row)

    def get(self, project_id: str) -> dict[str, Any] | None:
        with session(self.engine) as s:
            row = s.get(StudioProject, project_id)
            return _plain(row) if row is not None else None

    def page(self, *, owner_id: int, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The owner's projects, newest first, and how many there are."""
        with session(self.engine) as s:
            mine = select(StudioProject).where(StudioProject.owner_id == owner_id)
            total = s.exec(select(func.count()).select_from(mine.subquery())).one()
            rows = s.exec(mine.order_by(col(StudioProject.created_at).desc()).offset(offset).limit(limit)).all()
            return [_plain(r) for r in rows], int(total)

    def update(self, project_id: str, *, run_id: str | None = None, edits: dict[str, Any] | None = None) -> None:
        with session(self.engine) as s:
            row = s.get(StudioProject, project_id)
            if row is None:
                return
            if run_id is not None:
                row.run_id = run_id
            if edits is not None:
                row.edits = edits
            row.updated_at = utcnow()
            s.add(row)
            s.commit()
