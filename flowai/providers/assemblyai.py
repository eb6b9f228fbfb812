"""AssemblyAI (providers.md B4): upload the audio, create a transcript, poll until it ends.

Auth is the bare key in ``Authorization`` (no Bearer). Statuses: ``queued`` → ``processing`` →
``completed`` | ``error``. Usage seconds come from ``audio_duration``. Poll interval and
timeout: ``options["poll_interval"]`` / ``options["poll_timeout"]``.
"""

from __future__ import annotations

from typing import Any

from . import audio
from .base import Transcript, TranscriptionRequest, Usage
from .family import Family


class AssemblyAI(Family):
    DEFAULT_BASE_URL = "https://api.assemblyai.com"
    DEFAULT_MODELS = {"stt": "best"}

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self.api_key} if self.api_key else {}

    async def check(self) -> str:
        body = await self.request_json("GET", "/v2/transcript", params={"limit": 1})
        return f"key accepted ({len(body.get('transcripts') or [])} recent transcript(s) listed)"

    async def transcribe(self, request: TranscriptionRequest) -> Transcript:
        model = self.model_for("stt", request.model)
        uploaded = await self.request_json(
            "POST", "/v2/upload", content=request.audio.data, headers={"Content-Type": "application/octet-stream"}
        )
        job: dict[str, Any] = {"audio_url": self.need(uploaded, "upload_url")}
        if model and model != "best":
            job["speech_model"] = model
        if request.language:
            job["language_code"] = request.language
        else:
            job["language_detection"] = True
        created = await self.request_json("POST", "/v2/transcript", json=job)
        tid = self.need(created, "id")
        done = await self.poll(
            lambda: self.request_json("GET", f"/v2/transcript/{tid}"),
            lambda t: t.get("status") in ("completed", "error"),
            what=f"transcript {tid}",
        )
        if done["status"] == "error":
            raise self.fail(f"transcription failed: {done.get('error') or 'unknown error'}")
        seconds = done.get("audio_duration")
        return Transcript(
            done.get("text") or "",
            Usage(
                self.name,
                model,
                task="stt",
                seconds=float(seconds) if seconds is not None else audio.duration(request.audio),
            ),
            language=done.get("language_code") or request.language or None,
        )
