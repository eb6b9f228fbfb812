"""``FlowAI``: the synchronous client -- ``AsyncFlowAI`` run on a private event loop in a thread.

No logic lives here: each method hands the async one to the loop and waits for it, so sync and
async share one implementation, and the sync client also works where an event loop is already
running (a notebook). ``on_progress`` callbacks of ``batch`` run on the client's thread.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ._async import AsyncFlowAI, Progress
from ._types import BatchResult, Event, RunResult, RunStatus

T = TypeVar("T")


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


class _Loop:
    """An event loop in a daemon thread; ``call`` runs a coroutine there and waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="flowai-client", daemon=True)
        self.thread.start()

    def call(self, awaitable: Awaitable[T]) -> T:
        future = asyncio.run_coroutine_threadsafe(_awaited(awaitable), self.loop)
        try:
            return future.result()
        except BaseException:  # KeyboardInterrupt included: stop the work on the loop too
            future.cancel()
            raise

    def iterate(self, agen: AsyncIterator[T]) -> Iterator[T]:
        try:
            while True:
                try:
                    yield self.call(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(agen, "aclose", None)
            if aclose is not None and not self.loop.is_closed():
                self.call(aclose())

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class FlowAI:
    """The synchronous client; the same methods and arguments as ``AsyncFlowAI``."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 300.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 120.0,
        reconnects: int = 5,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self._loop = _Loop()
        weakref.finalize(self, self._loop.close)  # a client dropped without close() stops its thread
        self.aio = AsyncFlowAI(
            base_url,
            api_key,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
            reconnects=reconnects,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        return self.aio.base_url

    def close(self) -> None:
        if not self._loop.loop.is_closed():
            self._loop.call(self.aio.aclose())
        self._loop.close()

    def __enter__(self) -> FlowAI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self, workflow_id: str, input: Mapping[str, Any], *, version: int | None = None, detail: bool = False
    ) -> RunResult:
        return self._loop.call(self.aio.run(workflow_id, input, version=version, detail=detail))

    def stream(
        self, workflow_id: str, input: Mapping[str, Any], *, version: int | None = None, detail: bool = False
    ) -> Iterator[Event]:
        return self._loop.iterate(self.aio.stream(workflow_id, input, version=version, detail=detail))

    def events(self, run_id: str, *, after: int = 0) -> Iterator[Event]:
        return self._loop.iterate(self.aio.events(run_id, after=after))

    def run_async(
        self,
        workflow_id: str,
        input: Mapping[str, Any],
        *,
        version: int | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        return self._loop.call(
            self.aio.run_async(
                workflow_id, input, version=version, callback_url=callback_url, idempotency_key=idempotency_key
            )
        )

    def status(self, run_id: str) -> RunStatus:
        return self._loop.call(self.aio.status(run_id))

    def wait(self, run_id: str, *, timeout: float | None = None, poll_interval: float = 0.25) -> RunResult:
        return self._loop.call(self.aio.wait(run_id, timeout=timeout, poll_interval=poll_interval))

    def batch(
        self,
        workflow_id: str,
        inputs: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        version: int | None = None,
        on_progress: Progress | None = None,
        out: str | os.PathLike | None = None,
        name_template: str = "{index:03d}_{n}.{ext}",
        output_paths: Sequence[str | os.PathLike | None] | None = None,
        max_retries: int | None = None,
    ) -> list[BatchResult]:
        return self._loop.call(
            self.aio.batch(
                workflow_id,
                inputs,
                concurrency=concurrency,
                version=version,
                on_progress=on_progress,
                out=out,
                name_template=name_template,
                output_paths=output_paths,
                max_retries=max_retries,
            )
        )

    def download(
        self, files: Sequence[str], dir: str | os.PathLike, *, names: Sequence[str] | None = None
    ) -> list[Path]:
        return self._loop.call(self.aio.download(files, dir, names=names))
