"""files.size holds 64-bit sizes: a generated video may be up to 2 GiB (PostgreSQL's INTEGER stops one byte short).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.alter_column("size", type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.alter_column("size", type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
