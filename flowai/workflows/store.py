"""Workflows: validate, save immutable versions, publish, import and export.

Every write validates the document first and happens in one transaction, so a bad document
never leaves a half-written version behind. Compiled graphs are cached by (workflow, version):
versions are immutable, so the cache never goes stale.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import Engine

from flowai.errors import ConflictError, InputError, NotFoundError
from flowai.workflows.graph import FORMAT, CompiledGraph, compile_graph
from nodes import Registry
from storage import queries
from storage.db import session
from storage.models import Workflow, WorkflowVersion, utcnow

PUBLISHED_TTL = 1.0  # seconds another process's publish may take to be seen by the run API
UNVERSIONED = ("format", "name")  # draft keys a kept draft may differ in from its version and still be "no edits"


@dataclass(frozen=True)
class KeptDraft:
    """A draft holding edits that no version has: the editor's autosave, found when it opens again."""

    document: dict  # the draft as the editor kept it (not necessarily valid)
    base: int  # the version it is based on
    saved: dict  # that version's document (what discarding the edits goes back to)
    at: datetime  # when it was kept (UTC)


def _same_graph(a: dict, b: dict) -> bool:
    """Whether two documents differ in no more than their name (a rename keeps no version)."""
    return {k: v for k, v in a.items() if k not in UNVERSIONED} == {k: v for k, v in b.items() if k not in UNVERSIONED}


class Workflows:
    def __init__(self, db: Engine, registry: Registry, *, clock: Callable[[], float] = time.monotonic):
        self.db = db
        self.registry = registry
        self.clock = clock  # what the published-version cache's age is read from (tests move it forward)
        self._published: dict[str, tuple[float, int, int | None]] = {}
        self.compiled = lru_cache(maxsize=512)(self._compile_version)

    # validation ---------------------------------------------------------------------------
    def validate(self, document: Any) -> CompiledGraph:
        """Compile the document; raises GraphError with located issues."""
        return compile_graph(document, self.registry)

    def ran(self, run: Any) -> CompiledGraph:
        """The graph a run ran: the document recorded with it where there is one (an editor's unsaved
        draft; a regenerated run, whose node configs were overridden), else its version's, compiled.
        ``run``: a runs row (``workflow_id``, ``version``, ``graph``)."""
        if run.graph:
            return self.validate(run.graph)
        return self.compiled(run.workflow_id, run.version)

    def _normalise(self, document: Any) -> dict:
        """The document as stored: validated, defaults filled in; the keys of later additions
        (a node's ``parent``, the ``stages``, the ``pins``, the ``notes``) only where used, so a document without them
        reads back exactly as before they existed."""
        graph = self.validate(document)
        doc = graph.doc.model_dump(mode="json")
        for node in doc["nodes"]:
            if node.get("parent") is None:
                node.pop("parent", None)
        for key in ("stages", "pins", "notes"):
            if not doc.get(key):
                doc.pop(key, None)
        return doc

    # reads ------------------------------------------------------------------------------
    def get(self, *, owner_id: int, workflow_id: str) -> Workflow:
        with session(self.db) as s:
            wf = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
        if wf is None:
            raise NotFoundError(f"Workflow {workflow_id} was not found.")
        return wf

    def list(self, *, owner_id: int, offset: int = 0, limit: int = 100) -> tuple[list[Workflow], int]:
        with session(self.db) as s:
            return queries.list_workflows(s, owner_id=owner_id, offset=offset, limit=limit)

    def owner_of(self, workflow_id: str) -> int | None:
        """The owning account of a workflow, or None when there is no such workflow."""
        with session(self.db) as s:
            return queries.workflow_owner(s, workflow_id=workflow_id)

    def version_page(
        self, *, owner_id: int, workflow_id: str, offset: int = 0, limit: int = 20
    ) -> tuple[builtins.list[WorkflowVersion], int]:
        """Versions newest first, without their documents (``.document`` is not loaded)."""
        self.get(owner_id=owner_id, workflow_id=workflow_id)
        with session(self.db) as s:
            return queries.page_versions(s, workflow_id=workflow_id, offset=offset, limit=limit)

    def versions(self, *, owner_id: int, workflow_id: str) -> builtins.list[WorkflowVersion]:
        self.get(owner_id=owner_id, workflow_id=workflow_id)
        with session(self.db) as s:
            return queries.list_versions(s, workflow_id=workflow_id)

    def version(self, *, owner_id: int, workflow_id: str, number: int) -> WorkflowVersion:
        self.get(owner_id=owner_id, workflow_id=workflow_id)
        with session(self.db) as s:
            v = queries.get_version(s, workflow_id=workflow_id, number=number)
        if v is None:
            raise NotFoundError(f"Workflow {workflow_id} has no version {number}.")
        return v

    def export(self, *, owner_id: int, workflow_id: str, version: int | None = None) -> dict:
        if version is None:
            return {"format": FORMAT, **self.get(owner_id=owner_id, workflow_id=workflow_id).draft}
        return self.version(owner_id=owner_id, workflow_id=workflow_id, number=version).document

    # the editor's kept (autosaved) draft -----------------------------------------------------
    def keep_draft(self, *, owner_id: int, workflow_id: str, document: Any, base_version: int) -> datetime:
        """Keep ``document`` as the draft, based on version ``base_version``, without making a version
        (the editor's autosave, possibly mid-edit and invalid). Two editors: the last one kept wins;
        saving a version still answers a conflict when its base moved. Returns when it was kept."""
        if not isinstance(document, dict) or not isinstance(document.get("nodes", []), builtins.list):
            raise InputError("A draft is a flowai/1 document (an object with a list of nodes).")
        with session(self.db) as s:
            wf = queries.keep_draft(
                s, workflow_id=workflow_id, owner_id=owner_id, document=document, base_version=base_version
            )
            if wf is None:
                raise NotFoundError(f"Workflow {workflow_id} was not found.")
            s.commit()
            return wf.updated_at

    def kept_draft(self, *, owner_id: int, workflow_id: str) -> KeptDraft | None:
        """The draft when it holds edits its version does not (kept by an editor and not saved), else None."""
        wf = self.get(owner_id=owner_id, workflow_id=workflow_id)
        if not wf.draft_base:
            return None
        with session(self.db) as s:
            v = queries.get_version(s, workflow_id=workflow_id, number=wf.draft_base)
        if v is None or _same_graph(wf.draft, v.document):
            return None
        return KeptDraft(document=wf.draft, base=wf.draft_base, saved=v.document, at=wf.updated_at)

    def drop_draft(self, *, owner_id: int, workflow_id: str) -> tuple[dict, int]:
        """Put the latest version back as the draft (the kept edits discarded); returns its document
        (with the workflow's current name) and number."""
        wf = self.get(owner_id=owner_id, workflow_id=workflow_id)
        latest = self.version(owner_id=owner_id, workflow_id=workflow_id, number=wf.latest_version)
        document = {**latest.document, "name": wf.name}
        with session(self.db) as s:
            queries.keep_draft(
                s, workflow_id=workflow_id, owner_id=owner_id, document=document, base_version=latest.number
            )
            s.commit()
        return document, latest.number

    # writes -----------------------------------------------------------------------------
    def create(
        self, *, owner_id: int, document: Any, message: str = "", publish: bool = False, user_id: int | None = None
    ) -> tuple[Workflow, WorkflowVersion]:
        """Create a workflow whose version 1 is ``document`` (import uses this too)."""
        doc = self._normalise(document)
        with session(self.db) as s:
            wf = queries.create_workflow(
                s,
                owner_id=owner_id,
                document=doc,
                name=doc.get("name") or "Untitled",
                description=doc.get("description", ""),
            )
            v = queries.save_version(
                s,
                workflow_id=wf.id,
                owner_id=owner_id,
                document=doc,
                message=message or "Created",
                user_id=user_id or owner_id,
            )
            assert v is not None  # the workflow was just added
            if publish:
                queries.publish(s, workflow=wf, number=v.number)
            s.commit()
            s.refresh(wf)
        self._published.pop(wf.id, None)
        return wf, v

    def save(
        self,
        *,
        owner_id: int,
        workflow_id: str,
        document: Any,
        base_version: int | None = None,
        message: str = "",
        user_id: int | None = None,
    ) -> WorkflowVersion:
        doc = self._normalise(document)
        with session(self.db) as s:
            try:
                v = queries.save_version(
                    s,
                    workflow_id=workflow_id,
                    owner_id=owner_id,
                    document=doc,
                    message=message,
                    base_version=base_version,
                    user_id=user_id or owner_id,
                )
            except queries.StaleDraft as exc:
                raise ConflictError(
                    f"The workflow was saved elsewhere meanwhile (now at version {exc.current}); "
                    f"reload it before saving.",
                    detail={"current_version": exc.current},
                ) from None
            if v is None:
                raise NotFoundError(f"Workflow {workflow_id} was not found.")
            s.commit()
        return v

    def publish(
        self, *, owner_id: int, workflow_id: str, version: int | None = None, user_id: int | None = None
    ) -> int:
        """Publish ``version``; without one, save the draft as a new version and publish that."""
        if version is None:
            wf = self.get(owner_id=owner_id, workflow_id=workflow_id)
            doc = self._normalise(wf.draft)
            latest = wf.latest_version and self.version(
                owner_id=owner_id, workflow_id=workflow_id, number=wf.latest_version
            )
            if latest and latest.document == doc:
                number = latest.number
            else:
                number = self.save(
                    owner_id=owner_id, workflow_id=workflow_id, document=doc, message="Published", user_id=user_id
                ).number
            with session(self.db) as s:
                row = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
                if row is None:  # deleted meanwhile
                    raise NotFoundError(f"Workflow {workflow_id} was not found.")
                queries.publish(s, workflow=row, number=number)
                s.commit()
        else:
            v = self.version(owner_id=owner_id, workflow_id=workflow_id, number=version)
            self.validate(v.document)
            with session(self.db) as s:
                row = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
                if row is None:  # deleted meanwhile
                    raise NotFoundError(f"Workflow {workflow_id} was not found.")
                queries.publish(s, workflow=row, number=version)
                s.commit()
            number = version
        self._published.pop(workflow_id, None)
        return number

    def unpublish(self, *, owner_id: int, workflow_id: str) -> Workflow:
        """Stop publishing the workflow: the run API answers it as not published (its versions and
        draft stay; publishing a version again brings it back)."""
        with session(self.db) as s:
            wf = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
            if wf is None:
                raise NotFoundError(f"Workflow {workflow_id} was not found.")
            queries.unpublish(s, workflow=wf)
            s.commit()
            s.refresh(wf)
        self._published.pop(workflow_id, None)
        return wf

    def delete(self, *, owner_id: int, workflow_id: str) -> None:
        with session(self.db) as s:
            wf = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
            if wf is None:
                raise NotFoundError(f"Workflow {workflow_id} was not found.")
            queries.delete_workflow(s, workflow=wf)
            s.commit()
        self._published.pop(workflow_id, None)

    def rename(self, *, owner_id: int, workflow_id: str, name: str) -> Workflow:
        """Give the workflow (and its draft) a new name; versions already saved keep theirs."""
        name = (name or "").strip()
        if not name or len(name) > 200:
            raise InputError("A workflow name is 1-200 characters.")
        with session(self.db) as s:
            wf = queries.get_workflow(s, workflow_id=workflow_id, owner_id=owner_id)
            if wf is None:
                raise NotFoundError(f"Workflow {workflow_id} was not found.")
            wf.name = name
            wf.draft = {**wf.draft, "name": name}
            wf.updated_at = utcnow()
            s.add(wf)
            s.commit()
            s.refresh(wf)
        return wf

    def duplicate(
        self, *, owner_id: int, workflow_id: str, name: str | None = None, user_id: int | None = None
    ) -> Workflow:
        """A new, unpublished workflow whose version 1 is a copy of this one's draft."""
        wf = self.get(owner_id=owner_id, workflow_id=workflow_id)
        document = {
            **self.export(owner_id=owner_id, workflow_id=workflow_id),
            "name": (name or f"{wf.name} (copy)")[:200],
        }
        copy, _ = self.create(
            owner_id=owner_id, document=document, message=f"Copied from {workflow_id}", user_id=user_id
        )
        return copy

    # the run API's hot path ---------------------------------------------------------------
    def published(self, workflow_id: str) -> tuple[int, int | None] | None:
        """``(owner_id, published_version)`` of a workflow, cached for PUBLISHED_TTL seconds."""
        now = self.clock()
        hit = self._published.get(workflow_id)
        if hit is not None and now - hit[0] < PUBLISHED_TTL:
            return hit[1], hit[2]
        if len(workflow_id) > 64:
            return None
        with session(self.db) as s:
            wf = queries.get_workflow(s, workflow_id=workflow_id)
        if wf is None:
            return None
        if len(self._published) > 10_000:
            self._published.clear()
        self._published[workflow_id] = (now, wf.owner_id, wf.published_version)
        return wf.owner_id, wf.published_version

    def _compile_version(self, workflow_id: str, number: int) -> CompiledGraph:
        with session(self.db) as s:
            v = queries.get_version(s, workflow_id=workflow_id, number=number)
        if v is None:
            raise NotFoundError(f"Workflow {workflow_id} has no version {number}.")
        return self.validate(v.document)
