"""tests/test_background_runs.py again, on the local PostgreSQL (a fresh database at schema head per test)."""

from __future__ import annotations

import pytest

from flowai.settings import Settings
from tests.pg import fresh_database
from tests.test_background_runs import *  # noqa: F403  (the same tests, collected here with this module's settings)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(tmp_path):
    with fresh_database() as url:
        # one process on PostgreSQL (FLOWAI_SCALE_OUT=0): it runs its own queue, as the embedded default does;
        # with scale-out on, queued runs go to `flowai worker` processes (tests/test_scale_out.py)
        yield Settings(
            home=tmp_path, database_url=url, secret_key="test-secret", disconnect_grace=0.0, env={}, scale_out=False
        )
