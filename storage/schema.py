"""The database's schema version: where a database stands against this code's migrations, and upgrades.

``storage/migrations`` holds the alembic revisions (``0001`` is the schema as it was before
migrations). A database is one of:

- *empty*: none of FlowAI's tables — ``upgrade`` creates them all;
- *legacy*: FlowAI's tables but no ``alembic_version`` (made by ``create_all`` before migrations)
  — ``upgrade`` adds what the baseline has and it lacks, stamps the baseline, then upgrades;
- *behind*: at an older revision — ``upgrade`` applies the rest;
- *current*: at this code's head;
- *newer*: at a revision this code does not know (a newer FlowAI migrated it) — refused.

``upgrade`` holds a lock while it looks and migrates (SQLite: ``BEGIN IMMEDIATE`` on a connection
of its own; PostgreSQL: a transaction-scoped advisory lock, DDL being transactional there), so
processes starting together migrate once. ``ensure`` is what opening the database does: on the
embedded SQLite default it upgrades, elsewhere it refuses a database not at head and says what to run.
A database already at ``HEAD`` is told by one query, without loading alembic (about 0.2 CPU-s of every
process start: each CLI command, server and worker opens the database).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
HEAD = "0005"  # the newest revision in migrations/versions (a test checks it is alembic's head)
_PG_LOCK = 0x466C6F77_4149  # pg_advisory_xact_lock key ("FlowAI")

log = logging.getLogger("flowai.storage")


class SchemaError(RuntimeError):
    """The database's schema does not fit this code; the message says what to do."""


@dataclass(frozen=True)
class SchemaState:
    current: str | None  # the revision recorded in alembic_version; None: none recorded
    head: str  # this code's newest revision
    legacy: bool  # FlowAI's tables are there but no revision is recorded
    known: bool  # this code knows ``current`` (False: a newer FlowAI migrated the database)

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    def describe(self) -> str:
        if self.current is None:
            return "made before migrations (no revision recorded)" if self.legacy else "empty"
        if not self.known:
            return f"at revision {self.current}, unknown to this FlowAI (newer)"
        return f"at revision {self.current}" + (" (head)" if self.up_to_date else f", behind head {self.head}")


@functools.cache
def scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    return scripts().get_current_head() or BASELINE


def history() -> list[tuple[str, str | None, str]]:
    """(revision, the one it revises, its first docstring line), newest first."""
    return [(s.revision, s.down_revision, (s.doc or "").strip()) for s in scripts().walk_revisions()]  # type: ignore[misc]


def state_of(conn: Connection) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    current = heads[0] if heads else None
    known = current is None or _known(current)
    legacy = current is None and bool(_flowai_tables() & set(sa.inspect(conn).get_table_names()))
    return SchemaState(current=current, head=head(), legacy=legacy, known=known)


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return state_of(conn)


def ensure(engine: Engine, *, migrate: bool) -> SchemaState:
    """Check the schema on opening the database; upgrade it first when ``migrate``. Raises SchemaError."""
    if _recorded(engine) == [HEAD]:
        return SchemaState(current=HEAD, head=HEAD, legacy=False, known=True)
    found = state(engine)
    _refuse_newer(found, engine)
    if found.up_to_date:
        return found
    if migrate:
        before, after, _ = upgrade(engine)
        log.info("database %s upgraded from %s to %s", _name(engine), before.current or "<empty>", after.current)
        return after
    raise SchemaError(
        f"The database {_name(engine)} is {found.describe()}; this FlowAI needs schema revision {found.head}. "
        "Run `flowai db upgrade` once (with the same FLOWAI_DATABASE_URL) before starting the servers."
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[SchemaState, SchemaState, list[str]]:
    """Bring the database to ``revision``; returns the state before and after, and what a legacy adoption added."""
    from alembic import command
    from alembic.util import CommandError

    with _locked(engine) as conn:
        before = state_of(conn)
        _refuse_newer(before, engine)
        cfg = _config(conn)
        adopted: list[str] = []
        if before.legacy:
            adopted = scripts().get_revision(BASELINE).module.adopt(conn)
            command.stamp(cfg, BASELINE)
        try:
            command.upgrade(cfg, revision)
        except CommandError as exc:  # an unknown or older target revision
            raise SchemaError(f"Cannot upgrade {_name(engine)} to {revision!r}: {exc}") from None
        after = state_of(conn)
    return before, after, adopted


def _recorded(engine: Engine) -> list[str]:
    """The revisions ``alembic_version`` records, read without alembic ([]: no such table)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return list(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def _refuse_newer(found: SchemaState, engine: Engine) -> None:
    if not found.known:
        raise SchemaError(
            f"The database {_name(engine)} is at schema revision {found.current}, which this FlowAI does not know "
            f"(its newest is {found.head}): a newer FlowAI migrated it. Run that version, or point "
            "FLOWAI_DATABASE_URL at another database."
        )


def _known(revision: str) -> bool:
    try:
        return scripts().get_revision(revision) is not None
    except Exception:  # alembic raises ResolutionError / CommandError for an unknown id
        return False


@functools.cache
def _flowai_tables() -> frozenset[str]:
    return frozenset(scripts().get_revision(BASELINE).module.baseline_tables().tables)


def _config(conn: Connection) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the migration lock; committed on leaving."""
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        # pysqlite opens transactions lazily and never for DDL: a connection of our own that begins
        # with BEGIN IMMEDIATE (the write lock, held until commit) makes the migration one transaction.
        # Foreign keys are off while batch mode copies tables (alembic's advice for SQLite).
        own = sa.create_engine(engine.url, poolclass=sa.pool.NullPool, connect_args={"timeout": 60})

        @sa.event.listens_for(own, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            dbapi_conn.execute("PRAGMA foreign_keys=OFF")

        @sa.event.listens_for(own, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        try:
            with own.begin() as conn:
                yield conn
        finally:
            own.dispose()
        return
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        yield conn
