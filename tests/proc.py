"""Run ``flowai`` as a user would: a subprocess with its own FLOWAI_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent  # the checkout under test, whatever is pip-installed


def flowai_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_", "FLOWAI_"))}
    env.update(FLOWAI_HOME=str(home), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **extra)
    return env


def flowai(home: Path, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "flowai.cli", *args],
        env=flowai_env(home, **extra),
        cwd=home,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"flowai {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


class Served:
    """``flowai serve`` (or ``api``) in a subprocess; stopped by its PID."""

    def __init__(self, home: Path, *args: str, port: int, **extra_env: str):
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flowai.cli", *args, "--port", str(port)],
            env=flowai_env(home, **extra_env),
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []

    def wait_ready(self, path: str = "/login", until_line: str | None = None, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        if until_line is not None:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if until_line in line:
                    break
                if time.monotonic() > deadline:
                    break
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited:\n" + "\n".join(self.lines) + self.proc.stdout.read())
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("server did not become ready")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
