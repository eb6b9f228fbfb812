"""Alembic's environment for FlowAI's schema (``storage.models``).

``storage.schema`` hands it an open connection (``config.attributes["connection"]``), already in
the transaction that holds the migration lock. Run as plain ``alembic`` from the repository root
(``[tool.alembic]`` in pyproject.toml), it connects to ``FLOWAI_DATABASE_URL`` — how a developer
autogenerates the next revision. SQLite alters go through batch mode (copy and move the table)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

from storage import models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
        user_module_prefix="sqlmodel.sql.sqltypes.",
    )


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("FLOWAI_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set FLOWAI_DATABASE_URL to the database to compare with (or use `flowai db ...`).")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run `flowai db upgrade` against the database.")
run_migrations()
