"""What the provider fakes share: real media bytes, SSE framing, scripted errors, serving.

A fake is a Starlette app that really listens on 127.0.0.1 (``serve(fake)``). Each one speaks
its provider's wire format, refuses a wrong key as the provider does (``_denied``), and is
scripted by the request's model name (or ``fake.script`` where the protocol carries no model):

    error-429     429 in the provider's shape, ``Retry-After: 7``
    error-500     500 in the provider's shape
    bad-request   400 in the provider's shape (a request error: not retryable)

plus family-specific scripts documented in each module. ``take_json`` starts a scripted JSON
call: a wrong key is refused before the body is read, the body is recorded, the script answered.
"""

from __future__ import annotations

import io
import json
import struct
import wave
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

API_KEY = "test-key"
DROP = object()  # yielded by a body generator of a DroppingStream: cut the connection there
SCRIPTS = {
    "error-429": (429, "Rate limit exceeded, slow down."),
    "error-500": (500, "Internal server error."),
    "bad-request": (400, "Invalid request: the field 'x' is not allowed."),
}


def png(seed: int = 0, size: int = 4) -> bytes:
    """A real PNG (``size`` x ``size``, one colour chosen by ``seed``)."""
    color = bytes([(seed * 53) % 256, (seed * 97 + 80) % 256, (seed * 31 + 160) % 256])
    raw = b"".join(b"\x00" + color * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """A real mono 16-bit WAV of silence lasting ``seconds``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


def mp3(frames: int = 38) -> bytes:
    """MP3 bytes an audio sniffer accepts: an ID3 tag, then 128 kbit/s 44.1 kHz layer III frames
    (417 bytes each, ~26 ms), so ``frames`` frames last ``frames * 417 * 8 / 128000`` seconds."""
    frame = b"\xff\xfb\x90\x00" + b"\x00" * 413
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + frame * frames


def wav_seconds(data: bytes) -> float:
    """The duration of a WAV clip (what the transcription fakes report)."""
    with wave.open(io.BytesIO(data)) as w:
        return w.getnframes() / w.getframerate()


def sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return head + f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def pieces(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


class DroppingStream(StreamingResponse):
    """A streaming response of bytes/str chunks that drops the connection when it meets ``DROP``."""

    async def stream_response(self, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async for item in self.body_iterator:
            if item is DROP:
                return  # no final body message: uvicorn closes the connection mid-body
            await send(
                {
                    "type": "http.response.body",
                    "more_body": True,
                    "body": item if isinstance(item, bytes) else item.encode(),
                }
            )
        await send({"type": "http.response.body", "body": b"", "more_body": False})


@dataclass
class Fake:
    """Base of the fakes: the key it accepts, what it saw, and its URL once it listens."""

    api_key: str = API_KEY
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    script: str = ""  # for protocols whose requests name no model

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        raise NotImplementedError

    def _denied(self, request: Request) -> Response | None:
        """The provider's refusal of a request without the right key, else None."""
        raise NotImplementedError

    async def take_json(
        self, request: Request, script_field: str = "model", **seen: Any
    ) -> tuple[dict[str, Any], Response | None]:
        """Start a JSON call: refuse a wrong key (nothing recorded), else record the body with ``seen``
        (what the test may check besides it) and answer the script its ``script_field`` names.
        Returns (body, the answer that ends the call, or None to go on)."""
        if (denied := self._denied(request)) is not None:
            return {}, denied
        body = await request.json()
        recorded = {**seen, **body}
        self.requests.append(recorded)
        return body, self.scripted(str(recorded.get(script_field) or ""))

    def scripted(self, name: str) -> Response | None:
        """The scripted error answer for a model name (or ``self.script``), else None."""
        name = name or self.script
        if name in SCRIPTS:
            status, message = SCRIPTS[name]
            resp = self.error(status, message, {429: "rate_limited", 500: "server_error"}.get(status, "invalid"))
            if status == 429:
                resp.headers["Retry-After"] = "7"
            return resp
        return None


@dataclass
class JobFake(Fake):
    """Base of the upload-then-poll fakes: uploaded bytes, jobs by id, and how often they were polled.

    Routes: ``POST /v2/upload`` (``_upload``), ``POST`` / ``GET`` of ``JOBS`` (``_create``, ``_list``)
    and ``GET JOBS/{jid}`` (``_get``)."""

    JOBS: ClassVar[str] = ""
    uploads: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, dict] = field(default_factory=dict)
    polls: int = 0

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/v2/upload", self._upload, methods=["POST"]),
                Route(self.JOBS, self._create, methods=["POST"]),
                Route(self.JOBS, self._list, methods=["GET"]),
                Route(self.JOBS + "/{jid}", self._get),
            ]
        )

    @staticmethod
    def advance(job: dict, done: str) -> None:
        """One poll's progress: ``queued`` -> ``processing`` -> ``done``."""
        job["status"] = {"queued": "processing", "processing": done}.get(job["status"], job["status"])

    @staticmethod
    def public(job: dict) -> dict:
        """The job as the API shows it (keys starting with ``_`` are the fake's own notes)."""
        return {k: v for k, v in job.items() if not k.startswith("_")}


@contextmanager
def serve(fake: Fake) -> Iterator[Fake]:
    from tests.conftest import ThreadServer  # late: tests.conftest imports the fakes as plugins

    with ThreadServer(fake.app) as server:  # type: ignore[attr-defined]
        fake.url = server.url
        yield fake
