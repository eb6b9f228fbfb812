"""Tables. JSON columns hold graph documents, inputs, outputs and events.

A change here ships with a migration in ``storage/migrations/versions`` (``tests/test_migrations.py``
compares the two): see the README's "Database and migrations"."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=100)
    password_hash: str | None = None  # None: made by the CLI, password not set yet
    is_admin: bool = False
    language: str = "en"
    theme: str | None = None  # the UI's colours: system (None), light or dark
    created_at: datetime = Field(default_factory=utcnow)
    # bumped by sign-out-everywhere and password changes: tokens carrying an older version are refused
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Workflow(SQLModel, table=True):
    __tablename__ = "workflows"

    id: str = Field(primary_key=True, max_length=32)
    owner_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=200)
    description: str = ""
    draft: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    draft_base: int = 0  # the version the draft was last saved as (or based on)
    latest_version: int = 0
    published_version: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WorkflowVersion(SQLModel, table=True):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow_id: str = Field(foreign_key="workflows.id", index=True, max_length=32)
    number: int
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    message: str = ""
    created_by: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=32)  # shown in lists; not enough to use the key
    key_hash: str = Field(index=True, unique=True, max_length=64)  # HMAC-SHA256 under the server secret
    rate_limit: int = 600  # runs per minute, 0 = unlimited
    workflows: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class Run(SQLModel, table=True):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_owner_created", "owner_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    workflow_id: str = Field(index=True, max_length=32)
    version: int
    owner_id: int = Field(index=True)
    key_id: int | None = None
    source: str = "api"  # api, editor, cli, background, batch
    runner: str | None = Field(default=None, max_length=120)  # host:pid of the process running it
    name: str | None = Field(default=None, max_length=200)
    batch_id: str | None = Field(default=None, index=True, max_length=32)
    parent_run_id: str | None = Field(default=None, max_length=32)  # the run a regenerate started from
    callback_url: str | None = Field(default=None, max_length=2000)
    status: str = "running"  # pending, running, paused, completed, failed, cancelled
    input: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    output: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    events: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    total_time: float | None = None
    # version 0 (an editor's unsaved draft): the document that ran, so its trace can name the nodes
    graph: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class RunNode(SQLModel, table=True):
    __tablename__ = "run_nodes"

    run_id: str = Field(primary_key=True, foreign_key="runs.id", max_length=32)
    node_id: str = Field(primary_key=True, max_length=64)
    type: str
    status: str  # running, completed, failed
    started_at: float | None = None  # seconds since the run started
    time_spend: float | None = None
    outputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = None


class NodeCacheEntry(SQLModel, table=True):
    __tablename__ = "node_cache"

    key: str = Field(primary_key=True, max_length=64)  # sha256 of node type + rendered config
    outputs: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("key_id", "idempotency_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key_id: int = Field(index=True)
    idempotency_key: str = Field(max_length=200)
    run_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class StoredFile(SQLModel, table=True):
    """An upload kept under ``media_dir/uploads/<id>``; ``name`` is the client's filename, metadata only."""

    __tablename__ = "files"

    id: str = Field(primary_key=True, max_length=32)
    owner_id: int = Field(foreign_key="users.id", index=True)
    name: str = Field(max_length=255)
    type: str = Field(max_length=100)  # the MIME type decided from the content, never the client's
    size: int = Field(sa_type=BigInteger)  # bytes; a generated video may reach 2 GiB
    created_at: datetime = Field(default_factory=utcnow)


# -- providers (the router's credentials, settings, usage and budgets) --------------------------


class ProviderCredential(SQLModel, table=True):
    """A provider's credentials entered in the UI; ``api_key`` and ``options`` are Fernet tokens."""

    __tablename__ = "provider_credentials"

    name: str = Field(primary_key=True, max_length=40)
    api_key: str | None = None
    base_url: str | None = Field(default=None, max_length=2000)
    options: str | None = None  # Fernet token of a JSON object (e.g. Play.ht's user id)
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderSetting(SQLModel, table=True):
    """Instance-wide router settings made in the UI (priorities, quotas, time zone); override providers.toml."""

    __tablename__ = "provider_settings"

    key: str = Field(primary_key=True, max_length=100)  # "priorities:text", "quota:groq", "timezone"
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class ProviderUsage(SQLModel, table=True):
    """Metered use of one provider in one period of the configured time zone: a day ("2025-05-01")
    or a month ("2025-05"). Quotas reserve against these rows with one conditional UPDATE."""

    __tablename__ = "provider_usage"

    provider: str = Field(primary_key=True, max_length=40)
    period: str = Field(primary_key=True, max_length=10)
    calls: float = 0
    tokens: float = 0
    characters: float = 0
    seconds: float = 0
    images: float = 0
    cost: float = 0
    failures: float = 0


class ProviderCallSlot(SQLModel, table=True):
    """One process's provider call outcomes in one five-minute slot (``slot`` = unix time // 300):
    counts per outcome and the latency histogram's bucket counts. Written in batches by the
    process that counted them (its own rows only, so writers never contend); read merged."""

    __tablename__ = "provider_call_slots"

    runner: str = Field(primary_key=True, max_length=100)  # host:pid of the process
    provider: str = Field(primary_key=True, max_length=40)
    slot: int = Field(primary_key=True, index=True)
    outcomes: Any = Field(default=None, sa_column=Column(JSON, nullable=False))  # {"ok": 3, "server": 1}
    latency: Any = Field(default=None, sa_column=Column(JSON, nullable=False))  # bucket counts, then +Inf
    latency_sum: float = 0.0


class WorkflowSpend(SQLModel, table=True):
    """What a workflow's provider calls cost in one day of the configured time zone (for budgets)."""

    __tablename__ = "workflow_spend"

    workflow_id: str = Field(primary_key=True, max_length=32)
    day: str = Field(primary_key=True, max_length=10)
    calls: float = 0
    cost: float = 0


class WorkflowBudget(SQLModel, table=True):
    __tablename__ = "workflow_budgets"

    workflow_id: str = Field(primary_key=True, max_length=32)
    daily_usd: float
    updated_at: datetime = Field(default_factory=utcnow)


class Counter(SQLModel, table=True):
    """Hits in one fixed window of a shared rate limit (``key``: what is limited, ``slot``: the
    window's number), counted by every process with one atomic upsert (flowai.scale.counters)."""

    __tablename__ = "counters"

    key: str = Field(primary_key=True, max_length=200)
    slot: int = Field(primary_key=True, sa_type=BigInteger)  # or a hit's time in microseconds (moving windows)
    hits: int = 0
    expires: int = Field(index=True)  # unix time after which the row is deleted


class StudioProject(SQLModel, table=True):
    """A video-studio project (``/api/v1/workflow``): a background run of the novel-to-video
    template, the run it is at now (regenerations start new runs), and the edits made to it."""

    __tablename__ = "studio_projects"
    __table_args__ = (Index("ix_studio_projects_owner_created", "owner_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    owner_id: int = Field(index=True)
    name: str = Field(max_length=200)
    workflow_id: str = Field(max_length=32)  # the workflow holding the project's template copy
    run_id: str = Field(max_length=32)  # the project's current run
    edits: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
