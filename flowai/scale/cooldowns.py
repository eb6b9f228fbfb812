"""Provider cool-downs shared by every process: when one process cools a provider down (repeated
failures, a refused key, a ``Retry-After``), the others skip it too until the same moment
(``flowai_cooldown`` notifications). Quotas and workflow budgets need nothing of this: they are
counted in the database already (flowai.providers.ledger)."""

from __future__ import annotations

import uuid

import orjson

from flowai.providers.router import Router

from .notify import Notifier

CHANNEL = "flowai_cooldown"


class SharedCooldowns:
    def __init__(self, notifier: Notifier, router: Router):
        self.notifier = notifier
        self.router = router
        self.origin = uuid.uuid4().hex  # its own notifications come back to it: ignored
        router.on_cooldown = self._publish
        notifier.on(CHANNEL, self._apply)

    def _publish(self, provider: str, until: float, why: str) -> None:
        message = {"origin": self.origin, "provider": provider, "until": until, "why": why}
        self.notifier.publish(CHANNEL, orjson.dumps(message).decode())

    def _apply(self, payload: str) -> None:
        message = orjson.loads(payload)
        if message["origin"] != self.origin:
            self.router.cool_down(message["provider"], float(message["until"]), f"{message['why']} (another process)")
