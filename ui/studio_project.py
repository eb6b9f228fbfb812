"""One video project (/studio/{workflow_id}): its six stages live as the run goes, the script,
the assets (redraw with a new prompt, upload a reference image), the storyboard's shots (edit a
prompt, redraw one or the selected ones), the animatic and the final cut as players, pause,
resume and cancel, and a link to the trace of the run shown (/runs/{run_id}).

What is shown is ``flowai.studio.views`` over ``platform.studio.snapshot`` (what the studio API
answers), read again every second by a ``ui.timer`` in this page's server-side client (nothing is
polled from the browser); a part is drawn again only when what it shows has changed. Every action
is a ``platform.studio`` call, the one the matching API route makes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nicegui import events, ui

from flowai.errors import FlowAIError
from flowai.media import ffmpeg
from flowai.platform import Platform
from flowai.runs.service import Principal
from flowai.studio import views

from .i18n import has, t
from .layout import frame, safe_id
from .media_view import render as render_media

STAGES = ("script", "asset", "storyboard", "animatic", "video", "edit")
SHOWN = {"processing": "running"}  # the API's "processing" is shown (and tagged) as running
STAGE_COLOR = {
    "pending": "grey-6",
    "running": "primary",
    "paused": "orange",
    "completed": "positive",
    "failed": "negative",
    "cancelled": "grey-8",
    "skipped": "grey-6",
}
ENDED = ("completed", "failed", "cancelled")
TICK = 1.0  # seconds between two reads of the project
UPLOADER = "max-height: 3.5rem; overflow: hidden"  # the header only: what was uploaded is shown on the card


async def show(platform: Platform, principal: Principal, workflow_id: str) -> None:
    try:
        project = platform.studio.project(principal, workflow_id)
    except FlowAIError as exc:
        with frame(platform, t("studio.title")):
            ui.label(exc.message).classes("text-negative").props('data-testid="studio-missing"')
            ui.link(t("studio.back"), "/studio")
        return
    view = ProjectView(platform, principal, project)
    await view.load()
    with frame(platform, project["name"]):
        view.build()


def _status(value: str) -> str:
    return SHOWN.get(value, value)


def _word(prefix: str, value: str) -> str:
    """The catalog's word for a status made from data, or the status itself."""
    return t(f"studio.{prefix}_{value}") if has(f"studio.{prefix}_{value}") else value


def _image(url: str | None, testid: str, *, classes: str = "w-full h-32 object-cover rounded") -> None:
    """An <img> whose URL is an attribute value (never markup); a grey box while there is none."""
    if not url:
        ui.element("div").classes(f"{classes} bg-slate-200").props(f'data-testid="{safe_id(testid)}" data-empty="true"')
        return
    image = ui.element("img").classes(classes).props(f'data-testid="{safe_id(testid)}"')
    image.props["src"] = url
    image.props["alt"] = ""


class ProjectView:
    def __init__(self, platform: Platform, principal: Principal, project: dict[str, Any]):
        self.platform, self.studio, self.principal = platform, platform.studio, principal
        self.project = project
        self.snap: views.Snapshot | None = None
        self.prompts: dict[str, Any] = {}  # shot or asset id -> its prompt textarea
        self.typed: dict[str, str] = {}  # shot or asset id -> its prompt as typed, until the content is redrawn
        self.selected: dict[str, Any] = {}  # shot id -> its checkbox
        self.ticked: set[str] = set()  # shot ids ticked, until the content is redrawn

    # reading -----------------------------------------------------------------------------------
    async def load(self) -> None:
        self.project = self.studio.project(self.principal, self.project["id"])
        self.snap = await self.studio.snapshot(self.principal, self.project)

    def _progress(self) -> dict[str, Any]:
        assert self.snap is not None
        return views.progress(self.snap)

    def _stage_key(self) -> tuple:
        p = self._progress()
        return (
            self.project["run_id"],
            p["status"],
            p["current_stage"],
            tuple((s["stage"], s["status"], s["progress"]) for s in p["stages"]),
        )

    def _content_key(self) -> tuple:
        assert self.snap is not None
        stages = tuple(sorted(self.snap.stages.items()))
        return (self.project["run_id"], self.snap.status, stages, repr(self.project.get("edits")))

    async def tick(self) -> None:
        assert self.snap is not None
        stage_key, content_key = self._stage_key(), self._content_key()
        try:
            if self.snap.status in ENDED:  # nothing moves until the project has a new run (an edit)
                project = self.studio.project(self.principal, self.project["id"])
                if project["run_id"] == self.project["run_id"] and project.get("edits") == self.project.get("edits"):
                    return
            await self.load()
        except FlowAIError:
            return
        if self._stage_key() != stage_key:
            self.head.refresh()
        if self._content_key() != content_key:
            self._refresh_content()

    def _refresh_content(self, used: Iterable[str] = ()) -> None:
        """The content drawn again from the project, keeping what was typed in prompts and the shots
        ticked, and not yet used (``used``: the shots a Regenerate just took): fields rebuilt from the
        project would lose them, and a Regenerate would send the old prompt or too few shots."""
        self.typed.update(
            {pid: field.value for pid, (field, was) in self.prompts.items() if (field.value or "") != was}
        )
        self.ticked = {sid for sid, box in self.selected.items() if box.value} - set(used)
        self.content.refresh()  # (not awaited: drawn by a task after this, when the new fields take ``typed``)

    # the page ----------------------------------------------------------------------------------
    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            ui.link(t("studio.back"), "/studio").classes("text-sm")
        self.head = ui.refreshable(self._head)
        self.head()
        self.content = ui.refreshable(self._content)
        self.content()
        ui.timer(TICK, self.tick)

    def _head(self) -> None:
        assert self.snap is not None
        p = self._progress()
        status = _status(p["status"])
        with ui.card().classes("w-full gap-2"):
            with ui.row().classes("w-full items-center gap-3"):
                ui.label(self.project["name"]).classes("text-xl font-bold").props('data-testid="studio-project-name"')
                ui.badge(_word("s", status), color=STAGE_COLOR.get(status, "grey")).props(
                    f'data-testid="studio-status" data-status="{safe_id(status)}"'
                )
                ui.space()
                ui.link(t("studio.run_page"), f"/runs/{safe_id(self.project['run_id'])}").classes("text-sm").props(
                    'data-testid="studio-run"'
                )  # the trace of what the page shows: each node's inputs, outputs, provider and cost
                running = self.snap.status not in ENDED
                paused = self.snap.status == "paused"
                pause = ui.button(t("studio.pause"), icon="pause", on_click=lambda: self.transition("pause"))
                pause.props('flat data-testid="studio-pause"').set_enabled(running and not paused)
                resume = ui.button(t("studio.resume"), icon="play_arrow", on_click=lambda: self.transition("resume"))
                resume.props('flat data-testid="studio-resume"').set_enabled(paused)
                cancel = ui.button(t("studio.cancel"), icon="stop", on_click=lambda: self.transition("cancel"))
                cancel.props('flat color=negative data-testid="studio-cancel"').set_enabled(running)
            bar = ui.linear_progress(value=round(p["overall_progress"], 3), show_value=False)
            bar.props("data-testid=studio-progress")
            bar.props["data-value"] = str(p["overall_progress"])
            by_name = {s["stage"]: s for s in p["stages"]}
            with ui.row().classes("w-full gap-2 flex-wrap").props('data-testid="studio-stages"'):
                for name in STAGES:
                    stage = by_name.get(name, {"status": "pending", "progress": 0.0})
                    shown = _status(stage["status"])
                    chip = (
                        ui.row()
                        .classes("items-center gap-1 rounded border border-slate-300 px-2 py-1")
                        .props(f'data-testid="{safe_id("studio-stage", name)}" data-status="{safe_id(shown)}"')
                    )
                    chip.props["data-progress"] = str(stage["progress"])
                    with chip:
                        ui.icon(_stage_icon(shown), color=STAGE_COLOR.get(shown, "grey"))
                        ui.label(t(f"studio.stage_{name}")).classes("font-medium")
                        ui.label(_word("s", shown)).classes("text-xs text-gray-600")
            if self.snap.error:
                ui.label(t("studio.failed", message=self.snap.error.get("message") or "")).classes(
                    "text-negative text-sm"
                ).props('data-testid="studio-error"')

    def _content(self) -> None:
        assert self.snap is not None
        snap = self.snap
        self.prompts, self.selected = {}, {}
        self._script(snap)
        self._assets(snap)
        self._storyboard(snap)
        self._players(snap)

    def _section(self, key: str) -> ui.column:
        with ui.column().classes("w-full gap-2") as column:
            ui.label(t(f"studio.{key}")).classes("text-lg font-bold")
        return column

    def _script(self, snap: views.Snapshot) -> None:
        script = views.script(snap)
        with self._section("script_title"), ui.row().classes("w-full gap-4 items-stretch"):
            for key, text in (("screenplay", script["screenplay"]), ("storyboard_script", _plan_text(snap))):
                with ui.card().classes("flex-1 min-w-64 gap-1"):
                    ui.label(t(f"studio.{key}")).classes("font-medium")
                    ui.label(text or t("studio.not_yet")).classes(
                        "whitespace-pre-wrap text-sm max-h-64 overflow-auto w-full"
                    ).props(f'data-testid="{safe_id("studio", key)}"')

    def _assets(self, snap: views.Snapshot) -> None:
        with self._section("assets_title"), ui.row().classes("w-full gap-4"):
            for asset in views.assets(snap):
                kind = asset["type"]
                with ui.card().classes("w-80 gap-2").props(f'data-testid="{safe_id("asset", kind)}"'):
                    ui.label(t(f"studio.asset_{kind}")).classes("font-medium")
                    _image(asset["design_image_url"], safe_id("asset-image", kind))
                    if asset.get("reference_image_url"):
                        with ui.row().classes("items-center gap-2"):
                            ui.label(t("studio.reference")).classes("text-xs text-gray-600")
                            _image(
                                asset["reference_image_url"],
                                safe_id("asset-reference", kind),
                                classes="w-16 h-10 object-cover rounded",
                            )
                    typed = self.typed.pop(asset["id"], asset["prompt"] or "")
                    prompt = ui.textarea(t("studio.prompt"), value=typed).classes("w-full text-sm")
                    prompt.props(f'outlined autogrow data-testid="{safe_id("asset-prompt", kind)}"')
                    self.prompts[asset["id"]] = (prompt, asset["prompt"] or "")
                    with ui.row().classes("w-full items-center gap-1"):
                        ui.button(
                            t("studio.regenerate"), icon="refresh", on_click=lambda a=asset["id"]: self.redraw_asset(a)
                        ).props(f'dense data-testid="{safe_id("asset-regenerate", kind)}"')
                        ui.upload(
                            label=t("studio.upload_reference"),
                            on_upload=lambda e, a=asset["id"]: self.reference(a, e),
                            auto_upload=True,
                            max_file_size=self.platform.files.max_bytes,
                        ).props(f'accept="image/*" flat dense data-testid="{safe_id("asset-upload", kind)}"').classes(
                            "w-full"
                        ).style(UPLOADER)

    def _storyboard(self, snap: views.Snapshot) -> None:
        board = views.storyboard(snap)
        voices = {s["shot_id"]: s for s in views.animatic(snap)["shots"]}
        with self._section("storyboard_title"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(t("studio.storyboard_hint")).classes("text-sm text-gray-600")
                ui.space()
                ui.button(t("studio.regenerate_selected"), icon="refresh", on_click=self.redraw_selected).props(
                    'data-testid="shots-regenerate"'
                )
            if not board["shots"]:
                ui.label(t("studio.not_yet")).classes("text-gray-600")
            with (
                ui.element("div")
                .classes("w-full grid grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-3")
                .props('data-testid="storyboard-grid"')
            ):
                for shot in board["shots"]:
                    sid = shot["id"]
                    with (
                        ui.card()
                        .classes("gap-1")
                        .props(f'data-testid="{safe_id("shot", sid)}" data-status="{safe_id(shot["status"])}"')
                    ):
                        with ui.row().classes("w-full items-center gap-1"):
                            label = t("studio.shot", n=shot["sequence"])
                            self.selected[sid] = ui.checkbox(label, value=sid in self.ticked).props(
                                f'dense data-testid="{safe_id("shot-select", sid)}"'
                            )
                            ui.space()
                            ui.label(" · ".join(str(x) for x in (shot["shot_type"], _secs(shot["duration"])) if x))
                        _image(shot["image_url"], safe_id("shot-image", sid))
                        if shot.get("dialogue"):
                            ui.label(f"“{shot['dialogue']}”").classes("text-sm italic text-gray-700")
                        typed = self.typed.pop(sid, shot["prompt"] or "")
                        prompt = ui.textarea(t("studio.prompt"), value=typed).classes("w-full text-sm")
                        prompt.props(f'outlined autogrow data-testid="{safe_id("shot-prompt", sid)}"')
                        self.prompts[sid] = (prompt, shot["prompt"] or "")
                        with ui.row().classes("w-full items-center"):
                            ui.label(_word("shot", shot["status"])).classes("text-xs text-gray-600")
                            ui.space()
                            ui.button(
                                t("studio.regenerate"), icon="refresh", on_click=lambda s=sid: self.redraw([s])
                            ).props(f'dense flat data-testid="{safe_id("shot-regenerate", sid)}"')
                        frame = voices.get(sid) or {}
                        if frame.get("audio_url"):
                            ui.audio(frame["audio_url"]).classes("w-full").props(
                                f'data-testid="{safe_id("shot-audio", sid)}"'
                            )
                        ui.upload(
                            label=t("studio.upload_narration"),
                            on_upload=lambda e, s=sid: self.narration(s, e),
                            auto_upload=True,
                            max_file_size=self.platform.files.max_bytes,
                        ).props(f'accept="audio/*" flat dense data-testid="{safe_id("shot-narration", sid)}"').classes(
                            "w-full"
                        ).style(UPLOADER)

    def _players(self, snap: views.Snapshot) -> None:
        animatic, cut = views.animatic(snap), views.edit(snap)
        with self._section("videos_title"), ui.row().classes("w-full gap-4 items-start"):
            for key, url in (("animatic", animatic["video_url"]), ("final", cut["final_video_url"])):
                with ui.card().classes("flex-1 min-w-72 gap-1").props(f'data-testid="{safe_id("studio", key)}"'):
                    ui.label(t(f"studio.{key}")).classes("font-medium")
                    if not url or not render_media(url, kind="video"):
                        ui.label(t("studio.not_yet")).classes("text-gray-600")
        with ui.row().classes("w-full items-center gap-2"):
            effects = ui.switch(t("studio.effects"), value=bool(cut["audio_effects"])).props(
                'data-testid="studio-effects"'
            )
            ui.button(t("studio.recut"), icon="movie_edit", on_click=lambda: self.recut(effects.value)).props(
                'flat data-testid="studio-recut"'
            )
            has_effects = "true" if cut["audio_effects"] else "false"
            ui.label(t("studio.with_effects" if cut["audio_effects"] else "studio.without_effects")).classes(
                "text-sm text-gray-600"
            ).props(f'data-testid="studio-effects-state" data-effects="{safe_id(has_effects)}"')

    # actions -------------------------------------------------------------------------------------
    async def _fresh(self) -> views.Snapshot:
        await self.platform.recorder.flush()
        await self.load()
        assert self.snap is not None
        return self.snap

    async def _after(self, message: str, used: Iterable[str] = ()) -> None:
        ui.notify(message, type="positive")
        await self.load()
        self.head.refresh()
        self._refresh_content(used)

    async def transition(self, action: str) -> None:
        try:
            await self.studio.transition(self.principal, self.project, action)
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        await self._after(t(f"studio.done_{action}"))

    async def redraw(self, shot_ids: list[str]) -> None:
        if not shot_ids:
            ui.notify(t("studio.select_first"), type="warning")
            return
        wanted = {sid: self.prompts[sid][0].value for sid in shot_ids if sid in self.prompts}
        was = {sid: self.prompts[sid][1] for sid in wanted}
        try:
            snap = await self._fresh()
            for sid, prompt in wanted.items():
                if prompt and prompt.strip() and prompt != was[sid]:
                    self.studio.edit_shot(snap, sid, prompt.strip()[:4000], {})
            await self.studio.regenerate_shots(self.principal, snap, shot_ids)
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        await self._after(t("studio.redrawing", n=len(shot_ids)), used=shot_ids)

    async def redraw_selected(self) -> None:
        await self.redraw([sid for sid, box in self.selected.items() if box.value])

    async def redraw_asset(self, asset_id: str) -> None:
        field, was = self.prompts[asset_id]
        prompt = (field.value or "").strip()
        try:
            await self._fresh()
            file_id = self.studio.reference_file(self.project, asset_id)
            reference = self.platform.files.signed_url(file_id).url if file_id else None
            await self.studio.redraw_asset(
                self.principal, self.project, asset_id, prompt[:4000] if prompt and prompt != was else None, reference
            )
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        await self._after(t("studio.redrawing_asset"))

    async def recut(self, effects: bool) -> None:
        """The final cut made again, with a sound-effects track or without (as ``POST …/edit``)."""
        try:
            await self._fresh()
            await self.studio.cut(self.principal, self.project, music=True, style=None, effects=effects)
        except FlowAIError as exc:
            ui.notify(exc.message, type="warning")
            return
        await self._after(t("studio.recutting"))

    async def narration(self, shot_id: str, e: events.UploadEventArguments) -> None:
        """An uploaded narration for the shot in place of its spoken line (as the API's upload form)."""
        files = self.platform.files
        data = await e.file.read()
        try:
            row = files.save(owner_id=self.principal.owner_id, name=e.file.name, data=data)
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative")
            return
        try:
            info = await ffmpeg.probe(files.path(row.id)) if row.type.startswith("audio/") else None
        except FlowAIError:
            info = None
        if info is None or not info.audio or not info.duration:
            files.delete(row.id)
            ui.notify(t("studio.not_audio", type=row.type), type="negative")
            return
        try:
            snap = await self._fresh()
            await self.studio.narrate(self.principal, snap, shot_id, files.signed_url(row.id).url)
        except FlowAIError as exc:
            files.delete(row.id)
            ui.notify(exc.message, type="warning")
            return
        await self._after(t("studio.narration_saved"))

    async def reference(self, asset_id: str, e: events.UploadEventArguments) -> None:
        files = self.platform.files
        data = await e.file.read()
        try:
            row = files.save(owner_id=self.principal.owner_id, name=e.file.name, data=data)
        except FlowAIError as exc:
            ui.notify(exc.message, type="negative")
            return
        if not row.type.startswith("image/"):
            files.delete(row.id)
            ui.notify(t("studio.not_an_image", type=row.type), type="negative")
            return
        await self._fresh()
        self.studio.save_reference(self.project, asset_id, files.signed_url(row.id).url, row.id)
        await self._after(t("studio.reference_saved"))


def _plan_text(snap: views.Snapshot) -> str:
    """The storyboard script for people: the plan's title, look, characters and setting, then the
    shots one a line (the raw text when the plan is not the JSON object the template asks for)."""
    plan = snap.out("plan", "json")
    if not isinstance(plan, dict):
        return str(snap.out("plan", "text") or "")
    lines = [str(plan.get("title") or "")]
    for key in ("style", "characters", "scene"):
        if plan.get(key):
            lines.append(f"{t(f'studio.plan_{key}')}: {plan[key]}")
    lines.append("")
    for i, item in enumerate(views.shots(snap), start=1):
        head = " · ".join(x for x in (str(item.get("shot_type") or ""), _secs(item.get("duration"))) if x)
        line = f"{i}. [{head}] {item.get('prompt') or ''}"
        if item.get("dialogue"):
            line += f" — “{item['dialogue']}”"
        lines.append(line)
    return "\n".join(lines).strip()


def _stage_icon(status: str) -> str:
    return {
        "completed": "check_circle",
        "failed": "error",
        "running": "autorenew",
        "paused": "pause_circle",
        "cancelled": "cancel",
    }.get(status, "radio_button_unchecked")


def _secs(value: Any) -> str:
    try:
        return t("studio.seconds", n=float(value))
    except (TypeError, ValueError):
        return ""
