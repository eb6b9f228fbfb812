"""``AsyncFlowAI``: the client's one implementation, over an ``httpx.AsyncClient``.

Every call is retried on 429, 5xx and failed connections as ``RetryPolicy`` says (``Retry-After``
honoured). A run is posted with an ``Idempotency-Key``: a retry after a lost answer returns the
first run instead of starting a second one; a retry after an error answer is a new run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from . import _core
from ._errors import FlowAIError, InputError, TransportError
from ._types import BatchResult, ErrorEvent, Event, OutputEvent, RunResult, RunStatus

Progress = Callable[[int, int, BatchResult], Any]


class AsyncFlowAI:
    """A client of one FlowAI server's published run API, authenticated by an API key.

    ``max_retries`` (default 3, the FlowAI guide's advice) bounds the retries of each call;
    ``reconnects`` those of a dropped stream. ``transport`` or ``http_client`` may be injected."""

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
        http_client: httpx.AsyncClient | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.retry = _core.RetryPolicy(max_retries, backoff, max_backoff, max_retry_after)
        self.reconnects = reconnects
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), transport=transport
        )

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncFlowAI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- runs ------------------------------------------------------------------------------------

    async def run(
        self, workflow_id: str, input: Mapping[str, Any], *, version: int | None = None, detail: bool = False
    ) -> RunResult:
        """Run the published (or an older ``version``) workflow and return its result."""
        return await self._run(workflow_id, input, version=version, detail=detail)

    async def _run(
        self,
        workflow_id: str,
        input: Mapping[str, Any],
        *,
        version: int | None = None,
        detail: bool = False,
        retry: _core.RetryPolicy | None = None,
    ) -> RunResult:
        body = _core.run_body(input, version=version, detail=detail)
        path = _core.RUN_PATH.format(workflow_id=workflow_id)
        resp = await self._send("POST", path, json=body, idempotent=True, retry=retry)
        return _core.result_from(resp.json(), resp.headers.get("x-run-id"))

    async def stream(
        self, workflow_id: str, input: Mapping[str, Any], *, version: int | None = None, detail: bool = False
    ) -> AsyncIterator[Event]:
        """The run's events as they happen: ``MsgEvent``, ``StreamEvent``, then ``OutputEvent`` (or
        ``ErrorEvent``), last. A dropped connection is resumed from the last event received."""
        body = _core.run_body(input, version=version, stream=True, detail=detail)
        path = _core.RUN_PATH.format(workflow_id=workflow_id)
        resp = await self._send("POST", path, json=body, idempotent=True, stream=True)
        async for event in self._follow(resp, resp.headers.get("x-run-id"), 0):
            yield event

    async def events(self, run_id: str, *, after: int = 0) -> AsyncIterator[Event]:
        """Follow a run's events from after event ``after`` (replayed, then live), resuming drops."""
        async for event in self._follow(None, run_id, after):
            yield event

    async def run_async(
        self,
        workflow_id: str,
        input: Mapping[str, Any],
        *,
        version: int | None = None,
        callback_url: str | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """Start a run in the background; its ``run_id`` (see ``wait`` and ``status``)."""
        body = _core.run_body(input, version=version, async_=True, callback_url=callback_url)
        path = _core.RUN_PATH.format(workflow_id=workflow_id)
        resp = await self._send("POST", path, json=body, idempotent=True, idempotency_key=idempotency_key)
        return resp.json()["run_id"]

    async def status(self, run_id: str) -> RunStatus:
        resp = await self._send("GET", _core.STATUS_PATH.format(run_id=run_id))
        return _core.status_from(resp.json())

    async def wait(self, run_id: str, *, timeout: float | None = None, poll_interval: float = 0.25) -> RunResult:
        """Wait until a run ends; its result, or its error raised (typed by the error's code)."""
        async with asyncio.timeout(timeout):
            interval = poll_interval
            while not (status := await self.status(run_id)).done:
                await asyncio.sleep(interval)
                interval = min(interval * 1.5, 2.0)
        return _core.result_of_status(status)

    # -- batches ---------------------------------------------------------------------------------

    async def batch(
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
        """One run per input, ``concurrency`` at a time; a failing item fails alone. Results are in input
        order. Each item's files are downloaded the moment it finishes: to ``output_paths[i]`` when given
        (its first file there, the next ones numbered ``name_1.png``...), else into ``out`` named by
        ``name_template`` (``{index}`` from 1, ``{input.<field>}``, ``{n}``, ``{ext}``); ``files`` are then
        the paths written. ``max_retries`` overrides the client's for this batch's calls.
        ``on_progress(done, total, result)`` is called as each item ends (may be a coroutine)."""
        items = [dict(i) for i in inputs]
        if output_paths is not None and len(output_paths) != len(items):
            raise ValueError(f"output_paths has {len(output_paths)} paths for {len(items)} inputs.")
        retry = None if max_retries is None else dataclasses.replace(self.retry, max_retries=max_retries)
        slots = asyncio.Semaphore(max(1, concurrency))
        results: list[BatchResult | None] = [None] * len(items)
        done = 0

        async def one(index: int, item: dict[str, Any]) -> None:
            nonlocal done
            async with slots:
                result = BatchResult(index, item, success=False)
                try:
                    run = await self._run(workflow_id, item, version=version, retry=retry)
                    result.success, result.output, result.files = True, run.output, run.files
                    result.run_id, result.total_time = run.run_id, run.total_time
                    chosen = output_paths[index - 1] if output_paths is not None else None
                    if chosen is not None and run.files:
                        target = Path(chosen)
                        names = [_core.numbered(target.name, n) for n in range(len(run.files))]
                        result.files = [str(p) for p in await self.download(run.files, target.parent, names=names)]
                    elif out is not None and run.files:  # {ext} stays for download to fill from the type
                        names = [
                            _core.format_name(name_template, index=index, input=item, ext="{ext}", n=n)
                            for n in range(len(run.files))
                        ]
                        result.files = [str(p) for p in await self.download(run.files, out, names=names)]
                except FlowAIError as exc:
                    result.success, result.error = False, exc
                except ValueError as exc:  # a name template that cannot be filled
                    result.success, result.error = False, InputError(str(exc))
            results[index - 1] = result
            done += 1
            if on_progress is not None:
                maybe = on_progress(done, len(items), result)
                if isinstance(maybe, Awaitable):
                    await maybe

        async with asyncio.TaskGroup() as group:
            for index, item in enumerate(items, start=1):
                group.create_task(one(index, item))
        return [r for r in results if r is not None]

    # -- files -----------------------------------------------------------------------------------

    async def download(
        self, files: Sequence[str], dir: str | os.PathLike, *, names: Sequence[str] | None = None
    ) -> list[Path]:
        """Download files a run produced into ``dir``; the paths written, in order. A name may contain
        ``{ext}`` (filled from the file's type); by default a file is named ``<file id>.<ext>``."""
        folder = Path(dir)
        folder.mkdir(parents=True, exist_ok=True)

        async def one(i: int, url: str) -> Path:
            absolute = url if url.startswith(("http://", "https://")) else self.base_url + url
            resp = await self._send("GET", absolute, auth=False, stream=True)
            try:
                ext = _core.extension(resp.headers.get("content-type"), url)
                name = (names[i] if names is not None else f"{_core.file_id(url)}.{{ext}}").replace("{ext}", ext)
                path = folder / name
                if folder.resolve() not in path.resolve().parents:
                    raise InputError(f"The file name {name!r} leaves the folder {str(folder)!r}.")
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("wb") as f:  # streamed: a video is not held in memory
                    async for chunk in resp.aiter_bytes():
                        f.write(chunk)
            except httpx.TransportError as exc:
                raise TransportError(f"Downloading {url} failed: {type(exc).__name__}: {exc}") from None
            finally:
                await resp.aclose()
            return path

        return list(await asyncio.gather(*(one(i, u) for i, u in enumerate(files))))

    # -- HTTP ------------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
        idempotency_key: str | None = None,
        stream: bool = False,
        auth: bool = True,
        retry: _core.RetryPolicy | None = None,
    ) -> httpx.Response:
        """One call with retries; a 2xx answer (unread when ``stream``), or its typed error raised."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        base_headers = {"X-API-KEY": self.api_key} if auth else {}
        key = idempotency_key or (uuid.uuid4().hex if idempotent else None)
        attempt = 0
        while True:
            sent = {**base_headers, **(headers or {}), **({"Idempotency-Key": key} if key else {})}
            request = self._http.build_request(method, url, json=json, headers=sent)
            try:
                resp = await self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                error: FlowAIError = TransportError(f"{method} {url} failed: {type(exc).__name__}: {exc}")
            else:
                if resp.status_code < 400:
                    return resp
                content = await resp.aread()
                await resp.aclose()
                error = _core.error_from(resp.status_code, resp.headers, content)
                if idempotent and not idempotency_key:
                    key = uuid.uuid4().hex  # the server answered: a retry is a new run
            delay = (retry or self.retry).delay(attempt, error)
            if delay is None:
                raise error
            await asyncio.sleep(delay)
            attempt += 1

    async def _follow(self, resp: httpx.Response | None, run_id: str | None, last: int) -> AsyncIterator[Event]:
        """Events of ``resp`` (or of the run's events URL), reconnecting with ``Last-Event-ID`` on a drop."""
        drops = 0
        while True:
            if resp is None:
                headers = {"Last-Event-ID": str(last)}
                resp = await self._send("GET", _core.EVENTS_PATH.format(run_id=run_id), headers=headers, stream=True)
            decoder = _core.SSEDecoder()
            try:
                async for line in resp.aiter_lines():
                    event = decoder.feed(line)
                    if event is None:
                        continue
                    if event.id is not None:
                        last = event.id
                    yield event
                    if isinstance(event, (OutputEvent, ErrorEvent)):
                        return
                reason = "the stream ended before the run's output"
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                await resp.aclose()
            resp = None
            drops += 1
            if run_id is None or drops > self.reconnects:
                raise TransportError(f"The event stream of run {run_id} was cut ({reason}).", run_id=run_id)
            await asyncio.sleep(min(self.retry.backoff * 2 ** (drops - 1), self.retry.max_backoff))
