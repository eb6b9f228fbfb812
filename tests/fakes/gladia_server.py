"""A fake Gladia v2 API (providers.md B4) on 127.0.0.1.

``POST /v2/upload`` (multipart ``audio``, header ``x-gladia-key``) → ``{"audio_url",
"audio_metadata"}``; ``POST /v2/pre-recorded`` (JSON) → 201 ``{"id", "result_url"}``; each
``GET /v2/pre-recorded/{id}`` moves the job ``queued`` → ``processing`` → ``done`` (``result``
with the transcript, the languages and the WAV's duration). Gladia's requests name no model,
so ``fake.script`` scripts it: ``fails`` (the job ends in ``error`` with ``error_code``),
``poll-500-once`` (the first poll answers 500), and the base scripts on the submit. Errors
are ``{"timestamp", "path", "request_id", "statusCode", "message"}``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .base import JobFake, wav_seconds

TRANSCRIPT = "Bonjour from the fake Gladia."


@dataclass
class FakeGladia(JobFake):
    JOBS = "/v2/pre-recorded"

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse(
            {
                "timestamp": "2025-01-01T00:00:00.000Z",
                "path": "/v2/pre-recorded",
                "request_id": "G-fake",
                "statusCode": status,
                "message": message,
            },
            status_code=status,
        )

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("x-gladia-key") != self.api_key:
            return self.error(401, "Invalid or missing x-gladia-key")
        return None

    async def _upload(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        form = await request.form()
        data = await form["audio"].read()
        uid = uuid.uuid4().hex
        self.uploads[uid] = data
        return JSONResponse(
            {
                "audio_url": f"https://api.gladia.invalid/file/{uid}",
                "audio_metadata": {
                    "id": uid,
                    "filename": form["audio"].filename,
                    "audio_duration": wav_seconds(data),
                    "number_of_channels": 1,
                },
            }
        )

    async def _list(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"first": "", "current": "", "next": None, "items": []})

    async def _create(self, request: Request) -> Response:
        body, answer = await self.take_json(request, script_field="")  # no model: ``fake.script`` scripts it
        if answer:
            return answer
        uid = body.get("audio_url", "").rsplit("/", 1)[-1]
        if uid not in self.uploads:
            return self.error(400, "audio_url: could not download the file")
        jid = str(uuid.uuid4())
        languages = (body.get("language_config") or {}).get("languages") or ["fr"]
        self.jobs[jid] = {"id": jid, "status": "queued", "_uid": uid, "_languages": languages}
        return JSONResponse({"id": jid, "result_url": f"{self.url}/v2/pre-recorded/{jid}"}, status_code=201)

    async def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        self.polls += 1
        if self.script == "poll-500-once" and self.polls == 1:
            return self.error(500, "Internal server error.")
        job = self.jobs.get(request.path_params["jid"])
        if job is None:
            return self.error(404, "Job not found")
        self.advance(job, "done")
        if job["status"] == "done" and self.script == "fails":
            job.update(status="error", error_code=422)
        elif job["status"] == "done":
            seconds = wav_seconds(self.uploads[job["_uid"]])
            job["result"] = {
                "metadata": {"audio_duration": seconds, "number_of_distinct_channels": 1},
                "transcription": {"full_transcript": TRANSCRIPT, "languages": job["_languages"], "utterances": []},
            }
        return JSONResponse(self.public(job))
