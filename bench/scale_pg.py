"""Running at scale: published-API throughput on PostgreSQL with 1, 2 and 4 ``flowai api``
processes sharing one database (README, "Running at scale").

A throwaway database on the local PostgreSQL (``FLOWAI_BENCH_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``: the server to create it on). HELLO is
imported and published and an unlimited key made with the CLI, then for each process count N,
N ``flowai api`` processes start and one wrk per process (``-c 16/N``, at least 4) posts the
documented body for ``--duration`` seconds (60 by default, as the sustained load), all at once.
Reported per N, each against the embedded default's targets (bench/sustained.py): runs/s summed
over the processes, the worst process's p50 and p99, the servers' RSS growth over the load, the recording
backlog when the load ended (runs answered 200 but not yet in the runs table) and the runs table
once settled, which must hold every answered run. The key's rate limit is 0, so no shared
counter is touched; the run manager, recorder and PostgreSQL are what is measured.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import Figure, Proc, at_least, at_most, below, clean_env, flowai_cli, free_port, rss_bytes, workdir
from bench.sustained import TARGET_P99_MS, TARGET_RPS, TARGET_RSS_MB
from bench.throughput import WrkResult, lua_script, wrk
from flowai.demo import HELLO

ADMIN_URL = os.environ.get("FLOWAI_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PROCESSES = (1, 2, 4)
CONNECTIONS = 16


def _database() -> tuple[str, str]:
    name = f"flowai_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _drop(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _count(db) -> int:
    with db.connect() as c:
        return c.execute(text("SELECT count(*) FROM runs")).scalar_one()


def _settled(db, at_least: int = 0, quiet: float = 1.0, timeout: float = 60.0) -> int:
    """The runs table's count once it holds ``at_least`` rows and has not changed for ``quiet`` s."""
    deadline = time.monotonic() + timeout
    last, since = _count(db), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = _count(db)
        if now != last:
            last, since = now, time.monotonic()
        elif last >= at_least and time.monotonic() - since >= quiet:
            break
    return last


def _load(n: int, home: Path, tmp: Path, url: str, wf_id: str, key: str, duration: float, db) -> list[Figure]:
    env = clean_env(FLOWAI_HOME=str(home), FLOWAI_DATABASE_URL=url)
    procs = []
    try:
        for i in range(n):
            port = free_port()
            args = [sys.executable, "-m", "flowai.cli", "api", "--port", str(port)]
            procs.append(
                Proc(args, port=port, env=env, cwd=home, log=tmp / f"api{n}-{i}.log", ready_path="/v1/api/nothing")
            )
        script = lua_script(tmp / "run.lua", key)
        per = max(4, CONNECTIONS // n)
        for p in procs:  # warm up
            wrk(f"{p.url}/v1/api/workflow/run/{wf_id}", script, per, 2)
        before, rss0 = _settled(db), sum(rss_bytes(p.pid) for p in procs)  # the warm-up's runs written
        results: list[WrkResult | None] = [None] * n

        def drive(i: int) -> None:
            results[i] = wrk(f"{procs[i].url}/v1/api/workflow/run/{wf_id}", script, per, duration)

        threads = [threading.Thread(target=drive, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        at_end = _count(db) - before
        rss = (sum(rss_bytes(p.pid) for p in procs) - rss0) / 2**20
        done = [r for r in results if r is not None]
        answered = sum(r.requests - r.non_2xx for r in done)
        settled = _settled(db, before + answered) - before
        backlog = max(0, answered - at_end)
        rps = sum(r.rps for r in done)
        p50, p99 = max(r.p50_ms for r in done), max(r.p99_ms for r in done)
        label = f"PostgreSQL, {n} API process{'es' if n > 1 else ''}"
        return [
            Figure(
                "scale_pg",
                f"{label}: runs/s",
                rps,
                "runs/s",
                f">= {TARGET_RPS:,}",
                at_least(rps, TARGET_RPS),
                note=f"{answered:,} answered 200 in {duration:g} s, c={per} each",
            ),
            Figure("scale_pg", f"{label}: p50", p50, "ms"),
            Figure("scale_pg", f"{label}: p99", p99, "ms", f"< {TARGET_P99_MS:g} ms", below(p99, TARGET_P99_MS)),
            Figure("scale_pg", f"{label}: RSS growth", rss, "MB", f"< {TARGET_RSS_MB:g} MB", below(rss, TARGET_RSS_MB)),
            # (runs recorded whose answers wrk had not counted when it stopped are no backlog)
            Figure("scale_pg", f"{label}: backlog at load end", backlog, "runs", "0", at_most(backlog, 0)),
            Figure(
                "scale_pg",
                f"{label}: answered runs recorded",
                settled,
                "runs",
                f">= {answered:,}",
                settled >= answered,  # (a request wrk timed out may still have run)
            ),
        ]
    finally:
        for p in procs:
            p.stop()


def run(duration: float = 60.0) -> list[Figure]:
    name, url = _database()
    db = create_engine(url)
    try:
        with workdir("scale_pg") as tmp:
            home = tmp / "home"
            home.mkdir()
            doc = home / "hello.json"
            doc.write_text(json.dumps(HELLO, ensure_ascii=False), encoding="utf-8")
            flowai_cli(home, "db", "upgrade", FLOWAI_DATABASE_URL=url)  # as README's "Running at scale" says
            wf_id = flowai_cli(home, "workflow", "import", str(doc), "--publish", FLOWAI_DATABASE_URL=url)
            key = flowai_cli(home, "key", "create", "--name", "bench", "--rate-limit", "0", FLOWAI_DATABASE_URL=url)
            figures = []
            for n in PROCESSES:
                figures += _load(n, home, tmp, url, wf_id, key, duration, db)
            return figures
    finally:
        db.dispose()
        _drop(name)


if __name__ == "__main__":  # python -m bench.scale_pg [seconds]
    from bench import table

    print(table(run(float(sys.argv[1]) if len(sys.argv) > 1 else 60.0)))
