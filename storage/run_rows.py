"""Run rows as the database driver takes them: encoded once, written with plain DB-API executemany.

The run recorder's hot path skips SQLAlchemy's per-row work (ORM units of work, bind processors,
statement compilation): a run's values are encoded when it is handed over (JSON with orjson,
datetimes as SQLAlchemy's SQLite dialect writes them), and a batch is a few ``executemany``
calls with fixed SQL on one connection. What is stored is byte for byte what SQLAlchemy would
store, so every reader (``storage.queries``, the history) is unchanged. Works on SQLite and on
PostgreSQL (psycopg), the two dialects FlowAI runs on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
from pydantic_core import PydanticUndefined
from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect

from .models import ApiKey, Run, RunNode, utcnow

_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS
_MISSING = object()


def _json(value: Any) -> str:
    return "null" if value is None else orjson.dumps(value, option=_JSON_OPTIONS).decode()


def _sqlite_datetime(value: Any) -> Any:
    # SQLAlchemy's SQLite DATETIME storage format (it drops the time zone: FlowAI stores UTC)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


def _same(value: Any) -> Any:
    return value


class RowEncoder:
    """Encodes run and run-node values for one dialect and holds the SQL the recorder runs."""

    def __init__(self, dialect: Dialect):
        self.sqlite = dialect.name == "sqlite"
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        when = _sqlite_datetime if self.sqlite else _same
        self._codecs: dict[str, dict[str, Any]] = {}
        for table in (Run.__table__, RunNode.__table__, ApiKey.__table__):  # type: ignore[attr-defined]
            codecs = {}
            for column in table.columns:
                kind = column.type
                codecs[column.name] = _json if isinstance(kind, JSON) else when if isinstance(kind, DateTime) else _same
            self._codecs[table.name] = codecs
        self.run_columns = tuple(c.name for c in Run.__table__.columns)  # type: ignore[attr-defined]
        self.node_columns = tuple(c.name for c in RunNode.__table__.columns)  # type: ignore[attr-defined]
        self._run_defaults = self.encode("runs", _defaults(Run, self.run_columns))
        del self._run_defaults["created_at"]
        self._node_defaults = self.encode("run_nodes", _defaults(RunNode, self.node_columns))
        self._mark = mark
        self._when = when
        self._run_spec = _Spec(Run, self.run_columns, self._codecs["runs"])
        self._node_spec = _Spec(RunNode, self.node_columns, self._codecs["run_nodes"])
        self.insert_run = _insert("runs", self.run_columns, mark)
        node_insert = _insert("run_nodes", self.node_columns, mark)
        changed = ", ".join(f'"{c}" = excluded."{c}"' for c in self.node_columns if c not in ("run_id", "node_id"))
        self.upsert_node = f'{node_insert} ON CONFLICT ("run_id", "node_id") DO UPDATE SET {changed}'
        self.keep_node = f'{node_insert} ON CONFLICT ("run_id", "node_id") DO NOTHING'
        self.touch_key = f'UPDATE "api_keys" SET "last_used_at" = {mark} WHERE "id" = {mark}'

    def encode(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Column values as the driver takes them; an unknown column or a value JSON cannot hold
        raises (TypeError, ValueError) here, at hand-over, not in the middle of a batch."""
        codecs = self._codecs[table]
        try:
            return {name: codecs[name](value) for name, value in values.items()}
        except KeyError as exc:
            raise ValueError(f"{table} has no column {exc.args[0]!r}") from None

    def run_row(self, encoded: dict[str, Any]) -> tuple:
        """A complete runs row from encoded values (missing columns take their defaults)."""
        row = self._run_defaults | encoded
        if "created_at" not in encoded:
            row["created_at"] = self._codecs["runs"]["created_at"](utcnow())
        return tuple(row[c] for c in self.run_columns)

    def node_row(self, encoded: dict[str, Any]) -> tuple:
        row = self._node_defaults | encoded
        return tuple(row[c] for c in self.node_columns)

    def new_run_row(self, values: Mapping[str, Any]) -> tuple:
        """``run_row(encode("runs", values))`` in one pass: the hot path, a run that arrives complete."""
        return self._row("runs", self._run_spec, values)

    def node_rows(self, nodes: Iterable[Mapping[str, Any]]) -> tuple[list[tuple], list[tuple]]:
        """A finished run's node rows: (rows to write, 'reused' rows written only where none exists)."""
        write: list[tuple] = []
        keep: list[tuple] = []
        for node in nodes:
            row = self._row("run_nodes", self._node_spec, node)
            (keep if node.get("status") == "reused" else write).append(row)
        return write, keep

    def _row(self, table: str, spec: _Spec, values: Mapping[str, Any]) -> tuple:
        if not values.keys() <= self._codecs[table].keys():
            self.encode(table, values)  # names the unknown column
        get = values.get
        row = [get(name, default) for name, default in spec.defaults]
        for i in spec.json:
            row[i] = _json(row[i])
        for i in spec.when:
            if row[i] is not None:
                row[i] = self._when(row[i])
        if spec.created is not None and row[spec.created] is None:
            row[spec.created] = self._when(utcnow())
        return tuple(row)

    def update_run(self, columns: tuple[str, ...]) -> str:
        sets = ", ".join(f'"{c}" = {self._mark}' for c in columns)
        return f'UPDATE "runs" SET {sets} WHERE "id" = {self._mark}'

    def touch_keys(self, used: Mapping[int, Any]) -> list[tuple]:
        return [(self._when(at), key_id) for key_id, at in used.items()]


class _Spec:
    """A table's columns in order with their raw defaults, and which hold JSON and datetimes."""

    def __init__(self, model, columns: tuple[str, ...], codecs: dict[str, Any]):
        self.defaults = list(_defaults(model, columns).items())
        self.json = [i for i, c in enumerate(columns) if codecs[c] is _json]
        self.when = [i for i, c in enumerate(columns) if codecs[c] not in (_json, _same)]
        self.created = columns.index("created_at") if "created_at" in columns else None


def _insert(table: str, columns: tuple[str, ...], mark: str) -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(mark for _ in columns)})'


def _defaults(model, columns: tuple[str, ...]) -> dict[str, Any]:
    """Each column's default (None where it has none, or a factory such as ``created_at``'s)."""
    fields = model.model_fields
    return {
        c: (fields[c].default if c in fields and fields[c].default is not PydanticUndefined else None) for c in columns
    }
