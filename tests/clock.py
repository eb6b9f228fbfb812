"""A clock a test moves forward, for the objects that take one (``clock=`` / ``.clock``, defaulting to
``time.monotonic``): TTLs, cool-downs and lockouts are waited out without sleeping.

    clock = Clock()
    api.platform.workflows.clock = clock
    clock.advance(1.1)
"""

from __future__ import annotations

import time


class Clock:
    def __init__(self, start: float | None = None):
        self.now = time.monotonic() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
