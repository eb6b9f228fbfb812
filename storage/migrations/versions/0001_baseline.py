"""Baseline: the schema as ``create_all`` made it before migrations (FlowAI up to issue 13).

The tables are a frozen snapshot (``baseline_tables``), never the live models: later revisions
change the schema, this one stays what it was. ``adopt`` brings a database made by pre-migration
code (tables, no ``alembic_version``) to this snapshot in place — the tables and columns older
releases lacked are added, nothing is dropped or rewritten — before it is stamped with this revision.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def baseline_tables() -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "idempotency_keys",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id", "idempotency_key"),
        sa.Index("ix_idempotency_keys_key_id", "key_id"),
    )
    sa.Table(
        "node_cache",
        metadata,
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("usage", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    sa.Table(
        "provider_call_slots",
        metadata,
        sa.Column("runner", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=False),
        sa.Column("latency", sa.JSON(), nullable=False),
        sa.Column("latency_sum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("runner", "provider", "slot"),
        sa.Index("ix_provider_call_slots_slot", "slot"),
    )
    sa.Table(
        "provider_credentials",
        metadata,
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("api_key", sa.String(), nullable=True),
        sa.Column("base_url", sa.String(length=2000), nullable=True),
        sa.Column("options", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    sa.Table(
        "provider_settings",
        metadata,
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    sa.Table(
        "provider_usage",
        metadata,
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Float(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("characters", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("images", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("failures", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "period"),
    )
    sa.Table(
        "runs",
        metadata,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workflow_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("runner", sa.String(length=120), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("batch_id", sa.String(length=32), nullable=True),
        sa.Column("parent_run_id", sa.String(length=32), nullable=True),
        sa.Column("callback_url", sa.String(length=2000), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("input", sa.JSON(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("usage", sa.JSON(), nullable=True),
        sa.Column("events", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_time", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_runs_batch_id", "batch_id"),
        sa.Index("ix_runs_owner_created", "owner_id", "created_at"),
        sa.Index("ix_runs_owner_id", "owner_id"),
        sa.Index("ix_runs_workflow_id", "workflow_id"),
    )
    sa.Table(
        "users",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_users_username", "username", unique=True),
    )
    sa.Table(
        "workflow_budgets",
        metadata,
        sa.Column("workflow_id", sa.String(length=32), nullable=False),
        sa.Column("daily_usd", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id"),
    )
    sa.Table(
        "workflow_spend",
        metadata,
        sa.Column("workflow_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("calls", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("workflow_id", "day"),
    )
    sa.Table(
        "api_keys",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=False),
        sa.Column("workflows", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_api_keys_key_hash", "key_hash", unique=True),
        sa.Index("ix_api_keys_owner_id", "owner_id"),
    )
    sa.Table(
        "files",
        metadata,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_files_owner_id", "owner_id"),
    )
    sa.Table(
        "run_nodes",
        metadata,
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("node_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("time_spend", sa.Float(), nullable=True),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("usage", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
        ),
        sa.PrimaryKeyConstraint("run_id", "node_id"),
    )
    sa.Table(
        "workflows",
        metadata,
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("draft_base", sa.Integer(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.Index("ix_workflows_owner_id", "owner_id"),
    )
    sa.Table(
        "workflow_versions",
        metadata,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workflow_id", "number"),
        sa.Index("ix_workflow_versions_workflow_id", "workflow_id"),
    )
    return metadata


def upgrade() -> None:
    baseline_tables().create_all(op.get_bind())


def downgrade() -> None:
    baseline_tables().drop_all(op.get_bind())


def adopt(connection: sa.Connection) -> list[str]:
    """Add what a pre-migration database lacks of the baseline; returns ``table`` / ``table.column`` names added.

    Every column added since the first release is nullable or has a server default, so existing
    rows get a value (``users.token_version`` starts at 0)."""
    added: list[str] = []
    present = set(sa.inspect(connection).get_table_names())
    ops = Operations(MigrationContext.configure(connection))
    for table in baseline_tables().sorted_tables:
        if table.name not in present:
            table.create(connection)
            added.append(table.name)
            continue
        have = {c["name"] for c in sa.inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                ops.add_column(table.name, column._copy())
                added.append(f"{table.name}.{column.name}")
    return added
