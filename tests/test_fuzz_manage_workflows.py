"""Schemathesis, every check, against the management API's document (issue 15), signed in: the
workflow operations (tests/test_fuzz_manage_rest.py takes the others)."""

from __future__ import annotations

import pytest

from tests.fuzz.cli import schemathesis, without_lockout
from tests.manage_client import signed_in
from tests.test_openapi import ECHO


@pytest.fixture
def settings(settings):
    return without_lockout(settings)


def test_schemathesis_finds_nothing_in_the_workflow_operations(api, tmp_path):
    api.publish(ECHO)
    token = signed_in(api).headers["authorization"]
    operations = ("--include-path-regex", "^/workflows")
    schemathesis(f"{api.url}/api/v1/openapi.json", f"Authorization: {token}", 3, tmp_path, *operations)
