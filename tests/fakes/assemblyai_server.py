"""A fake AssemblyAI v2 API (providers.md B4) on 127.0.0.1.

``POST /v2/upload`` (raw bytes, ``Authorization: <key>`` without Bearer) → ``{"upload_url"}``;
``POST /v2/transcript`` → ``{"id", "status": "queued"}``; each ``GET /v2/transcript/{id}``
moves it on: ``queued`` → ``processing`` → ``completed`` (``text``, ``audio_duration`` read
from the uploaded WAV, ``language_code``). Scripts by ``speech_model`` on the create call:
``fails`` (the job ends in ``error``), ``stuck`` (never finishes), and the base scripts.
Errors are ``{"error": "..."}``. ``GET /v2/transcript`` lists transcripts.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .base import JobFake, wav_seconds

TRANSCRIPT = "Hello from the fake AssemblyAI."


@dataclass
class FakeAssemblyAI(JobFake):
    JOBS = "/v2/transcript"

    def error(self, status: int, message: str, code: str | None = None) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    def _denied(self, request: Request) -> Response | None:
        if request.headers.get("authorization") != self.api_key:
            return self.error(401, "Authentication error, API token missing/invalid")
        return None

    async def _upload(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        uid = f"u{len(self.uploads)}"
        self.uploads[uid] = await request.body()
        return JSONResponse({"upload_url": f"https://cdn.assemblyai.invalid/upload/{uid}"})

    async def _list(self, request: Request) -> Response:
        return self._denied(request) or JSONResponse({"page_details": {}, "transcripts": []})

    async def _create(self, request: Request) -> Response:
        body, answer = await self.take_json(request, "speech_model")
        if answer:
            return answer
        uid = body.get("audio_url", "").rsplit("/", 1)[-1]
        if uid not in self.uploads:
            return self.error(400, "Download error, unable to download the audio_url")
        tid = f"t{len(self.jobs)}"
        self.jobs[tid] = {
            "id": tid,
            "status": "queued",
            "_model": body.get("speech_model", ""),
            "_uid": uid,
            "_lang": body.get("language_code") or "en_us",
        }
        return JSONResponse({"id": tid, "status": "queued", "audio_url": body["audio_url"]})

    async def _get(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        self.polls += 1
        job = self.jobs.get(request.path_params["jid"])
        if job is None:
            return self.error(404, "Transcript not found")
        if job["_model"] != "stuck":
            self.advance(job, "completed")
        if job["status"] == "completed" and job["_model"] == "fails":
            job.update(status="error", error="File does not appear to contain audio.")
        elif job["status"] == "completed":
            job.update(
                text=TRANSCRIPT,
                audio_duration=round(wav_seconds(self.uploads[job["_uid"]])),
                language_code=job["_lang"],
            )
        return JSONResponse(self.public(job))
