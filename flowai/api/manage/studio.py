"""The video-studio API of the design "AI视频生成工作流系统 API 设计文档" at ``/api/v1/workflow``
(docs/studio-api.md): HTTP adapters over flowai.studio, which maps its resources onto a
background run of the novel-to-video template. Unknown projects answer 40401, another account's
40301, an unknown shot, asset or stage resource 40402; a run the API needs that is not in this
process's task queue 50004."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field

from flowai.access.users import Account as User
from flowai.api.http import read_bounded
from flowai.errors import FlowAIError, InputError
from flowai.media.files import Files
from flowai.runs.events import NodeFailed, NodeFinished, NodeSkipped, NodeStarted
from flowai.runs.service import Principal
from flowai.studio import Studio, views
from flowai.texts import Text

from .common import Page, bearer_user, current_user, ok, platform_of
from .resources import validate
from .studio_uploads import audio_seconds, read_upload

router = APIRouter(prefix="/workflow", tags=["studio"])
Status = Literal["pending", "processing", "paused", "completed", "failed", "cancelled"]
StageName = Literal["script", "asset", "storyboard", "animatic", "video", "edit"]
AssetType = Literal["character", "prop", "scene"]


class Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class Options(Loose):
    ai_provider: str | None = Field(default=None, max_length=100)
    preferences: dict[str, Any] = Field(default_factory=dict)


class CreateWorkflow(BaseModel):
    name: Text = Field(min_length=1, max_length=200)
    input_type: Literal["novel"] = "novel"
    input_content: Text = Field(min_length=1, max_length=200_000)
    options: Options = Field(default_factory=Options)


class ScriptTask(BaseModel):
    workflow_id: str | None = Field(default=None, max_length=64)
    input_type: Literal["novel"] = "novel"
    input_content: Text | None = Field(default=None, max_length=200_000)
    input_file_url: str | None = Field(default=None, max_length=2000)
    options: Loose = Field(default_factory=Loose)


class StageTask(BaseModel):
    workflow_id: str = Field(max_length=64)
    script_id: str | None = Field(default=None, max_length=100)
    storyboard_id: str | None = Field(default=None, max_length=100)
    animatic_id: str | None = Field(default=None, max_length=100)
    video_id: str | None = Field(default=None, max_length=100)
    options: dict[str, Any] = Field(default_factory=dict)


class AssetRegenerate(BaseModel):
    prompt: Text | None = Field(default=None, max_length=4000)
    options: Loose = Field(default_factory=Loose)


class Replacements(BaseModel):
    character: Text | None = Field(default=None, max_length=2000)
    scene: Text | None = Field(default=None, max_length=2000)
    action: Text | None = Field(default=None, max_length=2000)
    shot_type: Text | None = Field(default=None, max_length=100)


class ShotEdit(BaseModel):
    prompt: Text | None = Field(default=None, max_length=4000)
    replacements: Replacements = Field(default_factory=Replacements)


class ShotRegenerate(BaseModel):
    shot_ids: list[str] = Field(min_length=1, max_length=100)
    options: Loose = Field(default_factory=Loose)


class Music(BaseModel):
    music_url: str | None = Field(default=None, max_length=2000)
    volume: float = Field(default=0.3, ge=0, le=2)
    fade_in: float = Field(default=0.0, ge=0, le=60)
    fade_out: float = Field(default=0.0, ge=0, le=60)


class AudioText(BaseModel):
    text: Text = Field(min_length=1, max_length=2000)
    shot_id: str = Field(max_length=20)
    options: Loose = Field(default_factory=Loose)


def _studio(request: Request) -> Studio:
    return platform_of(request).studio


def _task(handle_id: str, status: str) -> dict:
    return {"task_id": f"task_{handle_id}", "status": status}


async def _snap(request: Request, user: User, resource_id: str, prefix: str = ""):
    studio, principal = _studio(request), Principal(user.id)
    return await studio.snapshot(principal, studio.project(principal, resource_id, prefix))


# workflows ----------------------------------------------------------------------------------
@router.post("", status_code=202, summary="Create a video project (a background run of Novel to video)")
async def create_workflow(body: CreateWorkflow, request: Request, user: User = Depends(current_user)):
    project, handle = await _studio(request).create(Principal(user.id), name=body.name, content=body.input_content)
    data = {"workflow_id": project["id"], "status": "pending", "created_at": project["created_at"]}
    return ok(data, status_code=202)


@router.get("", summary="Your video projects, paged; filter by status and current stage")
async def list_workflows(
    request: Request,
    page: Page = Depends(),
    status: Status | None = None,
    stage: StageName | None = None,
    user: User = Depends(current_user),
):
    snaps, total = await _studio(request).page(
        Principal(user.id), status=status, stage=stage, offset=page.offset, limit=page.page_size
    )
    return ok(
        {"workflows": [views.summary(s) for s in snaps], "total": total, "page": page.page, "page_size": page.page_size}
    )


# script ---------------------------------------------------------------------------------------
@router.post("/script", status_code=202, summary="Create a script task (a new project without workflow_id)")
async def create_script(body: ScriptTask, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    if body.workflow_id is None:
        content = body.input_content or body.input_file_url
        if not content:
            raise InputError("Give input_content or input_file_url (or the workflow_id of a project).")
        project, handle = await studio.create(principal, name="Script", content=content)
        return ok(_task(handle.id, "pending") | {"workflow_id": project["id"]}, status_code=202)
    return await _stage_task(
        request, user, body.workflow_id, "script", lambda p: studio.regenerate(principal, p, "script", {})
    )


@router.post("/script/upload", summary="Upload a novel (txt, md, pdf, docx, epub) for input_content")
async def upload_script(request: Request, user: User = Depends(current_user)):
    files: Files = platform_of(request).files
    upload, fields = await read_upload(
        request, files, user.id, kinds=("text/", "application/pdf", "application/vnd", "application/epub")
    )
    if fields.get("workflow_id"):
        _studio(request).project(Principal(user.id), fields["workflow_id"])
    return ok({"file_url": files.signed_url(upload.id).url, "file_size": upload.size, "content_type": upload.type})


@router.get("/script/{script_id}", summary="The screenplay and the storyboard script")
async def get_script(script_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.script(await _snap(request, user, script_id, "script")))


# assets ---------------------------------------------------------------------------------------
@router.post("/assets", status_code=202, summary="(Re)design the assets of a project")
async def create_assets(body: StageTask, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    return await _stage_task(
        request, user, body.workflow_id, "assets", lambda p: studio.regenerate(principal, p, "character", {})
    )


@router.get("/assets", summary="A project's assets (characters and scenes; the template draws no props)")
async def list_assets(
    request: Request, workflow_id: str, type: AssetType | None = None, user: User = Depends(current_user)
):
    found = views.assets(await _snap(request, user, workflow_id), type)
    return ok({"assets": found, "total": len(found)})


@router.post("/assets/{asset_id}/upload", summary="A reference image for an asset (used when it is regenerated)")
async def upload_reference(asset_id: str, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    project, _kind = studio.asset(principal, asset_id)
    files: Files = platform_of(request).files
    upload, _fields = await read_upload(request, files, user.id, kinds=("image/",))
    url = files.signed_url(upload.id).url
    studio.save_reference(project, asset_id, url, upload.id)
    return ok({"asset_id": asset_id, "reference_image_url": url, "status": "pending"})


@router.post("/assets/{asset_id}/regenerate", summary="Redraw an asset; only what depends on it runs again")
async def regenerate_asset(
    asset_id: str, request: Request, body: AssetRegenerate | None = None, user: User = Depends(current_user)
):
    studio, principal = _studio(request), Principal(user.id)
    project, _kind = studio.asset(principal, asset_id)
    body = body or AssetRegenerate()
    file_id = studio.reference_file(project, asset_id)
    reference = platform_of(request).files.signed_url(file_id).url if file_id else None
    await studio.redraw_asset(principal, project, asset_id, body.prompt, reference)
    return ok({"asset_id": asset_id, "status": "processing"})


# storyboard -----------------------------------------------------------------------------------
@router.post("/storyboard", status_code=202, summary="(Re)draw the storyboard (3x3, cut into shots)")
async def create_storyboard(body: StageTask, request: Request, user: User = Depends(current_user)):
    if body.options.get("grid_layout", "3x3") != "3x3" or body.options.get("auto_crop", True) is not True:
        raise InputError("The storyboard is a 3x3 sheet cut into its shots: grid_layout '3x3', auto_crop true.")
    studio, principal = _studio(request), Principal(user.id)
    return await _stage_task(
        request, user, body.workflow_id, "storyboard", lambda p: studio.regenerate(principal, p, "board", {})
    )


@router.get("/storyboard/{storyboard_id}", summary="The storyboard's shots")
async def get_storyboard(storyboard_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.storyboard(await _snap(request, user, storyboard_id, "storyboard")))


@router.put("/storyboard/{storyboard_id}/shots/{shot_id}", summary="Edit a shot's prompt (regenerate it after)")
async def edit_shot(
    storyboard_id: str, shot_id: str, body: ShotEdit, request: Request, user: User = Depends(current_user)
):
    snap = await _snap(request, user, storyboard_id, "storyboard")
    changes = body.replacements.model_dump(exclude_none=True)
    return ok(_studio(request).edit_shot(snap, shot_id, body.prompt, changes))


@router.post(
    "/storyboard/{storyboard_id}/regenerate", summary="Redraw shots; only they and what depends on them run again"
)
async def regenerate_shots(
    storyboard_id: str, body: ShotRegenerate, request: Request, user: User = Depends(current_user)
):
    snap = await _snap(request, user, storyboard_id, "storyboard")
    handle = await _studio(request).regenerate_shots(Principal(user.id), snap, body.shot_ids)
    return ok(_task(handle.id, "pending"))


# animatic -------------------------------------------------------------------------------------
@router.post("/animatic", status_code=202, summary="(Re)make the animatic; duration_control holds each shot's length")
async def create_animatic(body: StageTask, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    control = body.options.get("duration_control") or {}
    low, high = float(control.get("min", 2)), float(control.get("max", 12))
    if not 2 <= low <= high <= 12:
        raise InputError("duration_control: 2 <= min <= max <= 12 seconds (what the video model makes).")

    async def retime(project):
        return await studio.retime(principal, await studio.snapshot(principal, project), low, high)

    return await _stage_task(request, user, body.workflow_id, "animatic", retime)


@router.get("/animatic/{animatic_id}", summary="The animatic: its video and each shot's picture, voice and timing")
async def get_animatic(animatic_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.animatic(await _snap(request, user, animatic_id, "animatic")))


_AUDIO_JSON: dict[str, Any] = AudioText.model_json_schema()
_AUDIO_JSON.pop("$defs", None)
_AUDIO_JSON["properties"]["options"] = {
    "type": "object",
    "description": "voice_id: the TTS provider's voice for this shot (ElevenLabs' voice id); provider: "
    "informational, the configured TTS provider speaks",
}
AUDIO_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _AUDIO_JSON},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "shot_id"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "An audio file (mp3, wav...)"},
                        "shot_id": {"type": "string", "maxLength": 20},
                    },
                }
            },
        },
    }
}


@router.post(
    "/animatic/{animatic_id}/audio",
    status_code=202,
    summary="A shot's line spoken anew (JSON: text, options.voice_id) or its narration uploaded (multipart)",
    openapi_extra=AUDIO_DOC,
)
async def animatic_audio(animatic_id: str, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    snap = await _snap(request, user, animatic_id, "animatic")
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        files: Files = platform_of(request).files
        upload, fields = await read_upload(request, files, user.id, kinds=("audio/",))
        shot = fields.get("shot_id") or ""
        try:
            duration = await audio_seconds(files, upload)
            url = files.signed_url(upload.id).url
            handle = await studio.narrate(principal, snap, shot, url)
        except FlowAIError:
            files.delete(upload.id)
            raise
        return ok({"shot_id": shot, "audio_url": url, "duration": duration, **_task(handle.id, "pending")}, 202)
    raw = await read_bounded(request, platform_of(request).settings.max_body_bytes)
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"The request body is not valid JSON: {exc.msg} (at byte {exc.pos}).") from None
    body: AudioText = validate(AudioText, data)
    voice = (body.options.model_extra or {}).get("voice_id") or ""
    if not isinstance(voice, str) or len(voice) > 200:
        raise InputError("options.voice_id must be the TTS provider's voice id (text, at most 200 characters).")
    handle = await studio.speak(principal, snap, body.shot_id, body.text, voice)
    return ok(
        {"shot_id": body.shot_id, "audio_url": None, "duration": None, **_task(handle.id, "pending")}, status_code=202
    )


# video ------------------------------------------------------------------------------------------
@router.post("/video", status_code=202, summary="(Re)make the clips; parallel: four at a time, else one")
async def create_video(body: StageTask, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    parallel = bool(body.options.get("parallel", True))
    return await _stage_task(request, user, body.workflow_id, "video", lambda p: studio.clips(principal, p, parallel))


@router.get("/video/{video_id}/progress", summary="The clips' progress, segment by segment")
async def video_progress(video_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.video_progress(await _snap(request, user, video_id, "video")))


@router.get("/video/{video_id}", summary="The clips")
async def get_video(video_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.video(await _snap(request, user, video_id, "video")))


# edit -------------------------------------------------------------------------------------------
@router.post("/edit", status_code=202, summary="(Re)make the final cut: background music in a style, or none")
async def create_edit(body: StageTask, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    options = body.options

    def start(project):
        return studio.cut(
            principal,
            project,
            music=options.get("add_background_music", True) is not False,
            style=str(options.get("music_style") or "cinematic")[:200],
            effects=options.get("add_audio_effects") is True,
        )

    return await _stage_task(request, user, body.workflow_id, "edit", start)


@router.post("/edit/{edit_id}/music", summary="Background music for the final cut: its URL, volume and fades")
async def edit_music(edit_id: str, body: Music, request: Request, user: User = Depends(current_user)):
    studio, principal = _studio(request), Principal(user.id)
    project = studio.project(principal, edit_id, "edit")
    await studio.music(principal, project, body.model_dump())
    return ok({"edit_id": f"edit_{project['id']}", "status": "processing"})


@router.get("/edit/{edit_id}", summary="The final cut")
async def get_edit(edit_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.edit(await _snap(request, user, edit_id, "edit")))


# one project (after the fixed paths above) --------------------------------------------------
@router.get("/{workflow_id}", summary="A project: status, stage, progress, script, assets, storyboard")
async def get_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.workflow(await _snap(request, user, workflow_id)))


async def _transition(request: Request, user: User, workflow_id: str, action: str):
    studio, principal = _studio(request), Principal(user.id)
    project = studio.project(principal, workflow_id)
    status = await studio.transition(principal, project, action)
    return ok({"id": project["id"], "status": views.STATUS.get(status, status) if status != "running" else "running"})


@router.post("/{workflow_id}/pause", summary="No new step starts; running steps finish")
async def pause_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, user, workflow_id, "pause")


@router.post("/{workflow_id}/resume")
async def resume_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, user, workflow_id, "resume")


@router.post("/{workflow_id}/cancel")
async def cancel_workflow(workflow_id: str, request: Request, user: User = Depends(current_user)):
    return await _transition(request, user, workflow_id, "cancel")


@router.get("/{workflow_id}/progress", summary="Overall and per-stage progress, 0..1")
async def workflow_progress(workflow_id: str, request: Request, user: User = Depends(current_user)):
    return ok(views.progress(await _snap(request, user, workflow_id)))


async def _stage_task(request: Request, user: User, workflow_id: str, stage: str, start) -> Any:
    """A stage task of a project: while its run goes, that run (the stage's status); once it has
    ended, the stage run again with the options (a regenerate)."""
    studio, principal = _studio(request), Principal(user.id)
    project = studio.project(principal, workflow_id)
    live = studio.runs.live(principal, project["run_id"])
    if live is not None and not live.done:
        snap = await studio.snapshot(principal, project)
        return ok(_task(live.id, snap.stage(stage)), status_code=202)
    handle = await start(project)
    return ok(_task(handle.id, "pending"), status_code=202)


# WebSocket ------------------------------------------------------------------------------------
@router.websocket("/{workflow_id}/ws")
async def workflow_socket(websocket: WebSocket, workflow_id: str):
    """``{"type": "progress"|"stage_completed"|"stage_failed"|"workflow_completed"|"workflow_failed",
    "data": {...}}`` until the project's current run ends. ``?token=`` or an Authorization header."""
    platform = platform_of(websocket)
    token = websocket.query_params.get("token") or websocket.headers.get("authorization", "").removeprefix("Bearer ")
    user = bearer_user(platform, token)
    if user is None:
        await websocket.close(code=4401, reason="Sign in first (40101).")
        return
    studio, principal = platform.studio, Principal(user.id)
    try:
        project = studio.project(principal, workflow_id)
    except FlowAIError as exc:  # 40401 / 40301: closed with 4404 / 4403
        await websocket.close(code=4000 + exc.status, reason=f"{exc.code}: {exc.message}"[:120])
        return
    await platform.recorder.flush()
    await websocket.accept()
    try:
        snap = await studio.snapshot(principal, project)
        await websocket.send_json({"type": "progress", "data": views.progress(snap, full=False)})
        # The first message cannot say which stages have ended: those that ended before the socket
        # connected are sent next, so a client sees each stage end once, whenever it connects.
        ended: dict[str, str] = {}
        await _stages_ended(websocket, snap, ended, None)
        live = studio.runs.live(principal, project["run_id"])
        if live is not None and not live.done:
            async for _, ev in live.follow(len(live.events)):
                if getattr(ev, "item", None) is not None:
                    continue
                if isinstance(ev, NodeStarted | NodeFinished | NodeFailed | NodeSkipped):
                    snap = await studio.snapshot(principal, project)
                    await _stages_ended(websocket, snap, ended, ev if isinstance(ev, NodeFailed) else None)
                    await websocket.send_json({"type": "progress", "data": views.progress(snap, full=False)})
        snap = await studio.snapshot(principal, project)
        await websocket.send_json(_final(snap))
        await websocket.close()
    except WebSocketDisconnect:
        pass


async def _stages_ended(
    websocket: WebSocket, snap: views.Snapshot, ended: dict[str, str], failure: NodeFailed | None
) -> None:
    """Send ``stage_completed`` / ``stage_failed`` for each stage that has ended since ``ended`` was
    last updated, in the pipeline's order; a failed stage carries ``failure``'s code and message
    (the node failure that ended it), or the run's error's when it ended before the socket connected."""
    error = snap.error or {}
    code, message = (failure.code, failure.message) if failure else (error.get("code"), error.get("message"))
    for stage, status in sorted(snap.stages.items(), key=lambda item: views.stage_rank(item[0])):
        if status not in ("completed", "failed") or ended.get(stage) == status:
            continue
        ended[stage] = status
        data: dict = {"workflow_id": snap.id, "stage": views.STAGE_NAMES.get(stage, stage), "status": status}
        if status == "failed" and code is not None:
            data.update(code=code, message=message)
        kind = "stage_completed" if status == "completed" else "stage_failed"
        await websocket.send_json({"type": kind, "data": data})


def _final(snap: views.Snapshot) -> dict:
    if snap.status == "completed":
        data = {"workflow_id": snap.id, "status": "completed", "final_video_url": snap.out("final", "video")}
        return {"type": "workflow_completed", "data": data}
    error = snap.error or {}
    data = {"workflow_id": snap.id, "status": snap.status, "code": error.get("code"), "message": error.get("message")}
    return {"type": "workflow_failed", "data": data}
