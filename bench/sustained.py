"""Sustained load: answered = recorded, a flat tail, flat memory.

wrk (``-t1 -c16 -d60s --latency``) posts the documented body to the trivial published flow
(input → template → output) for a whole minute (``--duration`` shortens it). Reported per setup:
runs/s, p50, p99, server RSS growth (peak during the load − after the warm-up, summed over the
server's processes), and the recording backlog when the load ends: runs answered 2xx that are
not yet in the database at that moment (a 200 means the run is recorded, so the target is 0).
Server CPU per run is in the note.

Each :class:`Setup` says how to start the server and where its runs land. The default is the
embedded one (``flowai serve``, SQLite). Other setups go in :data:`SETUPS` beside it, e.g. N API
processes on a fresh PostgreSQL database::

    Setup("postgres api x2", ("api", "--workers", "2"), prepare=fresh_postgres_database)

where ``fresh_postgres_database`` is a context manager yielding ``{"FLOWAI_DATABASE_URL": url}``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import Figure, at_least, at_most, below, cpu_seconds, flowai_api, rss_bytes, workdir
from bench.throughput import lua_script, wrk
from flowai.demo import HELLO

CONNECTIONS = 16
TARGET_RPS, TARGET_P99_MS, TARGET_RSS_MB = 3000, 10.0, 50.0


@dataclass
class Setup:
    """One way to run the server under the sustained load."""

    name: str  # shown in the figure names, e.g. "sqlite serve" or "postgres api x2"
    command: tuple[str, ...] = ("serve",)  # the flowai CLI command and its options (--port is added)
    env: dict[str, str] = field(default_factory=dict)  # e.g. FLOWAI_DATABASE_URL
    prepare: Callable[[], contextlib.AbstractContextManager[dict[str, str]]] | None = None
    """Optional: a context manager around the whole measurement (say, a fresh PostgreSQL
    database) yielding more environment for the server (say, its ``FLOWAI_DATABASE_URL``)."""

    def database_url(self, home: Path, env: dict[str, str]) -> str:
        """Where the server's runs land (read to count them)."""
        return env.get("FLOWAI_DATABASE_URL") or f"sqlite:///{home / 'flowai.db'}"


SETUPS: list[Setup] = [Setup("sqlite serve")]


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn workers), from /proc/PID/task/*/children."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def _tree(fn: Callable[[int], float], pid: int) -> float:
    total = 0.0
    for p in process_tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += fn(p)
    return total


class _PeakRSS:
    """Samples the server tree's RSS every 0.2 s while the load runs."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, _tree(rss_bytes, self.pid))

    def __enter__(self) -> _PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _tree(rss_bytes, self.pid))


def measure(setup: Setup, duration: float) -> list[Figure]:
    with workdir("sustained") as tmp, (setup.prepare or _nothing)() as more_env:
        env = {**setup.env, **more_env}
        with flowai_api(tmp, HELLO, command=setup.command, **env) as server:
            db = create_engine(setup.database_url(server.home, env))
            try:
                return _load(setup, server, db, tmp, duration)
            finally:
                db.dispose()


@contextlib.contextmanager
def _nothing():
    yield {}


def _count(db) -> int:
    with db.connect() as c:
        return c.execute(text("SELECT count(*) FROM runs")).scalar_one()


def _load(setup: Setup, server, db, tmp: Path, duration: float) -> list[Figure]:
    script = lua_script(tmp / "run.lua", server.key)
    wrk(server.run_url, script, CONNECTIONS, min(3.0, duration))  # warm up
    time.sleep(0.5)
    rows0, rss0, cpu0 = _count(db), _tree(rss_bytes, server.pid), _tree(cpu_seconds, server.pid)
    with _PeakRSS(server.pid) as rss:
        res = wrk(server.run_url, script, CONNECTIONS, duration)
        rows_at_end = _count(db) - rows0  # at once: what a crash at this moment would leave
    cpu = _tree(cpu_seconds, server.pid) - cpu0
    answered = res.requests - res.non_2xx
    backlog = max(0, answered - rows_at_end)
    drained, waited = rows_at_end, 0.0
    while drained < answered and waited < 30:  # how long the rest takes (0 when answered = recorded)
        time.sleep(0.2)
        waited += 0.2
        drained = _count(db) - rows0
    growth = (rss.peak - rss0) / 2**20
    wal = Path(str(db.url.database) + "-wal") if db.url.get_backend_name() == "sqlite" else None
    tag = f"{setup.name} {duration:g}s"
    note = (
        f"wrk -c{CONNECTIONS} completed {res.requests:,} ({res.non_2xx} non-2xx"
        + (f"; socket errors {res.socket_errors}" if res.socket_errors else "")
        + f"); {rows_at_end:,} runs in the database when the load ended"
        + (f", all answered ones after {waited:.1f} s more" if backlog else "")
        + f"; server CPU/run {cpu / max(answered, 1) * 1000:.3f} ms"
        + f"; RSS {rss0 / 2**20:.0f} → peak {rss.peak / 2**20:.0f} MiB"
        + (f"; SQLite log file {wal.stat().st_size / 2**20:.0f} MiB" if wal and wal.exists() else "")
    )
    return [
        Figure(
            "sustained",
            f"{tag} runs/s",
            res.rps,
            "runs/s",
            f">= {TARGET_RPS:,}",
            at_least(res.rps, TARGET_RPS),
            note=note,
        ),
        Figure("sustained", f"{tag} p50", res.p50_ms, "ms"),
        Figure(
            "sustained", f"{tag} p99", res.p99_ms, "ms", f"< {TARGET_P99_MS:g} ms", below(res.p99_ms, TARGET_P99_MS)
        ),
        Figure("sustained", f"{tag} RSS growth", growth, "MB", f"< {TARGET_RSS_MB:g} MB", below(growth, TARGET_RSS_MB)),
        Figure("sustained", f"{tag} backlog at end", backlog, "runs", "0", at_most(backlog, 0)),
    ]


def run(duration: float = 60.0) -> list[Figure]:
    figures: list[Figure] = []
    for setup in SETUPS:
        figures += measure(setup, duration)
    return figures
