"""Run ``flowai`` as a user would: a subprocess with its own FLOWAI_HOME."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent  # the checkout under test, whatever is pip-installed


def flowai_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OPENAI_", "FLOWAI_"))}
    env.update(FLOWAI_HOME=str(home), PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT), **extra)
    return env


def flowai(home: Path, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    """``flowai ARGS`` in this process (``main()`` with the environment, cwd and stdio a subprocess would
    get): the same output and exit code, without starting an interpreter. Tests about the process itself
    (a second process beside a server, imports of a fresh interpreter) use ``flowai_process``."""
    from flowai.cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    env = flowai_env(home, **extra)
    out, err = _stream(), _stream()
    os.environ.clear()
    os.environ.update(env)
    os.chdir(home)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _no_stdin():
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    proc = subprocess.CompletedProcess(["flowai", *args], code, _text(out), _text(err))
    if check and proc.returncode != 0:
        raise AssertionError(f"flowai {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
    return proc


def _stream() -> io.TextIOWrapper:
    """A text stream with a ``.buffer``, as ``sys.stdout`` has (the CLI writes SSE bytes to it)."""
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="\n", write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


@contextlib.contextmanager
def _no_stdin():
    saved = sys.stdin
    sys.stdin = io.StringIO()  # not a terminal, as under subprocess.run with captured output in CI
    try:
        yield
    finally:
        sys.stdin = saved


def flowai_process(home: Path, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess:
    """``flowai ARGS`` as its own process, the way a user runs it."""
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

    _reader: threading.Thread | None = None  # reads its output into ``lines`` once it is started

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
        self.lines: list[str] = []  # what it printed so far (a failed test's report shows the last ones)

    def _read(self) -> None:
        """Keep reading what the server prints: a pipe nobody reads fills (64 KiB) and then blocks the
        server's next log line, and with it the whole server."""
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, path: str = "/login", until_line: str | None = None, timeout: float = 90) -> None:
        # generous: on a loaded 2-core machine a NiceGUI app took over 30 s to start (tests failed on it)
        deadline = time.monotonic() + timeout
        if until_line is not None:
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if until_line in line:
                    break
                if time.monotonic() > deadline:
                    break
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="served-output", daemon=True)
            self._reader.start()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._reader.join(timeout=5)
                raise AssertionError("server exited:\n" + "\n".join(self.lines))
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
        if self._reader is not None:
            self._reader.join(timeout=5)  # (its output is all in ``lines`` now)
