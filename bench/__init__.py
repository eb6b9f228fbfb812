"""FlowAI benchmarks: ``python -m bench`` runs them all and prints a table (see bench/README.md).

This module holds what the benchmarks share: the :class:`Figure` they report, the result
log (``bench/results.jsonl``), and helpers to run servers as subprocesses on 127.0.0.1 and
read their CPU time and memory from ``/proc``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform as _platform
import resource
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.jsonl"
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Figure:
    """One number a benchmark reports, with its target (``ok`` is None when there is none)."""

    bench: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    ok: bool | None = None
    note: str = ""
    text: str = ""  # shown instead of the value when set (e.g. "n/a: ...")

    def shown(self) -> str:
        if self.text:
            return self.text
        if self.value is None:
            return "n/a"
        v = self.value
        if abs(v) >= 1000:
            text = f"{v:,.0f}"
        elif abs(v) >= 100:
            text = f"{v:.0f}"
        elif abs(v) >= 10:
            text = f"{v:.1f}"
        else:
            text = f"{v:.3g}" if v else "0"
        return f"{text} {self.unit}".strip()


def below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None else value <= limit


def at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


# --- the result log ------------------------------------------------------------------------------


def commit() -> str:
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or "unknown"
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict:
    return {"nproc": os.cpu_count(), "uname": " ".join(_platform.uname()), "python": sys.version.split()[0]}


def record(figures: list[Figure], path: Path = RESULTS) -> None:
    """Append one JSON line per figure: commit, machine, date and the figure."""
    base = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(), "machine": machine()}
    with path.open("a", encoding="utf-8") as f:
        for fig in figures:
            f.write(json.dumps({**base, **asdict(fig)}, ensure_ascii=False) + "\n")


def table(figures: list[Figure]) -> str:
    rows = [("benchmark", "figure", "value", "target", "")]
    for fig in figures:
        mark = {True: "ok", False: "MISS", None: ""}[fig.ok]
        rows.append((fig.bench, fig.name, fig.shown(), fig.target, mark))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for i, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(widths[j]) if j != 2 else cell.rjust(widths[j]) for j, cell in enumerate(row)).rstrip()
        )
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    notes = [f"  {fig.bench} / {fig.name}: {fig.note}" for fig in figures if fig.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


# --- processes -----------------------------------------------------------------------------------


def raise_fd_limit(wanted: int = 16384) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard) if hard != resource.RLIM_INFINITY else max(soft, wanted)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "FLOWAI_")) and not k.endswith(("_API_KEY", "_API_TOKEN", "_BASE_URL"))
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


class Proc:
    """A server subprocess on 127.0.0.1:<port>, its output in a log file; stopped by its PID."""

    def __init__(self, args: list[str], *, port: int, env: dict[str, str], cwd: Path, log: Path, ready_path: str = "/"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=self._log_file, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server on port {self.port} did not become ready")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log_file.close()


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"flowai-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def fake_upstream(tmp: Path) -> Iterator[Proc]:
    """bench/fake_upstream.py in its own process; ``.url + '/v1'`` is its OpenAI base URL."""
    port = free_port()
    proc = Proc(
        [sys.executable, "-m", "bench.fake_upstream", "--port", str(port)],
        port=port,
        env=clean_env(),
        cwd=ROOT,
        log=tmp / "upstream.log",
        ready_path="/health",
    )
    try:
        yield proc
    finally:
        proc.stop()


def flowai_cli(home: Path, *args: str, **env: str) -> str:
    """Run the ``flowai`` CLI as a user would; return its last output line."""
    out = subprocess.run(
        [sys.executable, "-m", "flowai.cli", *args],
        env=clean_env(FLOWAI_HOME=str(home), **env),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"flowai {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip().splitlines()[-1]


@dataclass
class FlowAIServer:
    proc: Proc
    home: Path
    workflow_id: str
    key: str

    @property
    def url(self) -> str:
        return self.proc.url

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def run_url(self) -> str:
        return f"{self.proc.url}/v1/api/workflow/run/{self.workflow_id}"

    def run_count(self) -> int:
        with contextlib.closing(sqlite3.connect(f"file:{self.home / 'flowai.db'}?mode=ro", uri=True, timeout=30)) as db:
            return db.execute("SELECT count(*) FROM runs").fetchone()[0]

    def settled_run_count(self, at_least: int = 0, quiet: float = 1.0, timeout: float = 60.0) -> tuple[int, float]:
        """The runs table's row count once it has reached ``at_least`` and then not changed for
        ``quiet`` seconds (runs are written behind, in batches), and when it last changed
        (``time.monotonic()``)."""
        deadline = time.monotonic() + timeout
        last, since = self.run_count(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.run_count()
            if now != last:
                last, since = now, time.monotonic()
            elif last >= at_least and time.monotonic() - since >= quiet:
                break
        return last, since


@contextlib.contextmanager
def flowai_api(tmp: Path, document: dict, command: tuple[str, ...] = ("api",), **env: str) -> Iterator[FlowAIServer]:
    """``flowai api`` (or ``command``, e.g. ``("serve",)``) as a subprocess with its own
    FLOWAI_HOME, one published workflow and an unlimited key (made with the CLI, as in production)."""
    home = tmp / "home"
    home.mkdir()
    doc = home / "workflow.json"
    doc.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    wf_id = flowai_cli(home, "workflow", "import", str(doc), "--publish", **env)
    key = flowai_cli(home, "key", "create", "--name", "bench", "--rate-limit", "0", **env)
    port = free_port()
    proc = Proc(
        [sys.executable, "-m", "flowai.cli", *command, "--port", str(port)],
        port=port,
        env=clean_env(FLOWAI_HOME=str(home), **env),
        cwd=home,
        log=tmp / "flowai.log",
        ready_path="/v1/api/nothing",
    )
    try:
        yield FlowAIServer(proc, home, wf_id, key)
    finally:
        proc.stop()


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
