"""Run the Schemathesis CLI, every check, against a served OpenAPI document (tests/test_fuzz_*.py).

The seed is fixed, so a run is the same run every time: a finding reproduces, and a run that passed
cannot fail by luck (change ``SEED`` to explore other inputs). Settings per operation are in
``schemathesis.toml``; hooks in ``hooks.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from flowai.settings import Settings

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent.parent
SEED = 20260101


def without_lockout(settings: Settings) -> Settings:
    """Schemathesis sends thousands of requests from 127.0.0.1, many without credentials on purpose:
    keep the per-address lockout (tested in test_security_web.py) from answering all of them 429."""
    return replace(settings, auth_failures_per_minute=1_000_000)


def schemathesis(url: str, header: str, examples: int, workdir: Path, *filters: str) -> None:
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(FUZZ / "schemathesis.toml"), "--no-color"),
            *("run", url, "--checks", "all", "-H", header, "--max-examples", str(examples), "--workers", "1"),
            *("--generation-database", "none", "--seed", str(SEED), *filters),
        ],
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "PYTHONPATH": str(ROOT)},
        cwd=workdir,  # its .schemathesis cache goes there, not into the checkout
        capture_output=True,
        text=True,
        timeout=600,  # POST /workflows alone is ~5,600 coverage cases: 60 s on a quiet machine, 300+ on a loaded one
    )
    assert proc.returncode == 0, proc.stdout[-12000:] + proc.stderr[-4000:]
    # every selected operation was called with the credentials working (a run signed out half-way
    # through would pass while testing only the 401 answers)
    assert "Authentication failed" not in proc.stdout, proc.stdout[-6000:]
