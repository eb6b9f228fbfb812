"""studio_projects: the video-studio API's projects (a run of the novel-to-video template and its edits).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_projects",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("edits", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_studio_projects_owner_id", "studio_projects", ["owner_id"])
    op.create_index("ix_studio_projects_owner_created", "studio_projects", ["owner_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_studio_projects_owner_created", table_name="studio_projects")
    op.drop_index("ix_studio_projects_owner_id", table_name="studio_projects")
    op.drop_table("studio_projects")
