"""The compose node: a finished video (or audio) from declarative steps, on ffmpeg.

``steps`` is the list :mod:`flowai.media.compose` applies (concat, animatic, voiceover, music, sfx,
subtitles, watermark, resize); string values are templates, so a clip URL can be ``{{tts.audio}}``
and a whole ``clips`` list ``{{grid.images}}``. A voiceover, music or sfx step whose audio is empty
(a node on a branch not taken) is left out. The ``clips`` port takes a JSON list of URLs (for
example a loop's results): it fills every concat step given no clips, or starts the composition
with a concat of them. The ``video`` port gives a base medium to work on instead.

Every media reference (a ``/files/`` URL of FlowAI's storage, a ``data:`` URI, a public http(s)
URL through the SSRF-checked loader) becomes a local file in the node's own workspace, which is
removed when the node ends, however it ends; the result is stored by streaming it from disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import Field, TypeAdapter, ValidationError

from flowai.errors import InputError, NodeError
from flowai.media import ffmpeg
from flowai.media.compose import Composer, Step
from flowai.ports import PortType

from .base import Node, NodeConfig
from .define import FieldDef, NodeDef, Port, T

STEPS: TypeAdapter[list[Step]] = TypeAdapter(list[Step])
MAX_REFERENCES = 1000  # distinct media files one composition may read
MIXES = ("voiceover", "music", "sfx")  # the steps that mix a sound in; an empty one is left out


class ComposeConfig(NodeConfig):
    steps: list[Any] = Field(default_factory=list, max_length=200)  # validated as compose steps when run
    clips: list[str] | str = Field(default_factory=list)
    video: str = ""


class ComposeNode(Node):
    definition = NodeDef(
        type="compose",
        title=T("Compose video", "视频合成"),
        group="media",
        description=T(
            "Joins clips or stills into a video and adds voice-over, music, sound effects, subtitles, a "
            "watermark or a new size, step by step (ffmpeg); the result is stored.",
            "把片段或静态图拼成视频，并逐步加入旁白、配乐、音效、字幕、水印或调整尺寸（ffmpeg）；结果会被保存。",
        ),
        config=ComposeConfig,
        fields={
            "steps": FieldDef(
                T("Steps", "步骤"),
                T(
                    'A JSON list of steps, e.g. [{"op": "concat", "clips": ["{{a.video}}", "{{b.video}}"]}, '
                    '{"op": "music", "audio": "{{m.audio}}", "volume": 0.3}]; see the node reference',
                    '步骤的 JSON 列表，例如 [{"op": "concat", "clips": ["{{a.video}}", "{{b.video}}"]}, '
                    '{"op": "music", "audio": "{{m.audio}}", "volume": 0.3}]；详见节点参考',
                ),
            ),
            "clips": FieldDef(
                T("Clips", "片段"),
                T(
                    "A JSON list of clip URLs for the concat steps that name none (or a first concat step)",
                    "片段 URL 的 JSON 列表，用于未指定片段的拼接步骤（或作为第一个拼接步骤）",
                ),
                advanced=True,
            ),
            "video": FieldDef(
                T("Base video", "底片视频"),
                T("A video (or audio) the steps work on", "各步骤在其上处理的视频（或音频）"),
                advanced=True,
            ),
        },
        inputs=(
            Port("video", PortType.VIDEO, T("A base video to work on", "要处理的底片视频")),
            Port("clips", PortType.JSON, T("Clip URLs for the concat steps", "拼接步骤使用的片段 URL")),
        ),
        outputs=(
            Port(
                "video",
                PortType.VIDEO,
                T("The stored video's URL (none for audio only)", "已保存视频的 URL"),
                title=T("Video", "视频"),
            ),
            Port(
                "audio",
                PortType.AUDIO,
                T("The stored audio's URL when the result has no picture", "纯音频结果的 URL"),
                title=T("Audio", "音频"),
            ),
            Port(
                "duration",
                PortType.NUMBER,
                T("The result's length in seconds", "结果的时长（秒）"),
                title=T("Duration", "时长"),
            ),
        ),
        cacheable=True,
        summary=("steps",),
    )

    async def run(self, ctx, config: ComposeConfig) -> dict[str, Any]:
        media = getattr(ctx.services, "media", None)
        if media is None:
            raise NodeError("Media composition is not available in this runtime.")
        steps = parse_steps(config.steps, _url_list(config.clips, "clips"), base=bool(config.video.strip()))
        with media.workspace() as folder:
            resolved: dict[str, Path] = {}

            async def resolve(ref: str) -> Path:
                own = _in_folder(ref, folder)
                if own is not None:  # an intermediate file the composer made (an animatic's shots)
                    return own
                if ref not in resolved:
                    if len(resolved) >= MAX_REFERENCES:
                        raise InputError(f"A composition reads at most {MAX_REFERENCES} media files.")
                    resolved[ref], _ = await media.to_file(ref, folder, owner_id=ctx.owner_id)
                return resolved[ref]

            base = await resolve(config.video.strip()) if config.video.strip() else None
            result = await Composer(folder, resolve).compose(steps, base)
            info = await ffmpeg.probe(result)
            url = await media.save_file(result, owner_id=ctx.owner_id, name="composition" + result.suffix)
        duration = round(info.duration, 3) if info.duration is not None else None
        if info.video:
            return {"video": url, "audio": None, "duration": duration}
        return {"video": None, "audio": url, "duration": duration}


def parse_steps(raw: list[Any], clips: list[str], *, base: bool) -> list[Step]:
    """The steps as validated models; ``clips`` fill concat steps without clips (or start the list)."""
    steps = []
    for index, step in enumerate(raw, start=1):
        if not isinstance(step, dict):
            raise NodeError(f"Compose step {index} must be an object with an 'op' (concat, animatic, music...).")
        step = dict(step)
        if step.get("op") in MIXES and "audio" in step and (step["audio"] is None or str(step["audio"]).strip() == ""):
            continue  # a sound from a branch not taken (a skipped node's file): nothing to mix
        if step.get("op") == "concat":
            given = step.get("clips")
            step["clips"] = _url_list(given, "a concat step's clips") if given not in (None, "", []) else clips
        steps.append(step)
    if clips and not base and not any(s.get("op") in ("concat", "animatic") for s in steps[:1]):
        steps.insert(0, {"op": "concat", "clips": clips})
    if not steps and not base:
        raise NodeError("The compose node has no steps: add a concat or animatic step, or give it clips.")
    try:
        return STEPS.validate_python(steps)
    except ValidationError as exc:
        first = exc.errors()[0]
        at, *rest = first["loc"] or (0,)
        where = f"Compose step {int(at) + 1}" + (f" ({rest[0]})" if rest else "")
        field = ".".join(str(p) for p in rest[1:])
        raise NodeError(f"{where}{' ' + field if field else ''} is invalid: {first['msg']}.") from None


def _in_folder(ref: str, folder: Path) -> Path | None:
    """``ref`` as a file directly inside the node's workspace, else None (it is a URL)."""
    if not ref.startswith("/") or "?" in ref:
        return None
    path = Path(ref)
    if path.parent != folder or not path.is_file() or path.is_symlink():
        return None
    return path


def _url_list(value: Any, what: str) -> list[str]:
    """A list of URLs from a list or from JSON text of one (an LLM's or a loop's output)."""
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            value = [value.strip()]  # one URL
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise NodeError(f"The compose node's {what} must be a list of media URLs.")
    return [v.strip() for v in value]
