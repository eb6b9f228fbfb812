"""Novel to video (小说 → 剧本 → 资产 → 分镜 → 动态分镜 → 视频 → 剪辑), a product template.

:func:`novel_to_video` returns the ``flowai/1`` document, built with the graph builder, in the six
stages of the video-workflow design: script (剧本), assets (资产), storyboard (分镜), animatic
(动态分镜), video (视频) and edit (剪辑).

- **script**: the novel is the ``novel`` text, or an uploaded ``document`` (txt, md, pdf, docx,
  epub, read by the document node when one is given). An LLM writes the screenplay; a second LLM
  call turns it into a JSON plan (characters, scene, style and at most nine shots, each with a
  ``prompt``, ``shot_type``, ``dialogue`` and a whole number of seconds ``duration``); a json node
  picks the shot list.
- **assets**: a character sheet and a scene image.
- **storyboard**: one 3x3 storyboard sheet drawn with the two assets as references, cut into
  its nine cells by ``grid_crop``.
- **animatic**: a loop over the shots — each shot's picture is its storyboard cell (or, past the
  ninth shot or for a shot marked ``"redraw": true``, an image drawn from its prompt) and its voice
  the dialogue spoken (TTS, in the shot's ``voice`` when it has one), or the shot's ``audio`` when
  one was uploaded (then no TTS call); the compose node holds each picture for the shot's duration
  under its voice.
- **video**: once the animatic is made, a loop over the shots turns each picture into a clip of
  the shot's duration (image-to-video). A shot whose video call fails stays a still in the final
  cut (a fallback edge).
- **edit**: background music in the asked style (made while the video stage runs); the final cut
  is each shot's clip with its voice for its duration, joined, with the music under it at a
  volume, faded in and out. A sound-effects track (the music model asked for the setting's
  ambience) is mixed in when the ``effects_on`` gate's value is set (the studio's
  ``add_audio_effects``); by default it is empty and no effects call is made.

The output is ``{"video", "animatic", "duration", "script", "shots"}``: the final mp4's URL, the
animatic's, the length in seconds, the screenplay and the shot list.

Node ids a studio view may read: ``script`` (screenplay ``text``), ``plan`` (the plan's ``json``),
``shots`` (the shot list), ``character`` and ``scene`` (asset ``file``), ``board`` (the sheet's
``file``), ``crop`` (cell ``images``), ``voices`` (per shot ``{image, audio, duration}`` in
``results``), ``animatic`` (``video``), ``clips`` (per shot ``{image: clip, audio, duration}``),
``music`` (``file``), ``effects`` (``file``, when asked) and ``final`` (``video``, ``duration``).

Models (Replicate, where the design document names one Replicate serves; see the provider notes):

- LLM (``gemini`` in the design): the LLM node on the ``auto`` provider, so Gemini when its key is
  set and any other configured text provider otherwise.
- Assets (``seedream``): ``bytedance/seedream-4``.
- Storyboard sheet (``banana-pro``): ``google/nano-banana-pro``, which takes the assets as
  ``image_input`` references.
- Voices (``elevenlabs``): the TTS node on the ``auto`` provider (ElevenLabs when its key is set).
- Video (``sora2``): **substituted** by ``bytedance/seedance-1-lite``. Replicate's ``openai/sora-2``
  is not confirmed (only ``sora-2-pro`` was seen, at $0.30 per second) and it makes clips of 4, 8
  or 12 seconds only; seedance-1-lite is an official image-to-video model whose ``duration``
  (2–12 whole seconds) follows each shot, at 720p.
- Music (the design's ``music_style``, no model named): ``meta/musicgen`` (a community model: its
  latest version is looked up by name).
"""

from __future__ import annotations

from .builder import Graph, field

LLM_SYSTEM = (
    "You are a screenwriter. Adapt the novel into a short screenplay for a video of a few shots: "
    "scene headings, action and dialogue. Write in the novel's language."
)
PLAN_SYSTEM = (
    "You are a storyboard artist. From the screenplay, answer one JSON object, nothing else: "
    '{"title": text, "style": text, "characters": text (what the main characters look like), '
    '"scene": text (the main setting), "shots": [{"prompt": text (what the camera sees, for an '
    'image model), "shot_type": "wide" | "medium" | "close-up", "dialogue": text (what is said or '
    'narrated), "duration": whole seconds from 2 to 12}]}. At most 9 shots, in story order.'
)
VIDEO_MODEL = "bytedance/seedance-1-lite"
ASSET_MODEL = "bytedance/seedream-4"
BOARD_MODEL = "google/nano-banana-pro"
MUSIC_MODEL = "meta/musicgen"

STAGES = (
    ("script", "Script · 剧本"),
    ("assets", "Assets · 资产"),
    ("storyboard", "Storyboard · 分镜"),
    ("animatic", "Animatic · 动态分镜"),
    ("video", "Video · 视频"),
    ("edit", "Edit · 剪辑"),
)


def novel_to_video(
    name: str = "Novel to video · 小说转视频",
    *,
    text_provider: str = "auto",
    voice_provider: str = "auto",
    voice: str = "",
) -> dict:
    """The novel-to-video workflow as a ``flowai/1`` document; ``text_provider`` runs the two LLM
    steps (the design's ``options.ai_provider``, e.g. ``gemini``), ``voice_provider`` and ``voice``
    the TTS (e.g. ``elevenlabs`` and a voice id); ``auto`` takes the configured providers in order."""
    g = Graph(
        name,
        "小说 → 剧本 → 资产 → 分镜 → 动态分镜 → 视频 → 剪辑. A novel (text or an uploaded txt/pdf/docx/epub) "
        "becomes a screenplay, character and scene images, a 3x3 storyboard cut into shots, an animatic "
        "with a voice per shot, a video clip per shot, and one final mp4 with background music faded in "
        "and out. Models: an LLM, bytedance/seedream-4, google/nano-banana-pro, a TTS voice, "
        "bytedance/seedance-1-lite (for sora-2) and meta/musicgen. Needs a text provider, a TTS "
        "provider and REPLICATE_API_KEY.",
    )
    _script(g, text_provider)
    _assets(g)
    _storyboard(g)
    _animatic(g, voice_provider, voice)
    _video(g)
    _edit(g)
    members = {
        "script": ("in", "source", "doc", "script", "plan", "shots"),
        "assets": ("character", "scene"),
        "storyboard": ("board", "crop"),
        "animatic": ("voices", "animatic"),
        "video": ("clips",),
        "edit": ("music", "effects_on", "effects", "final", "out"),
    }
    for stage, label in STAGES:
        g.stage(stage, *members[stage], label=label)
    return g.doc


def _script(g: Graph, provider: str) -> None:
    g.input(
        field("novel", "string", max_length=200_000, description="The novel's text (or upload a document)"),
        field("document", "document", description="The novel as a txt, md, pdf, docx or epub file (optional)"),
        field("style", "string", default="cinematic, soft light", description="The look of the pictures"),
        field("music_style", "string", default="cinematic", description="The background music's style"),
        label="小说 Novel",
        at=(0, 200),
    )
    g.node(
        "source",
        "condition",
        "Document given? · 有文档？",
        at=(320, 360),
        value="{{in.document}}",
        cases=[{"operator": "is_not_empty", "value": ""}],
    )
    g.node("doc", "document", "Read the document · 读取文档", at=(640, 360), file="{{in.document}}")
    g.node(
        "script",
        "llm",
        "Screenplay · 剧本",
        at=(960, 200),
        provider=provider,
        system=LLM_SYSTEM,
        prompt="Novel:\n{{in.novel}}\n{{doc.text}}",
        temperature=0.7,
    )
    g.node(
        "plan",
        "llm",
        "Shot list · 分镜脚本",
        at=(1280, 200),
        provider=provider,
        system=PLAN_SYSTEM,
        prompt="Visual style: {{in.style}}\n\nScreenplay:\n{{script.text}}",
        temperature=0.4,
        json_output=True,
    )
    g.node("shots", "json", "Shots · 镜头列表", at=(1600, 200), value="{{plan.json}}", path="shots", default=[])
    g.edge("in", "source").edge("source", "doc", "case_1").edge("in", "script").edge("doc", "script")
    g.edge("script", "plan").edge("plan", "shots")


def _assets(g: Graph) -> None:
    for i, (nid, label, what) in enumerate(
        (
            (
                "character",
                "Characters · 角色",
                "Character sheet, full body, front and side views: {{plan.json.characters}}",
            ),
            ("scene", "Scene · 场景", "Establishing shot of the setting, no people: {{plan.json.scene}}"),
        )
    ):
        g.node(
            nid,
            "replicate",
            label,
            at=(1960, 60 + 280 * i),
            model=ASSET_MODEL,
            params={"prompt": f"{what}. Style: {{{{in.style}}}}", "size": "1K", "aspect_ratio": "16:9"},
        )
        g.edge("plan", nid)


def _storyboard(g: Graph) -> None:
    g.node(
        "board",
        "replicate",
        "Storyboard sheet · 分镜图",
        at=(2320, 200),
        model=BOARD_MODEL,
        params={
            "prompt": "A 3x3 storyboard sheet: nine equal panels in a grid, no borders, no text, one panel per "
            "shot in reading order, the same characters and setting as the reference images. Style: "
            "{{in.style}}. Shots: {{plan.json.shots}}",
            "image_input": ["{{character.file}}", "{{scene.file}}"],
            "aspect_ratio": "16:9",
            "output_format": "png",
        },
    )
    g.node("crop", "grid_crop", "Cut into shots · 切分镜", at=(2640, 200), image="{{board.file}}", layout="3x3")
    g.edge("character", "board").edge("scene", "board").edge("board", "crop")


def _animatic(g: Graph, provider: str, voice: str) -> None:
    g.node(
        "voices",
        "loop",
        "Per shot: picture and voice · 逐镜头：画面与配音",
        at=(0, 860),
        items="{{shots.value}}",
        concurrency=4,
        result="{{frame.value}}",
    )
    body = "voices"
    g.node(
        "keep",
        "condition",
        "Keep the cell? · 沿用分镜格？",
        at=(40, 1010),
        parent=body,
        value="{{voices.item.redraw}}",
        cases=[{"operator": "is_empty", "value": ""}],
    )
    g.node(
        "cell",
        "json",
        "Storyboard cell · 分镜格",
        at=(340, 1010),
        parent=body,
        value="{{crop.images}}",
        path="[{{voices.index}}]",
    )
    g.node(
        "has_cell",
        "condition",
        "Has a cell? · 有分镜格？",
        at=(640, 1010),
        parent=body,
        value="{{cell.text}}",
        cases=[{"operator": "is_not_empty", "value": ""}],
    )
    g.node(
        "drawn",
        "replicate",
        "Draw the shot · 生成镜头画面",
        at=(940, 1240),
        parent=body,
        model=ASSET_MODEL,
        params={"prompt": "{{voices.item.prompt}}. Style: {{in.style}}", "size": "1K", "aspect_ratio": "16:9"},
    )
    g.node(
        "spoken",
        "condition",
        "Narration given? · 已有配音？",
        at=(40, 1240),
        parent=body,
        value="{{voices.item.audio}}",
        cases=[{"operator": "is_not_empty", "value": ""}],
    )
    g.node(
        "voice",
        "tts",
        "Voice · 配音",
        at=(340, 1240),
        parent=body,
        provider=provider,
        voice=voice or "{{voices.item.voice}}",
        text="{{voices.item.dialogue}}",
        format="wav",
    )
    g.node(
        "frame",
        "json",
        "Shot · 镜头",
        at=(1240, 1010),
        parent=body,
        value={
            "image": "{{has_cell.case_1}}{{drawn.file}}",
            "audio": "{{spoken.case_1}}{{voice.audio}}",
            "duration": "{{voices.item.duration}}",
        },
    )
    g.edge("keep", "cell", "case_1").edge("keep", "drawn", "else")  # a shot marked "redraw": drawn from its prompt
    g.edge("cell", "has_cell").edge("has_cell", "drawn", "else").edge("has_cell", "frame").edge("drawn", "frame")
    g.edge("spoken", "frame", "case_1").edge("spoken", "voice", "else")  # an uploaded narration: no TTS
    g.edge("voice", "frame")
    g.node(
        "animatic",
        "compose",
        "Animatic · 动态分镜",
        at=(1680, 1060),
        steps=[{"op": "animatic", "shots": "{{voices.results}}"}],
    )
    g.edge("crop", "voices").edge("shots", "voices").edge("voices", "animatic")


def _video(g: Graph) -> None:
    g.node(
        "clips",
        "loop",
        "Per shot: video · 逐镜头：视频",
        at=(2060, 860),
        items="{{shots.value}}",
        concurrency=4,
    )
    body = "clips"
    g.node(
        "still",
        "json",
        "Shot picture · 镜头画面",
        at=(2100, 1010),
        parent=body,
        value="{{voices.results}}",
        path="[{{clips.index}}]",
    )
    g.node(
        "move",
        "replicate",
        "Image to video · 图生视频",
        at=(2400, 1010),
        parent=body,
        model=VIDEO_MODEL,
        params={
            "prompt": "{{clips.item.prompt}}",
            "image": "{{still.value.image}}",
            "duration": "{{clips.item.duration}}",
            "resolution": "720p",
        },
    )
    g.node(
        "cut",
        "json",
        "Clip · 片段",
        at=(2700, 1010),
        parent=body,
        value={"image": "{{move.file}}", "audio": "{{still.value.audio}}", "duration": "{{clips.item.duration}}"},
    )
    g.node("hold", "json", "Keep the still · 保留静帧", at=(2700, 1240), parent=body, value="{{still.value}}")
    g.edge("still", "move").edge("move", "cut").edge("move", "hold", "error")
    g.edge("voices", "clips").edge("animatic", "clips").edge("shots", "clips")  # after the animatic, as designed


def _edit(g: Graph) -> None:
    g.node(
        "music",
        "replicate",
        "Background music · 配乐",
        at=(3140, 900),
        model=MUSIC_MODEL,
        params={
            "prompt": "{{in.music_style}} background music, instrumental",
            "duration": 8,
            "output_format": "mp3",
        },
    )
    g.node(
        "final",
        "compose",
        "Final cut · 成片",
        at=(3460, 1060),
        steps=[
            {"op": "animatic", "shots": "{{clips.results}}"},
            {"op": "music", "audio": "{{music.file}}", "volume": 0.3, "fade_in": 1.0, "fade_out": 1.5},
            {"op": "sfx", "audio": "{{effects.file}}", "volume": 0.6},  # left out while there are none
        ],
    )
    g.node(
        "effects_on",
        "condition",
        "Sound effects? · 加音效？",
        at=(3140, 1240),
        value="",  # the studio's edit step sets it (add_audio_effects); empty: no effects track
        cases=[{"operator": "is_not_empty", "value": ""}],
    )
    g.node(
        "effects",
        "replicate",
        "Sound effects · 音效",
        at=(3140, 1480),
        model=MUSIC_MODEL,
        params={
            "prompt": "Sound effects and ambience only, no music, no melody: {{plan.json.scene}}",
            "duration": 8,
            "output_format": "mp3",
        },
    )
    g.edge("animatic", "effects_on").edge("effects_on", "effects", "case_1").edge("effects", "final")
    g.output(
        {
            "video": "{{final.video}}",
            "animatic": "{{animatic.video}}",
            "duration": "{{final.duration}}",
            "script": "{{script.text}}",
            "shots": "{{shots.value}}",
        },
        label="成片 Final video",
        at=(3780, 1060),
    )
    g.edge("animatic", "music").edge("clips", "final").edge("music", "final").edge("final", "out").edge(
        "animatic", "out"
    )
