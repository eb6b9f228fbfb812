"""The database engine: SQLite in WAL mode by default, any SQLAlchemy URL otherwise.

A SQLite file is made (or kept) readable by its owner only (0600); SQLite gives its -wal and
-shm files the database file's mode. Opening checks the schema's revision (``storage.schema``):
the embedded SQLite default is migrated on the spot; another database (PostgreSQL, shared by
several processes) must already be at head unless ``migrate=True`` — ``flowai db upgrade`` is the step."""

from __future__ import annotations

import os

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from . import models, schema  # noqa: F401  (models registers the tables)


def make_engine(url: str, *, migrate: bool | None = None) -> Engine:
    """An engine on ``url`` whose schema is at this code's head. ``migrate``: upgrade it first if it is
    behind (default: on SQLite only). Raises ``schema.SchemaError`` saying what to do otherwise."""
    engine = open_engine(url)
    try:
        schema.ensure(engine, migrate=engine.dialect.name == "sqlite" if migrate is None else migrate)
    except Exception:
        engine.dispose()
        raise
    return engine


def open_engine(url: str) -> Engine:
    """An engine on ``url`` as it is, schema unchecked (``flowai db`` looks at and migrates it)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        _owner_only(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
        )
    return engine


def _owner_only(url: str) -> None:
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:  # never open an existing file here: closing it would drop this process's SQLite locks on it
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:  # no such folder, read-only: SQLite will say what is wrong
        return
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:  # a foreign file: leave it
        pass


def _dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
