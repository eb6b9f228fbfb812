"""Gladia v2 pre-recorded transcription (providers.md B4): upload, submit, poll.

``POST /v2/upload`` (multipart ``audio``) → ``audio_url``; ``POST /v2/pre-recorded`` → ``id``;
``GET /v2/pre-recorded/{id}`` until ``done`` | ``error``. Every job is billed, so submitting is
idempotent: a job created for the same audio and settings is polled again rather than
created twice (a retry after a lost answer, a poll that timed out), and an upload is reused.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from . import audio
from .base import Transcript, TranscriptionRequest, Usage
from .family import Family, filename

REMEMBERED = 256  # uploads and unfinished jobs kept for idempotent resubmission


class Gladia(Family):
    DEFAULT_BASE_URL = "https://api.gladia.io"
    DEFAULT_MODELS = {"stt": "solaria-1"}

    def __init__(self, name: str, **kwargs: Any):
        super().__init__(name, **kwargs)
        self._uploads: OrderedDict[str, str] = OrderedDict()  # audio digest -> audio_url
        self._jobs: OrderedDict[str, str] = OrderedDict()  # digest of audio + settings -> job id

    def auth_headers(self) -> dict[str, str]:
        return {"x-gladia-key": self.api_key} if self.api_key else {}

    async def check(self) -> str:
        await self.request_json("GET", "/v2/pre-recorded", params={"limit": 1})
        return "key accepted"

    async def transcribe(self, request: TranscriptionRequest) -> Transcript:
        model = self.model_for("stt", request.model)
        media = request.audio
        digest = hashlib.sha256(media.data).hexdigest()
        job: dict[str, Any] = {}
        if request.language:
            job["language_config"] = {"languages": [request.language], "code_switching": False}
        key = hashlib.sha256(f"{digest}|{sorted(job.items())!r}".encode()).hexdigest()
        job_id = self._jobs.get(key)
        if job_id is None:
            job["audio_url"] = await self._upload(digest, media.data, media.content_type)
            created = await self.request_json("POST", "/v2/pre-recorded", json=job)
            job_id = self.need(created, "id")
            _remember(self._jobs, key, job_id)
        done = await self.poll(
            lambda: self.request_json("GET", f"/v2/pre-recorded/{job_id}"),
            lambda j: j.get("status") in ("done", "error"),
            what=f"job {job_id}",
        )
        self._jobs.pop(key, None)
        if done["status"] == "error":
            raise self.fail(f"transcription failed: {done.get('error_code') or 'unknown error'}")
        result = done.get("result") or {}
        transcription = result.get("transcription") or {}
        seconds = (result.get("metadata") or {}).get("audio_duration")
        languages = transcription.get("languages") or []
        return Transcript(
            (transcription.get("full_transcript") or "").strip(),
            Usage(
                self.name, model, task="stt", seconds=float(seconds) if seconds is not None else audio.duration(media)
            ),
            language=(languages[0] if languages else None) or request.language or None,
        )

    async def _upload(self, digest: str, data: bytes, content_type: str) -> str:
        if digest in self._uploads:
            return self._uploads[digest]
        body = await self.request_json(
            "POST", "/v2/upload", files={"audio": (filename("audio", content_type), data, content_type)}
        )
        url = self.need(body, "audio_url")
        _remember(self._uploads, digest, url)
        return url


def _remember(store: OrderedDict, key: str, value: str) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > REMEMBERED:
        store.popitem(last=False)
