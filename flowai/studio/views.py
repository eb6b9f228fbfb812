"""The design document's resources as views over a project's run: each reads the node outputs of
the novel-to-video template's stages (flowai.workflows.novel_video) and the project's edits.

Ids: a project's resources are named after it (``script_<id>``, ``storyboard_<id>``,
``animatic_<id>``, ``video_<id>``, ``edit_<id>``, ``asset_<id>_character`` / ``_scene``); shots
and segments by their place (``shot_001``, ``segment_001``). Stage ids are the template's, but
``assets`` is the document's ``asset``; a stage's status is ``pending``, ``processing``,
``completed``, ``failed`` or ``cancelled``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KINDS = ("script", "storyboard", "animatic", "video", "edit")
ASSET_TYPES = ("character", "scene")  # the template draws no props
STAGE_NAMES = {"assets": "asset"}  # template stage id -> the document's
ORDER = ("script", "assets", "storyboard", "animatic", "video", "edit")  # the template's stages
STATUS = {"running": "processing", "paused": "paused"}


@dataclass
class Snapshot:
    """A project and what its current run has made so far."""

    project: dict[str, Any]
    status: str  # the run's: pending, running, paused, completed, failed, cancelled
    outputs: dict[str, dict[str, Any]]
    progress: dict[str, Any]
    error: dict[str, Any] | None = None
    stages: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.stages = {s["stage"]: s["status"] for s in self.progress["stages"]}

    @property
    def id(self) -> str:
        return self.project["id"]

    def out(self, node: str, port: str, default: Any = None) -> Any:
        value = (self.outputs.get(node) or {}).get(port)
        return default if value is None else value

    def stage(self, name: str) -> str:
        return STATUS.get(self.stages.get(name, "pending"), self.stages.get(name, "pending"))

    @property
    def edits(self) -> dict[str, Any]:
        return self.project.get("edits") or {}


def shot_id(index: int) -> str:
    return f"shot_{index + 1:03d}"


def shot_index(shot: str) -> int | None:
    head, _, number = shot.partition("_")
    return int(number) - 1 if head == "shot" and number.isdigit() and int(number) > 0 else None


def progress(snap: Snapshot, *, full: bool = True) -> dict[str, Any]:
    p = snap.progress
    current = p.get("current_stage")
    data: dict[str, Any] = {
        "workflow_id": snap.id,
        "overall_progress": p["overall_progress"],
        "current_stage": STAGE_NAMES.get(current, current) if current else None,
        "stage_progress": p.get("stage_progress"),
    }
    if full:
        data["status"] = STATUS.get(snap.status, snap.status)
        data["stages"] = [
            {
                "stage": STAGE_NAMES.get(s["stage"], s["stage"]),
                "status": snap.stage(s["stage"]),
                "progress": s["progress"],
            }
            for s in sorted(p["stages"], key=_stage_order)
        ]
    return data


def _stage_order(stage: dict[str, Any]) -> int:
    return stage_rank(stage["stage"])


def stage_rank(stage: str) -> int:
    """Where a template stage comes in the pipeline (an unknown one last)."""
    return ORDER.index(stage) if stage in ORDER else len(ORDER)


def current_stage(snap: Snapshot) -> str | None:
    if snap.status == "completed":
        return "edit"
    current = snap.progress.get("current_stage")
    if current is None:  # between stages (or paused): the first one not done
        current = next((s for s, st in snap.stages.items() if st not in ("completed", "skipped")), None)
    return STAGE_NAMES.get(current, current) if current else None


def summary(snap: Snapshot) -> dict[str, Any]:
    p = snap.project
    return {
        "id": snap.id,
        "name": p["name"],
        "status": STATUS.get(snap.status, snap.status),
        "current_stage": current_stage(snap),
        "progress": snap.progress["overall_progress"],
        "created_at": p["created_at"],
    }


def workflow(snap: Snapshot) -> dict[str, Any]:
    board = storyboard(snap)
    data = {
        **summary(snap),
        "script": {k: v for k, v in script(snap).items() if k not in ("input_type", "created_at")},
        "assets": assets(snap),
        "storyboard": {
            "id": board["id"],
            "status": board["status"],
            "shots_count": len(board["shots"]),
            "completed_shots": sum(1 for s in board["shots"] if s["image_url"]),
        },
        "animatic": {"id": f"animatic_{snap.id}", "status": snap.stage("animatic")},
        "video": {"id": f"video_{snap.id}", "status": snap.stage("video")},
        "edit": {"id": f"edit_{snap.id}", "status": snap.stage("edit")},
        "updated_at": snap.project["updated_at"],
    }
    if snap.error:
        data["error"] = snap.error
    return data


def script(snap: Snapshot) -> dict[str, Any]:
    return {
        "id": f"script_{snap.id}",
        "input_type": "novel",
        "screenplay": snap.out("script", "text"),
        "storyboard_script": snap.out("plan", "text"),
        "status": snap.stage("script"),
        "created_at": snap.project["created_at"],
    }


def assets(snap: Snapshot, kind: str | None = None) -> list[dict[str, Any]]:
    plan = snap.out("plan", "json", {})
    plan = plan if isinstance(plan, dict) else {}
    found = []
    for node, label, about in (("character", "Characters · 角色", "characters"), ("scene", "Scene · 场景", "scene")):
        if kind is not None and kind != node:
            continue
        asset = f"asset_{snap.id}_{node}"
        edit = snap.edits.get("assets", {}).get(asset, {})
        found.append(
            {
                "id": asset,
                "type": node,
                "name": label,
                "description": plan.get(about),
                "prompt": edit.get("prompt") or plan.get(about),
                "design_image_url": snap.out(node, "file"),
                "reference_image_url": edit.get("reference_image_url"),
                "status": snap.stage("assets"),
            }
        )
    return found


def shots(snap: Snapshot) -> list[dict[str, Any]]:
    """The shot list the current run made (``shots``), as the template's items."""
    value = snap.out("shots", "value", [])
    return [s for s in value if isinstance(s, dict)] if isinstance(value, list) else []


def storyboard(snap: Snapshot) -> dict[str, Any]:
    cells = snap.out("crop", "images", [])
    frames = snap.out("voices", "results", [])
    pending = snap.edits.get("shots", {})
    listed = []
    for i, item in enumerate(shots(snap)):
        sid = shot_id(i)
        edit = pending.get(sid, {})
        frame = frames[i] if i < len(frames) and isinstance(frames[i], dict) else {}
        cell = cells[i] if i < len(cells) and not item.get("redraw") else None
        listed.append(
            {
                "id": sid,
                "sequence": i + 1,
                "prompt": edit.get("prompt", item.get("prompt")),
                "shot_type": edit.get("shot_type", item.get("shot_type")),
                "image_url": frame.get("image") or cell,
                "cropped_image_url": cell,
                "dialogue": item.get("dialogue"),
                "duration": item.get("duration"),
                "status": "pending_regeneration" if edit else _shot_status(snap, bool(frame.get("image") or cell)),
            }
        )
    return {
        "id": f"storyboard_{snap.id}",
        "shots": listed,
        "grid_layout": "3x3",
        "grid_image_url": snap.out("board", "file"),
        "status": snap.stage("storyboard"),
    }


def _shot_status(snap: Snapshot, drawn: bool) -> str:
    return "completed" if drawn else ("failed" if snap.status in ("failed", "cancelled") else "pending")


def animatic(snap: Snapshot) -> dict[str, Any]:
    start, listed = 0.0, []
    for i, frame in enumerate(snap.out("voices", "results", [])):
        frame = frame if isinstance(frame, dict) else {}
        duration = _number(frame.get("duration"))
        listed.append(
            {
                "shot_id": shot_id(i),
                "video_url": None,  # the animatic shows each shot as its still picture
                "image_url": frame.get("image"),
                "audio_url": frame.get("audio"),
                "start_time": round(start, 3),
                "duration": duration,
            }
        )
        start += duration
    return {
        "id": f"animatic_{snap.id}",
        "video_url": snap.out("animatic", "video"),
        "audio_url": None,  # the voices are inside video_url, one per shot in ``shots``
        "shots": listed,
        "total_duration": snap.out("animatic", "duration"),
        "status": snap.stage("animatic"),
    }


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def segments(snap: Snapshot) -> list[dict[str, Any]]:
    listed = []
    results = snap.out("clips", "results", [])
    stills = snap.out("voices", "results", [])
    for i, clip in enumerate(results):
        clip = clip if isinstance(clip, dict) else {}
        url = clip.get("image")
        still = stills[i].get("image") if i < len(stills) and isinstance(stills[i], dict) else None
        moving = bool(url) and url != still  # a clip whose video failed holds the shot's still
        listed.append(
            {
                "id": f"segment_{i + 1:03d}",
                "animatic_shot_id": shot_id(i),
                "video_url": url,
                "duration": _number(clip.get("duration")),
                "status": "completed" if moving else "failed",  # a failed clip stays a still in the cut
            }
        )
    return listed


def video(snap: Snapshot) -> dict[str, Any]:
    return {"id": f"video_{snap.id}", "segments": segments(snap), "status": snap.stage("video")}


def video_progress(snap: Snapshot) -> dict[str, Any]:
    stage = next((s for s in snap.progress["stages"] if s["stage"] == "video"), {"progress": 0.0})
    total = len(shots(snap))
    done = segments(snap)
    listed: list[dict[str, Any]] = [{"id": s["id"], "status": s["status"], "video_url": s["video_url"]} for s in done]
    running = snap.stage("video") == "processing"
    for i in range(len(done), total):
        listed.append({"id": f"segment_{i + 1:03d}", "status": "processing" if running else "pending", "progress": 0.0})
    completed = len(done) if done else round(stage["progress"] * total)
    return {
        "video_id": f"video_{snap.id}",
        "progress": stage["progress"],
        "total_segments": total,
        "completed_segments": completed,
        "segments": listed,
    }


def edit(snap: Snapshot) -> dict[str, Any]:
    music = snap.edits.get("music") or {}
    return {
        "id": f"edit_{snap.id}",
        "final_video_url": snap.out("final", "video"),
        "audio_effects": ["effect_001"] if snap.out("effects", "file") else [],  # the effects track, when asked
        "background_music_url": music.get("music_url") or snap.out("music", "file"),
        "status": snap.stage("edit"),
        "duration": snap.out("final", "duration"),
    }
