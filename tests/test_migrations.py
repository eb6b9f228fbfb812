"""Schema migrations (storage/migrations, storage.schema) on SQLite and the local PostgreSQL.

``fixtures/pre_migration.sql`` is a database made by FlowAI before migrations (``create_all``),
with data written through that code's services (``fixtures/make_pre_migration.py``)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from flowai.platform import Platform
from flowai.settings import Settings
from storage import schema
from storage.db import make_engine, open_engine
from tests.pg import fresh_database
from tests.proc import flowai

FIXTURE = Path(__file__).parent / "fixtures" / "pre_migration.sql"
BASELINE = schema.scripts().get_revision(schema.BASELINE).module


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    """The URL of a database without any table."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'flowai.db'}"
        return
    with fresh_database(migrated=False) as url:
        yield url


def pre_migration_database(url: str) -> None:
    """Make at ``url`` the database FlowAI made before migrations, with the fixture's rows."""
    source = sa.create_engine("sqlite://")
    with source.begin() as conn:
        conn.connection.driver_connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    tables = BASELINE.baseline_tables()
    target = open_engine(url)
    tables.create_all(target)
    with source.connect() as src, target.begin() as dst:
        for table in tables.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(sa.select(table))]
            if rows:
                dst.execute(table.insert(), rows)
        if target.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences past them
            for table in tables.sorted_tables:
                if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                    dst.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), max(id)) FROM {table.name}"
                        )
                    )
    target.dispose()
    source.dispose()


def contents(url: str) -> dict[str, list[dict]]:
    """Every row of every baseline table, by primary key, through the baseline's column types."""
    engine = open_engine(url)
    with engine.connect() as conn:
        found = {
            t.name: [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for t in BASELINE.baseline_tables().sorted_tables
        }
    engine.dispose()
    return found


def differences(url: str, metadata: sa.MetaData) -> list:
    engine = open_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        found = compare_metadata(ctx, metadata)
    engine.dispose()
    return found


def test_upgrade_from_empty_makes_what_the_models_say(empty_url):
    make_engine(empty_url, migrate=True).dispose()
    assert schema.state(open_engine(empty_url)).up_to_date
    assert differences(empty_url, SQLModel.metadata) == []  # a model change without its migration fails here
    # ... and the comparison does notice a difference
    changed = sa.MetaData()
    for table in SQLModel.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["runs"].append_column(sa.Column("shard", sa.Integer, nullable=True))
    assert [d[0] for d in differences(empty_url, changed)] == ["add_column"]


def test_the_baseline_is_the_schema_made_before_migrations():
    old = sqlite3.connect(":memory:")
    old.executescript(FIXTURE.read_text(encoding="utf-8"))
    engine = sa.create_engine("sqlite://")
    BASELINE.baseline_tables().create_all(engine)
    with engine.connect() as conn:
        new = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").all()
    got = old.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()

    def shape(rows):  # the same DDL, constraints in any order
        return {name: sorted(line.strip().rstrip(",") for line in sql.splitlines()) for name, sql in rows}

    assert shape(new) == shape(got)


def test_a_pre_migration_database_upgrades_in_place_with_nothing_lost(empty_url, tmp_path):
    pre_migration_database(empty_url)
    before = contents(empty_url)
    assert len(before["runs"]) == 3 and len(before["workflow_versions"]) == 3 and len(before["files"]) == 1
    assert schema.state(open_engine(empty_url)).legacy

    engine = make_engine(empty_url, migrate=True)
    assert contents(empty_url) == before
    assert differences(empty_url, SQLModel.metadata) == []
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == schema.head()
    engine.dispose()

    # the app reads what the old code wrote, and writes next to it
    settings = Settings(home=tmp_path, database_url=empty_url, secret_key="fixture-secret", env={})
    p = Platform(settings)
    admin = p.users.acting_admin()
    hello = next(w for w in before["workflows"] if w["name"].startswith("Hello"))
    assert [v.number for v in p.workflows.versions(owner_id=admin.id, workflow_id=hello["id"])] == [2, 1]
    assert p.workflows.export(owner_id=admin.id, workflow_id=hello["id"], version=1)["format"] == "flowai/1"
    stored = p.files.get(before["files"][0]["id"])
    assert stored is not None and stored.name == "notes.txt"
    p.workflows.create(owner_id=admin.id, document=p.workflows.export(owner_id=admin.id, workflow_id=hello["id"]))
    p.files.save(owner_id=admin.id, name="more.txt", data=b"after the upgrade")
    p.db.dispose()
    after = contents(empty_url)
    assert len(after["workflows"]) == 3 and len(after["files"]) == 2 and after["runs"] == before["runs"]


def test_an_older_pre_migration_database_gets_the_missing_columns_and_tables(empty_url):
    """Before issue 12 ``users`` had no ``token_version`` and there were no call slots."""
    pre_migration_database(empty_url)
    engine = open_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE provider_call_slots"))
        conn.execute(sa.text("ALTER TABLE users DROP COLUMN token_version"))
        names = conn.execute(sa.text("SELECT username FROM users ORDER BY id")).scalars().all()
    engine.dispose()

    _, after, adopted = schema.upgrade(open_engine(empty_url))
    assert sorted(adopted) == ["provider_call_slots", "users.token_version"] and after.up_to_date
    assert differences(empty_url, SQLModel.metadata) == []
    users = contents(empty_url)["users"]
    assert [u["username"] for u in users] == names == ["admin", "ann"]
    assert {u["token_version"] for u in users} == {0}


def test_a_database_from_a_newer_version_is_refused(empty_url):
    make_engine(empty_url, migrate=True).dispose()
    engine = open_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    engine.dispose()
    for migrate in (False, True):
        with pytest.raises(schema.SchemaError) as exc:
            make_engine(empty_url, migrate=migrate)
        assert "f00dcafe" in str(exc.value) and f"newest is {schema.head()}" in str(exc.value)
    with pytest.raises(schema.SchemaError):
        schema.upgrade(open_engine(empty_url))


def test_processes_starting_together_migrate_once(empty_url):
    errors: list[BaseException] = []

    def start() -> None:
        try:
            make_engine(empty_url, migrate=True).dispose()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    engine = open_engine(empty_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [schema.head()]
    engine.dispose()


@pytest.mark.postgres
def test_postgres_is_never_migrated_on_start_unless_told(tmp_path):
    with fresh_database(migrated=False) as url:
        settings = Settings(home=tmp_path, database_url=url, secret_key="s", env={})
        with pytest.raises(schema.SchemaError) as exc:
            Platform(settings)
        assert "is empty" in str(exc.value) and "flowai db upgrade" in str(exc.value)
        assert schema.state(open_engine(url)).current is None  # nothing was created
        p = Platform(Settings(home=tmp_path, database_url=url, secret_key="s", env={}, auto_migrate=True))
        assert schema.state(p.db).up_to_date
        p.db.dispose()


def test_sqlite_is_not_migrated_when_told_not_to(tmp_path):
    url = f"sqlite:///{tmp_path / 'flowai.db'}"
    with pytest.raises(schema.SchemaError):
        Platform(Settings(home=tmp_path, database_url=url, secret_key="s", env={}, auto_migrate=False))
    assert Platform(Settings(home=tmp_path, database_url=url, secret_key="s", env={})).users.acting_admin().id


def test_head_is_the_newest_migration():
    assert schema.HEAD == schema.scripts().get_current_head(), "a new migration: set storage.schema.HEAD to it"


def test_opening_a_database_at_head_does_not_load_alembic(tmp_path):
    """Every process opens the database (CLI commands, servers, workers): one at head is told by one
    query, without importing alembic and reading the migrations (about 0.2 CPU-s of each start)."""
    url = f"sqlite:///{tmp_path / 'flowai.db'}"
    make_engine(url).dispose()
    code = (
        "import sys; from storage.db import make_engine; from storage import schema;"
        f"make_engine({url!r}).dispose();"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'alembic'], 'alembic imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)


@pytest.mark.postgres
def test_flowai_db_from_the_command_line(tmp_path):
    with fresh_database(migrated=False) as url:
        env = {"FLOWAI_DATABASE_URL": url}
        current = flowai(tmp_path, "db", "current", check=False, **env)
        assert current.returncode == 1 and "empty" in current.stdout
        refused = flowai(tmp_path, "api", "--port", "1", check=False, **env)
        assert (
            refused.returncode == 2
            and "Run `flowai db upgrade`" in refused.stderr
            and "Traceback" not in refused.stderr
        )
        assert f"to {schema.head()}" in flowai(tmp_path, "db", "upgrade", **env).stdout
        assert "already" in flowai(tmp_path, "db", "upgrade", **env).stdout
        assert "(head)" in flowai(tmp_path, "db", "current", **env).stdout
        assert (
            flowai(tmp_path, "user", "create", "--username", "ann", "--password", "longenough", **env).returncode == 0
        )
    history = flowai(tmp_path, "db", "history").stdout.splitlines()
    assert history[0].startswith(
        f"{schema.scripts().get_revision(schema.head()).down_revision} -> {schema.head()} (head)"
    )
    assert history[-1].startswith(f"<base> -> {schema.BASELINE}")


def test_flowai_db_upgrade_adopts_an_existing_home_database(tmp_path):
    pre_migration_database(f"sqlite:///{tmp_path / 'flowai.db'}")
    hello = next(
        w for w in contents(f"sqlite:///{tmp_path / 'flowai.db'}")["workflows"] if w["name"].startswith("Hello")
    )
    out = flowai(tmp_path, "db", "upgrade").stdout
    assert "Adopted a database made before migrations" in out and f"from {schema.BASELINE} to {schema.head()}" in out
    assert '"flowai/1"' in flowai(tmp_path, "workflow", "export", hello["id"], "--version", "2").stdout


def test_any_command_on_an_existing_home_database_migrates_it_first(tmp_path):
    """The embedded default needs no step: the first command after an upgrade of FlowAI migrates."""
    url = f"sqlite:///{tmp_path / 'flowai.db'}"
    pre_migration_database(url)
    before = contents(url)
    hello = next(w for w in before["workflows"] if w["name"].startswith("Hello"))
    assert '"flowai/1"' in flowai(tmp_path, "workflow", "export", hello["id"]).stdout
    assert "(head)" in flowai(tmp_path, "db", "current").stdout
    after = contents(url)
    assert after == before


def test_flowai_db_upgrade_to_an_unknown_revision_says_so(tmp_path):
    bad = flowai(tmp_path, "db", "upgrade", "--revision", "nope", check=False)
    assert bad.returncode == 2 and "Can't locate revision" in bad.stderr and "Traceback" not in bad.stderr
    assert f"to {schema.BASELINE}." in flowai(tmp_path, "db", "upgrade", "--revision", schema.BASELINE).stdout
    assert f"behind head {schema.head()}" in flowai(tmp_path, "db", "current", check=False).stdout
