"""Schemathesis, every check, against the management API's document (issue 15), signed in: files, auth,
keys, runs, batches and providers (tests/test_fuzz_manage_workflows.py takes the workflows)."""

from __future__ import annotations

import pytest

from tests.fuzz.cli import schemathesis, without_lockout
from tests.manage_client import other_account, signed_in
from tests.test_openapi import ECHO


@pytest.fixture
def settings(settings):
    return without_lockout(settings)


def test_schemathesis_finds_nothing_in_the_other_operations(api, tmp_path):
    api.publish(ECHO)
    token = signed_in(api).headers["authorization"]
    # POST /auth/logout signs every token of the account out: fuzzed below with an account of its own,
    # so this run stays signed in to the end
    operations = ("--exclude-path-regex", "^/workflows", "--exclude-path", "/auth/logout")
    schemathesis(f"{api.url}/api/v1/openapi.json", f"Authorization: {token}", 3, tmp_path, *operations)


def test_schemathesis_finds_nothing_in_signing_out(api, tmp_path):
    """Its own run, as an account of its own: the first call signs that account's token out, later
    ones must answer 401 as documented."""
    token = other_account(api, "leaving").headers["authorization"]
    operations = ("--include-path", "/auth/logout")
    schemathesis(f"{api.url}/api/v1/openapi.json", f"Authorization: {token}", 3, tmp_path, *operations)
