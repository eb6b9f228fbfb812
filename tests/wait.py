"""The one way tests wait for something another thread or process does: poll a predicate until it
holds (returning its value) or fail with a message after ``timeout`` seconds.

    run = wait_until(lambda: recorded(run_id), message="the run was not recorded")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, every: float = 0.05, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        time.sleep(every)


async def await_until(predicate: Callable[[], T], timeout: float = 10.0, every: float = 0.01, message: str = "") -> T:
    """``wait_until`` inside an event loop (the loop keeps running while it waits)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout} s")
        await asyncio.sleep(every)
