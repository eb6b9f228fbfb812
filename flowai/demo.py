"""``flowai serve --demo``: seeds the example workflows (``flowai.workflows.examples``) and a demo key."""

from __future__ import annotations

from flowai.platform import Platform
from flowai.workflows.examples import EXAMPLES, HELLO, IMAGE, LLM_CHAT, PARALLEL, ROUTE, SPEECH

__all__ = ["EXAMPLES", "HELLO", "IMAGE", "LLM_CHAT", "PARALLEL", "ROUTE", "SPEECH", "seed"]


def seed(platform: Platform, owner_id: int) -> tuple[list[tuple[str, str]], str]:
    """Seed (once) and publish the examples; revoke old demo keys and make a new one.

    Returns ``([(workflow id, name)], demo key secret)``.
    """
    existing = {wf.name: wf.id for wf in platform.workflows.list(owner_id=owner_id, limit=1000)[0]}
    seeded = []
    for doc in EXAMPLES:
        wf_id = existing.get(doc["name"])
        if wf_id is None:
            wf, _ = platform.workflows.create(owner_id=owner_id, document=doc, message="Demo example", publish=True)
            wf_id = wf.id
        seeded.append((wf_id, doc["name"]))
    for key in platform.keys.list(owner_id=owner_id):
        if key.name == "demo" and key.revoked_at is None:
            assert key.id is not None  # a stored key
            platform.keys.revoke(owner_id=owner_id, key_id=key.id)
    secret, _ = platform.keys.create(owner_id=owner_id, name="demo")
    return seeded, secret
