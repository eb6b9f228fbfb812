"""The studio's operations: a project is a background run of its own copy of the novel-to-video
template; edits and regenerations are the run service's regenerate of the node they change
(only it and what depends on it run again; the template's node cache answers for the rest)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from flowai.errors import ForbiddenError, InputError, NotFoundError, ResourceNotFoundError, TaskQueueError
from flowai.runs.manager import RunHandle
from flowai.runs.progress import node_fractions, node_states, progress, stage_plan
from flowai.runs.service import Mode, Principal, RunService
from flowai.workflows.novel_video import novel_to_video
from flowai.workflows.store import Workflows

from . import views
from .store import ProjectStore
from .views import Snapshot

CACHE_TTL = 30 * 24 * 3600.0  # a project's node outputs are reused by its regenerations for 30 days
ENDED = ("completed", "failed", "cancelled")


def studio_document(name: str) -> dict:
    doc = novel_to_video(name)
    doc.setdefault("settings", {})["cache_ttl"] = CACHE_TTL
    return doc


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "/files/")) and "\n" not in text and len(text) < 2000


class Studio:
    def __init__(self, runs: RunService, workflows: Workflows, store: ProjectStore):
        self.runs, self.workflows, self.store = runs, workflows, store

    # projects ------------------------------------------------------------------------------
    async def create(self, principal: Principal, *, name: str, content: str) -> tuple[dict, RunHandle]:
        wf, version = self.workflows.create(owner_id=principal.owner_id, document=studio_document(name))
        target = self.runs.compiled(wf.id, version.number)
        run_input = {"document": content} if is_url(content) else {"novel": content}
        handle = await self.runs.start(
            principal, target, run_input, mode=Mode.QUEUED, source="background", extra={"name": name}
        )
        project = self.store.add(
            project_id=uuid.uuid4().hex, owner_id=principal.owner_id, name=name, workflow_id=wf.id, run_id=handle.id
        )
        return project, handle

    def project(self, principal: Principal, resource_id: str, prefix: str = "") -> dict:
        """The principal's project named by ``resource_id`` (``<prefix>_<id>`` or the bare id):
        40401 when there is none, 40301 when it is another account's."""
        project_id = resource_id.removeprefix(f"{prefix}_") if prefix else resource_id
        row = self.store.get(project_id) if len(project_id) <= 64 else None
        if row is None:
            raise NotFoundError(f"Workflow {resource_id} was not found.")
        if row["owner_id"] != principal.owner_id:
            raise ForbiddenError(f"Workflow {resource_id} belongs to another account.")
        return row

    def asset(self, principal: Principal, asset_id: str) -> tuple[dict, str]:
        head, _, kind = asset_id.rpartition("_")
        if not head.startswith("asset_") or kind not in views.ASSET_TYPES:
            raise ResourceNotFoundError(f"Asset {asset_id} was not found.")
        return self.project(principal, head, "asset"), kind

    async def page(self, principal: Principal, *, status: str | None, stage: str | None, offset: int, limit: int):
        if status is None and stage is None:
            rows, total = self.store.page(owner_id=principal.owner_id, offset=offset, limit=limit)
            return [await self.snapshot(principal, r) for r in rows], total
        rows, _ = self.store.page(owner_id=principal.owner_id, offset=0, limit=10_000)
        snaps = [await self.snapshot(principal, r) for r in rows]
        kept = [
            s
            for s in snaps
            if (status is None or views.summary(s)["status"] == status)
            and (stage is None or views.current_stage(s) == stage)
        ]
        return kept[offset : offset + limit], len(kept)

    async def snapshot(self, principal: Principal, project: dict) -> Snapshot:
        run_id = project["run_id"]
        live = self.runs.live(principal, run_id)
        if live is not None:
            states = node_states(live.events)
            states.update({nid: "reused" for nid in live.state.outputs if nid not in states})
            assert live.graph is not None
            shape = progress(stage_plan(live.graph), states, live.status, node_fractions(live.events))
            error = {"code": live.error.code, "message": live.error.message} if live.error else None
            return Snapshot(project, live.status, dict(live.state.outputs), shape, error)
        run = await self.runs.record(principal, run_id)
        rows = self.runs.nodes(run_id)
        graph = self.workflows.compiled(run.workflow_id, run.version)
        shape = progress(stage_plan(graph), {n.node_id: n.status for n in rows}, run.status)
        outputs = {n.node_id: n.outputs or {} for n in rows if n.status in ("completed", "reused")}
        return Snapshot(project, run.status, outputs, shape, run.error)

    # pause, resume, cancel -----------------------------------------------------------------
    async def transition(self, principal: Principal, project: dict, action: str) -> str:
        await self.runs.recorder.flush()
        handle = self.runs.live(principal, project["run_id"])
        if handle is None:
            run = await self.runs.record(principal, project["run_id"])
            if run.status in ENDED:
                raise InputError(f"Workflow {project['id']} is {run.status}; it cannot {action}.")
            raise TaskQueueError(
                f"Workflow {project['id']}'s run is {run.status} but not in this process's task queue.",
                detail={"status": run.status},
            )
        getattr(self.runs.manager, action)(handle)  # 40001 for a transition its status does not allow
        return "cancelled" if action == "cancel" else handle.status

    # edits and regenerations ---------------------------------------------------------------
    async def regenerate(
        self, principal: Principal, project: dict, node_id: str, config: dict, more: dict[str, dict] | None = None
    ) -> RunHandle:
        """Re-run ``node_id`` of the project's run (``config`` merged into its config; ``more``: other
        nodes with theirs) and what depends on it; the new run becomes the project's."""
        await self.runs.recorder.flush()
        live = self.runs.live(principal, project["run_id"])
        if live is not None and not live.done:
            raise InputError(
                f"Workflow {project['id']} is {live.status}; edit and regenerate once its run has ended.",
                detail={"status": live.status},
            )
        if (project.get("edits") or {}).get("effects") and node_id != "effects_on":
            more = {"effects_on": {"value": "on"}, **(more or {})}  # asked-for effects stay in later cuts
        _run, handle = await self.runs.regenerate(
            principal, project["run_id"], node_id, config, missing=ResourceNotFoundError, more=more
        )
        self.store.update(project["id"], run_id=handle.id)
        return handle

    def node_config(self, principal: Principal, project: dict, node_id: str) -> dict:
        run_version = self.workflows.get(owner_id=principal.owner_id, workflow_id=project["workflow_id"]).latest_version
        doc = self.workflows.version(
            owner_id=principal.owner_id, workflow_id=project["workflow_id"], number=run_version
        ).document
        spec = next((n for n in doc["nodes"] if n["id"] == node_id), None)
        if spec is None:  # a project made from an older copy of the template
            raise InputError(
                f"Workflow {project['id']} was made from an older novel-to-video template without its "
                f"{node_id!r} step; create a new project to use this.",
                detail={"missing": node_id},
            )
        return copy.deepcopy(spec.get("config", {}))

    def save_edits(self, project: dict, edits: dict) -> None:
        project["edits"] = edits
        self.store.update(project["id"], edits=edits)

    def edit_shot(self, snap: Snapshot, shot: str, prompt: str | None, replacements: dict[str, Any]) -> dict:
        index = views.shot_index(shot)
        items = views.shots(snap)
        if index is None or index >= len(items):
            raise ResourceNotFoundError(f"Storyboard {snap.id} has no shot {shot}.")
        edits = copy.deepcopy(snap.edits)
        pending = edits.setdefault("shots", {})
        before = {**items[index], **pending.get(shot, {})}
        text = prompt or before.get("prompt") or ""
        details = [f"{k}: {replacements[k]}" for k in ("character", "scene", "action") if replacements.get(k)]
        if details:
            text = f"{text}. " + "; ".join(details)
        change: dict[str, Any] = {"prompt": text}
        if replacements.get("shot_type"):
            change["shot_type"] = replacements["shot_type"]
        pending[shot] = {**pending.get(shot, {}), **change}
        self.save_edits(snap.project, edits)
        return {"shot_id": shot, "prompt": text, "status": "pending_regeneration"}

    async def regenerate_shots(
        self, principal: Principal, snap: Snapshot, shot_ids: list[str], changes: dict[int, dict] | None = None
    ) -> RunHandle:
        """Redraw ``shot_ids`` from their (edited) prompts: the ``shots`` node answers the edited list,
        those shots marked ``redraw``; the loops run again, every unchanged call from the cache."""
        items = views.shots(snap)
        wanted = set()
        for shot in shot_ids:
            index = views.shot_index(shot)
            if index is None or index >= len(items):
                raise ResourceNotFoundError(f"Storyboard {snap.id} has no shot {shot}.")
            wanted.add(index)
        edits = copy.deepcopy(snap.edits)
        pending = edits.get("shots", {})
        listed = []
        for i, item in enumerate(items):
            item = dict(item)
            if i in wanted:
                item.update(pending.pop(views.shot_id(i), {}))
                item["redraw"] = True
            item.update((changes or {}).get(i, {}))
            listed.append(item)
        handle = await self.regenerate(principal, snap.project, "shots", {"value": listed, "path": ""})
        self.save_edits(snap.project, edits)
        return handle

    async def retime(self, principal: Principal, snap: Snapshot, low: float, high: float) -> RunHandle:
        """Every shot's duration held within [low, high] (whole seconds, as the video model takes)."""
        changes = {
            i: {"duration": int(min(max(round(views._number(s.get("duration"))), low), high))}
            for i, s in enumerate(views.shots(snap))
        }
        return await self.regenerate_shots(principal, snap, [], changes)

    def save_reference(self, project: dict, asset_id: str, url: str, file_id: str) -> None:
        """An uploaded reference image for the asset, used when it is next regenerated."""
        edits = copy.deepcopy(project.get("edits") or {})
        edits.setdefault("assets", {}).setdefault(asset_id, {}).update(reference_image_url=url, reference_file=file_id)
        self.save_edits(project, edits)

    def reference_file(self, project: dict, asset_id: str) -> str | None:
        """The id of the asset's uploaded reference image (the caller signs a fresh URL for it)."""
        return (project.get("edits") or {}).get("assets", {}).get(asset_id, {}).get("reference_file")

    async def redraw_asset(
        self, principal: Principal, project: dict, asset_id: str, prompt: str | None, reference: str | None
    ) -> RunHandle:
        """The asset drawn again (with a new prompt, and the reference image when one was uploaded);
        the prompt is kept as the asset's."""
        _project, kind = self.asset(principal, asset_id)
        handle = await self.regenerate_asset(principal, project, kind, prompt, reference)
        if prompt:
            edits = copy.deepcopy(project.get("edits") or {})
            edits.setdefault("assets", {}).setdefault(asset_id, {})["prompt"] = prompt
            self.save_edits(project, edits)
        return handle

    async def regenerate_asset(
        self, principal: Principal, project: dict, kind: str, prompt: str | None, reference: str | None
    ) -> RunHandle:
        config = self.node_config(principal, project, kind)
        params = dict(config.get("params") or {})
        if prompt:
            params["prompt"] = prompt
        if reference:
            params["image_input"] = [reference]
        return await self.regenerate(principal, project, kind, {"params": params})

    def _shot(self, snap: Snapshot, shot: str, what: str) -> int:
        index = views.shot_index(shot)
        if index is None or index >= len(views.shots(snap)):
            raise ResourceNotFoundError(f"{what} {snap.id} has no shot {shot}.")
        return index

    async def speak(self, principal: Principal, snap: Snapshot, shot: str, text: str, voice: str = "") -> RunHandle:
        """The shot's line spoken anew by the TTS provider (in ``voice``, the provider's voice id;
        empty: the shot's voice so far, else the provider's default); an uploaded narration is dropped."""
        index = self._shot(snap, shot, "Animatic")
        item = views.shots(snap)[index]
        if voice and "voices.item.voice" not in str(self.node_config(principal, snap.project, "voice").get("voice")):
            raise InputError(f"Workflow {snap.id}'s template sets one voice for every shot; voice_id cannot change it.")
        change = {"dialogue": text, "voice": voice or str(item.get("voice") or ""), "audio": ""}
        return await self.regenerate_shots(principal, snap, [], {index: change})

    async def narrate(self, principal: Principal, snap: Snapshot, shot: str, audio_url: str) -> RunHandle:
        """An uploaded narration (``audio_url``) in place of the shot's spoken line: no TTS call for it;
        the animatic and the final cut carry it."""
        index = self._shot(snap, shot, "Animatic")
        self.node_config(principal, snap.project, "spoken")  # the template step that takes a narration
        return await self.regenerate_shots(principal, snap, [], {index: {"audio": audio_url}})

    async def cut(
        self, principal: Principal, project: dict, *, music: bool, style: str | None, effects: bool
    ) -> RunHandle:
        """The final cut made again: background music in ``style`` (or none), with a sound-effects
        track (the music model asked for the scene's ambience and effects, mixed in) or without."""
        more: dict[str, dict] = {}
        if not music:
            steps = [s for s in self.node_config(principal, project, "final")["steps"] if s.get("op") != "music"]
            more["final"] = {"steps": steps}
        elif style:
            params = dict(self.node_config(principal, project, "music").get("params") or {})
            params["prompt"] = f"{style} background music, instrumental"
            more["music"] = {"params": params}
        handle = await self.regenerate(principal, project, "effects_on", {"value": "on" if effects else ""}, more)
        edits = copy.deepcopy(project.get("edits") or {})
        edits["effects"] = effects
        self.save_edits(project, edits)
        return handle

    async def music(self, principal: Principal, project: dict, settings: dict[str, Any]) -> RunHandle:
        steps = self.node_config(principal, project, "final")["steps"]
        music = next(s for s in steps if s.get("op") == "music")
        music.update({k: settings[k] for k in ("volume", "fade_in", "fade_out") if settings.get(k) is not None})
        if settings.get("music_url"):
            music["audio"] = settings["music_url"]
        handle = await self.regenerate(principal, project, "final", {"steps": steps})
        edits = copy.deepcopy(project.get("edits") or {})
        edits["music"] = {k: v for k, v in settings.items() if v is not None}
        self.save_edits(project, edits)
        return handle

    async def clips(self, principal: Principal, project: dict, parallel: bool) -> RunHandle:
        return await self.regenerate(principal, project, "clips", {"concurrency": 4 if parallel else 1})
