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
        yield Settings(home=tmp_path, database_url=url, secret_key="test-secret", disconnect_grace=0.0, env={})
