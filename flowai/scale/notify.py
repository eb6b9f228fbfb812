"""PostgreSQL LISTEN/NOTIFY for one process: a listening connection that hands each notification
to the handler of its channel, and a sending connection fed by a queue (notifications leave in
the order they were published, many per round trip)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg

log = logging.getLogger("flowai.scale")
MAX_PAYLOAD = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


def conninfo(database_url: str) -> str:
    """A libpq URL from a SQLAlchemy one (``postgresql+psycopg://`` -> ``postgresql://``)."""
    head, sep, rest = database_url.partition("://")
    return "postgresql://" + rest if sep and head.startswith("postgresql") else database_url


class Notifier:
    def __init__(self, database_url: str):
        self.url = conninfo(database_url)
        self.handlers: dict[str, Callable[[str], None]] = {}
        self._outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._tasks: list[asyncio.Task] = []
        self._listen: psycopg.AsyncConnection | None = None
        self._send: psycopg.AsyncConnection | None = None

    def on(self, channel: str, handler: Callable[[str], None]) -> None:
        """Hand each notification on ``channel`` to ``handler`` (register before :meth:`start`)."""
        self.handlers[channel] = handler

    async def start(self) -> None:
        self._listen = await self._listening()
        self._send = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        self._tasks = [
            asyncio.create_task(self._read(), name="flowai-listen"),
            asyncio.create_task(self._write(), name="flowai-notify"),
        ]

    async def _listening(self) -> psycopg.AsyncConnection:
        conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        for channel in self.handlers:
            await conn.execute(f'LISTEN "{channel}"')
        return conn

    def publish(self, channel: str, payload: str) -> None:
        self._outbox.put_nowait((channel, payload))

    async def _read(self) -> None:
        while True:
            try:
                assert self._listen is not None
                async for note in self._listen.notifies():
                    self._handle(note.channel, note.payload)
            except (psycopg.Error, OSError):  # the database restarted, a network cut: listen again
                log.warning("lost the LISTEN connection; reconnecting")
                self._listen = await self._reconnect(self._listen, self._listening)

    def _handle(self, channel: str, payload: str) -> None:
        handler = self.handlers.get(channel)
        if handler is None:
            return
        try:
            handler(payload)
        except Exception:  # one bad message must not stop the listener
            log.exception("notification on %s not handled", channel)

    async def _write(self) -> None:
        while True:
            batch = [await self._outbox.get()]
            while not self._outbox.empty() and len(batch) < 500:
                batch.append(self._outbox.get_nowait())
            try:
                assert self._send is not None
                async with self._send.pipeline():
                    for channel, payload in batch:
                        await self._send.execute("SELECT pg_notify(%s, %s)", (channel, payload))
            except (psycopg.Error, OSError):
                log.warning("%d notifications not sent; reconnecting", len(batch))
                self._send = await self._reconnect(
                    self._send, lambda: psycopg.AsyncConnection.connect(self.url, autocommit=True)
                )

    async def _reconnect(self, old, connect) -> psycopg.AsyncConnection:
        if old is not None:
            await old.close()
        delay = 0.5
        while True:
            try:
                return await connect()
            except (psycopg.Error, OSError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def drain(self, timeout: float = 5.0) -> None:
        """Until every published notification has been sent (or ``timeout``)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not self._outbox.empty() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)

    async def close(self) -> None:
        await self.drain()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in (self._listen, self._send):
            if conn is not None:
                await conn.close()
