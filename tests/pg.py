"""A throwaway PostgreSQL database per test, on the machine's local server (skipped with the
reason when it is unreachable): ``with fresh_database() as url: ...``.

The database is at this code's schema head (``flowai db upgrade`` done), as a deployment's is
before its servers start; ``fresh_database(migrated=False)`` yields it without any table.

Migrating takes about half a second, so each test process migrates one template database once
and every migrated database after that is a copy of it (``CREATE DATABASE … TEMPLATE``, about a
tenth of a second). Databases are named after the process that made them: one whose process is
gone (a killed run) is dropped by the next process that starts here.
"""

from __future__ import annotations

import atexit
import os
import re
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text

from flowai.platform import process_alive
from storage.db import make_engine

PG_ADMIN_URL = os.environ.get("FLOWAI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PREFIX = "flowai_test_"
_template: str | None = None  # this process's migrated template database


def _admin():
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as c:
            c.execute(text("select 1"))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}")
    return admin


def _url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop(admin, name: str) -> None:
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _sweep(admin) -> None:
    """Drop the databases that processes no longer running on this machine left behind."""
    with admin.connect() as c:
        names = c.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": PREFIX + "%"}).scalars()
        left = [n for n in names if (m := re.match(rf"{PREFIX}(\d+)_", n)) and not process_alive(int(m[1]))]
    for name in left:
        _drop(admin, name)


def _migrated_template(admin) -> str:
    global _template
    if _template is None:
        _sweep(admin)
        name = f"{PREFIX}{os.getpid()}_template"
        _drop(admin, name)
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        make_engine(_url(name), migrate=True).dispose()
        _template = name
        atexit.register(_drop, admin, name)
    return _template


@contextmanager
def fresh_database(*, migrated: bool = True):
    """Yield the URL of a new database (migrated to head, or empty); drop it afterwards."""
    admin = _admin()
    name = f"{PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
    template = f' TEMPLATE "{_migrated_template(admin)}"' if migrated else ""
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"{template}'))
    try:
        yield _url(name)
    finally:
        _drop(admin, name)
        admin.dispose()
