"""The template gallery: workflows of real products from the idea book, each a ``flowai/1`` document
made by the graph builder, with what it makes, the models it runs, the keys it needs and an estimated
cost per run. ``flowai template list|use`` and the editor's gallery dialog read ``TEMPLATES``.

May import ``flowai.workflows`` (the graph builder), ``flowai.providers`` (prices of the Replicate
rules table, the catalog's key variables) and the leaf modules; never ``flowai.runs``, ``flowai.api``,
storage or ``ui``.

    from flowai.gallery import TEMPLATES, find
    doc = find("PhotoRestore").document("My restorer")
"""

from __future__ import annotations

from collections.abc import Mapping

from flowai.errors import NotFoundError
from flowai.providers.catalog import CATALOG
from flowai.workflows.novel_video import ASSET_MODEL, BOARD_MODEL, MUSIC_MODEL, VIDEO_MODEL, novel_to_video

from . import images, talk, video
from .common import Template

__all__ = ["TEMPLATES", "Template", "find", "key_status"]

NOVEL_VIDEO = Template(
    "novel_video",
    "Novel to video",
    ("Novel to video", "小说转视频"),
    (
        "One finished mp4: script, assets, storyboard, animatic, clips and the final cut with music",
        "一个成片 mp4：剧本、资产、分镜、动态分镜、视频片段和配乐剪辑",
    ),
    (
        "The video system of the source documents in six stages (script, assets, storyboard, animatic, video, "
        "edit): an LLM writes the screenplay and a shot list, seedream-4 draws the characters and the scene, "
        "nano-banana-pro a 3x3 storyboard sheet that is cut into shots, a TTS voice reads each line, "
        "seedance-1-lite animates each shot for its duration (substituted for sora-2, which Replicate serves only "
        "as -pro and only in 4, 8 or 12 s clips), musicgen writes the music, and ffmpeg cuts it all together "
        "with fades. Needs a text and a speech provider besides Replicate (Gemini and ElevenLabs by default).",
        "源文档中的视频系统，六个阶段（剧本、资产、分镜、动态分镜、视频、剪辑）：LLM 写剧本和分镜表，"
        "seedream-4 绘制角色与场景，nano-banana-pro 生成九宫格分镜并切成单镜，TTS 朗读台词，"
        "seedance-1-lite 按时长生成每个镜头的视频（替代 sora-2：Replicate 只提供 -pro 且只有 4、8、12 秒），"
        "musicgen 生成配乐，最后由 ffmpeg 剪辑并加淡入淡出。"
        "除 Replicate 外还需要文本和语音服务商（默认 Gemini 与 ElevenLabs）。",
    ),
    {ASSET_MODEL: 2, BOARD_MODEL: 1, VIDEO_MODEL: 6, MUSIC_MODEL: 1},
    lambda: novel_to_video(),
    providers=("replicate", "gemini", "elevenlabs"),
    items=6,
)

# The registry, in gallery order: the video system first, then the idea book's products.
TEMPLATES: tuple[Template, ...] = (NOVEL_VIDEO, *video.TEMPLATES, *images.TEMPLATES, *talk.TEMPLATES)


def find(name: str) -> Template:
    """The template called ``name`` (its id or its name, any case)."""
    wanted = name.strip().lower()
    for template in TEMPLATES:
        if wanted in (template.id, template.name.lower()):
            return template
    names = ", ".join(t.name for t in TEMPLATES)
    raise NotFoundError(f"No template {name!r}. Templates: {names}.")


def key_status(template: Template, configured: Mapping[str, bool]) -> list[dict]:
    """For each provider the template needs: its name, the variables that hold its key, whether set."""
    return [
        {"provider": p, "env": list(CATALOG[p].key_env), "configured": bool(configured.get(p))}
        for p in template.providers
    ]
