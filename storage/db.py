"""The database engine: SQLite in WAL mode by default, any SQLAlchemy URL otherwise.

A SQLite file is made (or kept) readable by its owner only (0600); SQLite gives its -wal and
-shm files the database file's mode."""

from __future__ import annotations

import os

import orjson
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables)


def make_engine(url: str) -> Engine:
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
    SQLModel.metadata.create_all(engine)
    add_missing_columns(engine)
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


def add_missing_columns(engine: Engine) -> list[str]:
    """Until a migration tool arrives: add columns a newer model has but an existing table lacks.

    ``create_all`` makes missing tables only. A new column must be nullable or carry a
    ``server_default`` (as ``users.token_version`` does) so existing rows get a value.
    Returns the ``table.column`` names added."""
    added = []
    inspector = inspect(engine)
    existing_tables = set(inspector.get_table_names())
    with engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in existing_tables:
                continue
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in present:
                    continue
                kind = column.type.compile(dialect=engine.dialect)
                default = getattr(column.server_default, "arg", None)
                ddl = f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'
                if default is not None:
                    ddl += f" NOT NULL DEFAULT {default}" if not column.nullable else f" DEFAULT {default}"
                conn.execute(text(ddl))
                added.append(f"{table.name}.{column.name}")
    return added


def _dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
