"""Keyword-only queries. Each takes a Session; callers own the transaction boundaries."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy import func, insert, update
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from .ids import new_id
from .models import ApiKey, Run, RunNode, StoredFile, User, Workflow, WorkflowVersion, utcnow


class StaleDraft(Exception):
    """The draft moved since the version the caller based its save on."""

    def __init__(self, current: int):
        super().__init__(f"draft is at version {current}")
        self.current = current


# users ------------------------------------------------------------------------------------


def get_user(s: Session, *, user_id: int | None = None, username: str | None = None) -> User | None:
    if user_id is not None:
        return s.get(User, user_id)
    return s.exec(select(User).where(User.username == username)).first()


def first_admin(s: Session) -> User | None:
    return s.exec(select(User).where(User.is_admin == True).order_by(col(User.id))).first()  # noqa: E712


def create_user(s: Session, *, username: str, password_hash: str | None, is_admin: bool = False) -> User:
    user = User(username=username, password_hash=password_hash, is_admin=is_admin)
    s.add(user)
    s.flush()
    return user


# workflows and versions ---------------------------------------------------------------------


def create_workflow(s: Session, *, owner_id: int, document: dict, name: str, description: str = "") -> Workflow:
    wf = Workflow(id=new_id(), owner_id=owner_id, name=name, description=description, draft=document)
    s.add(wf)
    s.flush()
    return wf


def get_workflow(s: Session, *, workflow_id: str, owner_id: int | None = None) -> Workflow | None:
    wf = s.get(Workflow, workflow_id)
    if wf is None or (owner_id is not None and wf.owner_id != owner_id):
        return None
    return wf


def list_workflows(s: Session, *, owner_id: int, offset: int = 0, limit: int = 100) -> tuple[list[Workflow], int]:
    total = s.exec(select(func.count()).select_from(Workflow).where(Workflow.owner_id == owner_id)).one()
    rows = s.exec(
        select(Workflow)
        .where(Workflow.owner_id == owner_id)
        .order_by(col(Workflow.updated_at).desc(), col(Workflow.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def save_version(
    s: Session,
    *,
    workflow_id: str,
    owner_id: int,
    document: dict,
    message: str = "",
    user_id: int | None = None,
    base_version: int | None = None,
) -> WorkflowVersion | None:
    """Store ``document`` as the next immutable version and make it the draft.

    The version counter is bumped by one UPDATE, the transaction's first statement, so two
    concurrent saves (SQLite or PostgreSQL) get two numbers, or a StaleDraft when the caller's
    ``base_version`` has moved; never one version overwritten. None: no such workflow.
    """
    bump = update(Workflow).where(col(Workflow.id) == workflow_id, col(Workflow.owner_id) == owner_id)
    if base_version is not None:
        bump = bump.where(col(Workflow.latest_version) == base_version)
    values = {"latest_version": Workflow.latest_version + 1, "draft": document, "updated_at": utcnow()}
    if document.get("name"):
        values["name"] = document["name"]
    values["description"] = document.get("description") or ""
    if s.exec(bump.values(**values)).rowcount == 0:
        current = s.exec(
            select(Workflow.latest_version).where(Workflow.id == workflow_id, Workflow.owner_id == owner_id)
        ).first()
        if current is None:
            return None
        raise StaleDraft(current)
    number = s.exec(select(Workflow.latest_version).where(Workflow.id == workflow_id)).one()
    s.exec(update(Workflow).where(col(Workflow.id) == workflow_id).values(draft_base=number))
    version = WorkflowVersion(
        workflow_id=workflow_id, number=number, document=document, message=message, created_by=user_id
    )
    s.add(version)
    s.flush()
    return version


def keep_draft(s: Session, *, workflow_id: str, owner_id: int, document: dict, base_version: int) -> Workflow | None:
    """Store ``document`` as the workflow's draft based on ``base_version``, without a version (the
    editor's autosave). The last writer wins; saving a version still checks its base. None: no such
    workflow."""
    done = s.exec(
        update(Workflow)
        .where(col(Workflow.id) == workflow_id, col(Workflow.owner_id) == owner_id)
        .values(draft=document, draft_base=base_version, updated_at=utcnow())
    )
    if done.rowcount == 0:
        return None
    s.flush()
    return s.exec(select(Workflow).where(Workflow.id == workflow_id).execution_options(populate_existing=True)).one()


def get_version(s: Session, *, workflow_id: str, number: int) -> WorkflowVersion | None:
    return s.exec(
        select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.number == number)
    ).first()


def list_versions(s: Session, *, workflow_id: str) -> list[WorkflowVersion]:
    return list(
        s.exec(
            select(WorkflowVersion)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(col(WorkflowVersion.number).desc())
        ).all()
    )


def page_versions(
    s: Session, *, workflow_id: str, offset: int = 0, limit: int = 20
) -> tuple[list[WorkflowVersion], int]:
    """Newest first, without loading the documents (callers must not touch ``.document``)."""
    where = WorkflowVersion.workflow_id == workflow_id
    total = s.exec(select(func.count()).select_from(WorkflowVersion).where(where)).one()
    rows = s.exec(
        select(WorkflowVersion)
        .where(where)
        .options(defer(WorkflowVersion.document))  # type: ignore[arg-type]  # SQLModel types the column as a dict
        .order_by(col(WorkflowVersion.number).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def workflow_owner(s: Session, *, workflow_id: str) -> int | None:
    return s.exec(select(Workflow.owner_id).where(Workflow.id == workflow_id)).first()


def publish(s: Session, *, workflow: Workflow, number: int) -> Workflow:
    version = get_version(s, workflow_id=workflow.id, number=number)
    if version is None:
        raise LookupError(f"workflow {workflow.id} has no version {number}")
    version.published_at = utcnow()
    workflow.published_version = number
    workflow.updated_at = utcnow()
    s.add(version)
    s.add(workflow)
    s.flush()
    return workflow


def unpublish(s: Session, *, workflow: Workflow) -> Workflow:
    """No version is published any more (the versions keep when they were published)."""
    workflow.published_version = None
    workflow.updated_at = utcnow()
    s.add(workflow)
    s.flush()
    return workflow


def delete_workflow(s: Session, *, workflow: Workflow) -> None:
    for v in list_versions(s, workflow_id=workflow.id):
        s.delete(v)
    s.flush()  # versions first: they reference the workflow (no ORM relationship orders the deletes)
    s.delete(workflow)
    s.flush()


# API keys ---------------------------------------------------------------------------------


def create_key(
    s: Session,
    *,
    owner_id: int,
    name: str,
    prefix: str,
    key_hash: str,
    rate_limit: int,
    workflows: list[str] | None = None,
) -> ApiKey:
    key = ApiKey(
        owner_id=owner_id,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        rate_limit=rate_limit,
        workflows=workflows or None,
    )
    s.add(key)
    s.flush()
    return key


def get_key_by_hash(s: Session, *, key_hash: str) -> ApiKey | None:
    return s.exec(select(ApiKey).where(ApiKey.key_hash == key_hash)).first()


def list_keys(s: Session, *, owner_id: int) -> list[ApiKey]:
    return list(s.exec(select(ApiKey).where(ApiKey.owner_id == owner_id).order_by(col(ApiKey.id))).all())


def page_keys(s: Session, *, owner_id: int, offset: int = 0, limit: int = 20) -> tuple[list[ApiKey], int]:
    """Newest first."""
    total = s.exec(select(func.count()).select_from(ApiKey).where(ApiKey.owner_id == owner_id)).one()
    rows = s.exec(
        select(ApiKey).where(ApiKey.owner_id == owner_id).order_by(col(ApiKey.id).desc()).offset(offset).limit(limit)
    ).all()
    return list(rows), total


def key_owner(s: Session, *, key_id: int) -> int | None:
    return s.exec(select(ApiKey.owner_id).where(ApiKey.id == key_id)).first()


def revoke_key(s: Session, *, owner_id: int, key_id: int) -> ApiKey | None:
    key = s.get(ApiKey, key_id)
    if key is None or key.owner_id != owner_id:
        return None
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        s.add(key)
        s.flush()
    return key


def touch_keys(s: Session, *, used: dict[int, Any]) -> None:
    for key_id, when in used.items():
        s.exec(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=when))


# uploaded files ---------------------------------------------------------------------------


def create_file(s: Session, *, file_id: str, owner_id: int, name: str, type: str, size: int) -> StoredFile:
    row = StoredFile(id=file_id, owner_id=owner_id, name=name, type=type, size=size)
    s.add(row)
    s.flush()
    return row


def get_file(s: Session, *, file_id: str) -> StoredFile | None:
    return s.get(StoredFile, file_id)


def page_files(s: Session, *, owner_id: int, offset: int = 0, limit: int = 20) -> tuple[list[StoredFile], int]:
    """Newest first."""
    total = s.exec(select(func.count()).select_from(StoredFile).where(StoredFile.owner_id == owner_id)).one()
    rows = s.exec(
        select(StoredFile)
        .where(StoredFile.owner_id == owner_id)
        .order_by(col(StoredFile.created_at).desc(), col(StoredFile.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return list(rows), total


def delete_file(s: Session, *, file_id: str) -> None:
    row = s.get(StoredFile, file_id)
    if row is not None:
        s.delete(row)
        s.flush()


# runs -----------------------------------------------------------------------------------


def insert_runs(s: Session, *, runs: Iterable[dict]) -> None:
    """One executemany through SQLAlchemy Core (no ORM unit of work: the recorder's hot path)."""
    rows = list(runs)
    if rows:
        now = utcnow()
        s.execute(insert(Run), [{**_RUN_DEFAULTS, "created_at": now, **row} for row in rows])


# every column of a run row with its default: a Core executemany needs the same keys in each row
_RUN_DEFAULTS = {
    name: (f.default if f.default is not PydanticUndefined else None) for name, f in Run.model_fields.items()
}


def update_run(s: Session, *, run_id: str, values: dict) -> None:
    if values:
        s.exec(update(Run).where(col(Run.id) == run_id).values(**values))


def upsert_run_node(s: Session, *, row: dict) -> None:
    s.merge(RunNode(**row))


def store_run_nodes(s: Session, *, rows: list[dict], new_runs: Collection[str] = frozenset()) -> None:
    """Finished runs' node rows. Rows of runs inserted in this same transaction (``new_runs``)
    go in with one executemany; for older runs, 'reused' rows (outputs carried over from an
    earlier run) are only added where no row exists, so a resumed run keeps its timings."""
    fresh = [r for r in rows if r["run_id"] in new_runs]
    older = [r for r in rows if r["run_id"] not in new_runs]
    if older:
        run_ids = {r["run_id"] for r in older}
        existing = set(s.exec(select(RunNode.run_id, RunNode.node_id).where(col(RunNode.run_id).in_(run_ids))).all())
        for r in older:
            if (r["run_id"], r["node_id"]) not in existing:
                fresh.append(r)
            elif r["status"] != "reused":
                s.merge(RunNode(**r))
    if fresh:
        s.execute(insert(RunNode), fresh)


def get_run(s: Session, *, run_id: str, owner_id: int | None = None) -> Run | None:
    run = s.get(Run, run_id)
    if run is None or (owner_id is not None and run.owner_id != owner_id):
        return None
    return run


def batch_runs(s: Session, *, batch_id: str) -> list[Run]:
    return list(s.exec(select(Run).where(Run.batch_id == batch_id).order_by(col(Run.created_at), col(Run.id))).all())


def run_nodes(s: Session, *, run_id: str) -> list[RunNode]:
    return list(s.exec(select(RunNode).where(RunNode.run_id == run_id)).all())


def running_runners(s: Session) -> list[str]:
    rows = s.exec(select(Run.runner).where(col(Run.status).in_(UNFINISHED)).distinct()).all()
    return [r for r in rows if r]


UNFINISHED = ("pending", "running", "paused")


def claim_runs(s: Session, *, runners: list[str], runner: str) -> list[Run]:
    """Take over the unfinished runs of dead processes (one UPDATE per run, so two processes
    starting at once never both take the same run)."""
    claimed = []
    for run in s.exec(select(Run).where(col(Run.status).in_(UNFINISHED), col(Run.runner).in_(runners))).all():
        moved = s.exec(update(Run).where(col(Run.id) == run.id, col(Run.runner) == run.runner).values(runner=runner))
        if moved.rowcount == 1:
            run.runner = runner
            claimed.append(run)
    return claimed
