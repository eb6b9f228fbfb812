"""Schemathesis, every check, against a published workflow's own OpenAPI document (issue 15), with an
API key that may run it."""

from __future__ import annotations

import pytest

from tests.fuzz.cli import schemathesis, without_lockout
from tests.test_openapi import ECHO, doc_url


@pytest.fixture
def settings(settings):
    return without_lockout(settings)


def test_schemathesis_finds_nothing_in_a_workflow_document(api, tmp_path):
    wf = api.publish(ECHO)
    schemathesis(doc_url(api, wf), f"X-API-KEY: {api.key()}", 20, tmp_path)
