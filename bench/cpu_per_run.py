"""CPU per published run, in-process: ``python -m bench.cpu_per_run [RUNS] [--profile]``.

The trivial published flow (the demo HELLO: input → template → output) run RUNS times (default
4,000), 16 at a time, through the run API's ASGI app (``create_app``) with plain ASGI calls —
no sockets, no HTTP client — on a temporary SQLite database, the group-commit recorder
included. Prints the process CPU time per run (the recorder thread counted) and the wall time;
``--profile`` adds the event loop's cProfile, by own time. CPU time barely moves with the
machine's load, so two commits can be compared on a busy machine (wall-clock figures cannot).
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

from flowai.api.app import create_app
from flowai.demo import HELLO
from flowai.platform import Platform
from flowai.settings import Settings

CONCURRENCY = 16
BODY = json.dumps({"input": {"输入": "在吗?"}}, ensure_ascii=False).encode()


def main(argv: list[str]) -> None:
    runs = int(next((a for a in argv if a.isdigit()), "4000"))
    profile = "--profile" in argv
    tmp = Path(tempfile.mkdtemp(prefix="flowai-bench-cpu-"))
    try:
        asyncio.run(_measure(tmp, runs, profile))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _measure(tmp: Path, runs: int, profile: bool) -> None:
    settings = Settings(
        home=tmp, database_url=f"sqlite:///{tmp / 'flowai.db'}", secret_key="bench", disconnect_grace=0.0, env={}
    )
    platform = Platform(settings)
    owner = platform.users.acting_admin()
    wf, _ = platform.workflows.create(owner_id=owner.id, document=HELLO, publish=True)
    secret, _ = platform.keys.create(owner_id=owner.id, name="bench", rate_limit=0)
    app = create_app(platform=platform)
    path = f"/v1/api/workflow/run/{wf.id}"
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"x-api-key", secret.encode()),
        (b"content-length", str(len(BODY)).encode()),
    ]

    async def one() -> None:
        sent, statuses, never = False, [], asyncio.Event()

        async def receive() -> dict:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": BODY, "more_body": False}
            await never.wait()  # the client stays
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        await app(scope, receive, send)
        if statuses != [200]:
            raise RuntimeError(f"run answered {statuses}")

    async def client(n: int) -> None:
        for _ in range(n):
            await one()

    async with app.router.lifespan_context(app):
        await asyncio.gather(*(client(50) for _ in range(CONCURRENCY)))  # warm up
        prof = cProfile.Profile() if profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if prof is not None:
            prof.enable()
        await asyncio.gather(*(client(runs // CONCURRENCY) for _ in range(CONCURRENCY)))
        if prof is not None:
            prof.disable()
        done = runs // CONCURRENCY * CONCURRENCY
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    print(f"{done:,} runs: CPU/run {cpu / done * 1e6:.0f} µs, wall/run {wall / done * 1e6:.0f} µs")
    if prof is not None:
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main(sys.argv[1:])
