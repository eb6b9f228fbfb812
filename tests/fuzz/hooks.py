"""Schemathesis hooks for tests/test_fuzz_*.py (loaded through SCHEMATHESIS_HOOKS=tests.fuzz.hooks).

A run's ``callback_url`` is accepted when it resolves to a public address (the security baseline), which no
schema can state and this offline machine cannot offer. Requests generated as schema-valid therefore
leave it out ("" means none); requests generated to violate the schema keep theirs, so the server's
refusal of bad callback URLs is still checked. For the same reason of state, a schema-valid request gets
an ``Idempotency-Key`` of its own: a key generated once and reused with another body is rightly
answered 422, which no schema of one request can express.
"""

from __future__ import annotations

import uuid

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive and isinstance(case.body, dict):
        if case.body.get("callback_url"):
            case.body["callback_url"] = ""
        headers = case.headers or {}
        if "Idempotency-Key" in headers:
            headers["Idempotency-Key"] = uuid.uuid4().hex
