"""3. Published-API throughput and latency, driven by wrk.

``flowai api`` runs as a subprocess (own FLOWAI_HOME; HELLO imported with ``flowai workflow
import --publish``; a key made with ``--rate-limit 0``) and wrk posts the documented body to
``POST /v1/api/workflow/run/{id}`` at c=1, 16, 32 (``wrk -t1 -cN -d10s --latency``). Runs are
recorded in the database as in production: after each load the runs table is left to settle and
its growth is compared with the requests wrk completed. Server CPU per run comes from the
server's utime+stime (/proc/PID/stat) before and after.

The same wrk command also drives bench/bare_starlette.py (same route, same body parsing, same
uvicorn settings) in the same run: the floor FlowAI's own work sits on.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import (
    ROOT,
    Figure,
    FlowAIServer,
    Proc,
    at_least,
    below,
    clean_env,
    cpu_seconds,
    flowai_api,
    free_port,
    workdir,
)
from flowai.demo import HELLO

WRK = "/usr/bin/wrk"
CONCURRENCY = (1, 16, 32)
BODY = '{"input":{"输入":"在吗?"}}'
TARGET_RPS, TARGET_P99_MS = 2000, 20.0


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise ValueError(f"unexpected wrk latency {text!r}")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(out: str) -> WrkResult:
    def find(pattern: str) -> re.Match:
        m = re.search(pattern, out)
        if not m:
            raise RuntimeError(f"cannot read wrk output ({pattern}):\n{out}")
        return m

    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return WrkResult(
        int(find(r"(\d+) requests in")[1]),
        float(find(r"Requests/sec:\s+([\d.]+)")[1]),
        _ms(find(r"\s50%\s+(\S+)")[1]),
        _ms(find(r"\s99%\s+(\S+)")[1]),
        int(non_2xx[1]) if non_2xx else 0,
        errors[1].strip() if errors else "",
    )


def lua_script(path: Path, key: str | None) -> Path:
    body = BODY.replace("'", "\\'")
    lines = ['wrk.method = "POST"', f"wrk.body = '{body}'", 'wrk.headers["Content-Type"] = "application/json"']
    if key:
        lines.append(f'wrk.headers["X-API-KEY"] = "{key}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wrk(url: str, script: Path, connections: int, duration: float) -> WrkResult:
    out = subprocess.run(
        [WRK, "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr}")
    return parse_wrk(out.stdout)


def _flowai(tmp: Path, duration: float) -> list[Figure]:
    figures = []
    with flowai_api(tmp, HELLO) as server:
        script = lua_script(tmp / "run.lua", server.key)
        wrk(server.run_url, script, 16, min(2.0, duration))  # warm up
        for c in CONCURRENCY:
            figures += _one_load(server, script, c, duration)
    return figures


def _one_load(server: FlowAIServer, script: Path, c: int, duration: float) -> list[Figure]:
    runs0, _ = server.settled_run_count()
    cpu0 = cpu_seconds(server.pid)
    res = wrk(server.run_url, script, c, duration)
    t_end = time.monotonic()
    runs, changed = server.settled_run_count(at_least=runs0 + res.requests)
    runs -= runs0
    lag = max(0.0, changed - t_end)
    cpu = cpu_seconds(server.pid) - cpu0
    per_run_ms = cpu / runs * 1000 if runs else None
    counted = (
        f"wrk completed {res.requests:,} ({res.non_2xx} non-2xx"
        + (f"; socket errors {res.socket_errors}" if res.socket_errors else "")
        + f"); runs table +{runs:,}, the last written {lag:.1f} s after the load ended"
    )
    target = c == 16
    return [
        Figure(
            "throughput",
            f"flowai c={c} runs/s",
            res.rps,
            "runs/s",
            f">= {TARGET_RPS:,}" if target else "",
            at_least(res.rps, TARGET_RPS) if target else None,
            note=counted,
        ),
        Figure("throughput", f"flowai c={c} p50", res.p50_ms, "ms"),
        Figure(
            "throughput",
            f"flowai c={c} p99",
            res.p99_ms,
            "ms",
            f"< {TARGET_P99_MS:g} ms" if target else "",
            below(res.p99_ms, TARGET_P99_MS) if target else None,
        ),
        Figure("throughput", f"flowai c={c} server CPU/run", per_run_ms, "ms"),
    ]


def _floor(tmp: Path, duration: float) -> list[Figure]:
    port = free_port()
    proc = Proc(
        [sys.executable, "-m", "bench.bare_starlette", "--port", str(port)],
        port=port,
        env=clean_env(),
        cwd=ROOT,
        log=tmp / "bare.log",
        ready_path="/health",
    )
    figures = []
    try:
        url = f"{proc.url}/v1/api/workflow/run/bench"
        script = lua_script(tmp / "bare.lua", None)
        wrk(url, script, 16, min(2.0, duration))
        for c in CONCURRENCY:
            cpu0 = cpu_seconds(proc.pid)
            res = wrk(url, script, c, duration)
            cpu = cpu_seconds(proc.pid) - cpu0
            figures += [
                Figure(
                    "throughput",
                    f"bare Starlette c={c} req/s",
                    res.rps,
                    "req/s",
                    note=f"wrk completed {res.requests:,} ({res.non_2xx} non-2xx); "
                    f"server CPU/request {cpu / max(res.requests, 1) * 1000:.3f} ms",
                ),
                Figure("throughput", f"bare Starlette c={c} p50", res.p50_ms, "ms"),
                Figure("throughput", f"bare Starlette c={c} p99", res.p99_ms, "ms"),
            ]
    finally:
        proc.stop()
    return figures


def run(duration: float = 10.0) -> list[Figure]:
    with workdir("throughput") as tmp:
        figures = _flowai(tmp, duration)
        time.sleep(0.5)
        figures += _floor(tmp, duration)
    return figures
