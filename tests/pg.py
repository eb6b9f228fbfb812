"""A throwaway PostgreSQL database per test, on the machine's local server (skipped with the
reason when it is unreachable): ``with fresh_database() as url: ...``.

The database is at this code's schema head (``flowai db upgrade`` done), as a deployment's is
before its servers start; ``fresh_database(migrated=False)`` yields it without any table."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from storage.db import make_engine

PG_ADMIN_URL = os.environ.get("FLOWAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextmanager
def fresh_database(*, migrated: bool = True):
    """Yield the URL of a new database (migrated to head, or empty); drop it afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    name = f"flowai_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if migrated:
            make_engine(url, migrate=True).dispose()
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
