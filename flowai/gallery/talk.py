"""Gallery templates built on words: PodcastAI (one audio file) and ResumeBooster (text and a layout)."""

from __future__ import annotations

from flowai.workflows.builder import Graph, field

from .common import Template, replicate, staged
from .models import CHATTERBOX_PRO, CLAUDE, DOLPHIN, FAST_WHISPER, FLUX_DEV, MUSICGEN


def podcast() -> dict:
    g = Graph("PodcastAI", "A recording -> transcript -> a two-host dialogue -> voices -> music -> one audio file.")
    g.input(
        field("recording", "audio", required=True, description="The raw recording"),
        field("voice_a", default="Luna", description="chatterbox-pro voice of host A"),
        field("voice_b", default="Ember", description="chatterbox-pro voice of host B"),
        field("music", default="warm lo-fi podcast background music"),
        label="开始",
        at=(0, 0),
    )
    replicate(
        g, "transcribe", FAST_WHISPER, "语音转录", (260, 0), {"task": "transcribe", "timestamp": "chunk"},
        ports={"audio": "audio"},
    )  # fmt: skip
    replicate(
        g, "script", CLAUDE, "对话脚本", (520, 0),
        {"prompt": "Turn this transcript into a lively two-host podcast dialogue of 4 to 8 lines. Answer with "
                   'JSON only: a list of objects {"voice": ..., "text": ...}, with voice "{{in.voice_a}}" for '
                   'host A and "{{in.voice_b}}" for host B.\n\nTranscript:\n{{transcribe.output.text}}',
         "max_tokens": 2048},
    )  # fmt: skip
    g.node("lines", "json", "台词", at=(780, 0), value="{{script.text}}", path="")
    g.node("each", "loop", "每句台词", at=(1040, 0), items="{{lines.value}}", concurrency=2, result="{{say.file}}")
    replicate(
        g, "say", CHATTERBOX_PRO, "配音", (1060, 120), {"prompt": "{{each.item.text}}", "voice": "{{each.item.voice}}"},
        parent="each",
    )  # fmt: skip
    replicate(
        g, "music", MUSICGEN, "背景音乐", (1040, 260), {"prompt": "{{in.music}}", "duration": 8, "output_format": "wav"}
    )
    g.node(
        "episode", "compose", "成品音频", at=(1320, 0),
        steps=[{"op": "music", "audio": "{{music.file}}", "volume": 0.15, "fade_in": 0.5, "fade_out": 1}],
    )  # fmt: skip
    g.output("{{episode.audio}}", label="播客", at=(1580, 0))
    g.edge("in", "transcribe", "recording", "params.audio").chain("transcribe", "script", "lines", "each")
    g.edge("each", "episode", "results", "clips").chain("in", "music", "episode", "out")
    return staged(
        g.doc,
        ("script", "脚本", ["transcribe", "script", "lines"]),
        ("voices", "配音与音乐", ["each", "say", "music"]),
        ("mix", "混音", ["episode"]),
    )


def resume_booster() -> dict:
    g = Graph("ResumeBooster", "A résumé document -> OCR -> rewritten by an LLM -> a layout image.")
    g.input(
        field("resume", "document", required=True, description="The résumé (PDF or image)"),
        field("role", required=True, max_length=200, description="The job it is for"),
        label="开始",
        at=(0, 0),
    )
    replicate(g, "ocr", DOLPHIN, "OCR", (260, 0), {}, ports={"file": "file"})
    replicate(
        g, "rewrite", CLAUDE, "内容优化", (520, 0),
        {"prompt": "Rewrite this résumé for a {{in.role}} role: a strong summary, achievements with numbers, "
                   "concise bullet points. Keep every fact; invent nothing. Answer in Markdown.\n\n{{ocr.text}}",
         "max_tokens": 4096},
    )  # fmt: skip
    replicate(
        g, "layout", FLUX_DEV, "排版设计", (780, 0),
        {"prompt": "A clean, modern one-page résumé layout design for a {{in.role}}: two columns, generous "
                   "white space, elegant typography, subtle accent colour.",
         "aspect_ratio": "2:3", "output_format": "png"},
    )  # fmt: skip
    g.output("{{rewrite.text}}", label="优化后的简历", at=(1060, -80), name="resume")
    g.output("{{layout.file}}", id="out_layout", label="排版图", at=(1060, 80), name="layout")
    g.edge("in", "ocr", "resume", "params.file").chain("ocr", "rewrite", "layout", "out_layout")
    g.edge("rewrite", "out")
    return g.doc


TEMPLATES = (
    Template(
        "resume_booster",
        "ResumeBooster",
        ("Résumé booster", "AI 简历美化助手"),
        ("A rewritten résumé (Markdown) and a layout design image", "优化后的简历（Markdown）和排版设计图"),
        (
            "dolphin reads the résumé, claude-4-sonnet rewrites it for the role and flux-dev designs a layout, "
            "the three models the book names.",
            "dolphin 识别简历文字，claude-4-sonnet 针对职位优化内容，flux-dev 设计排版，即创意书所列的三个模型。",
        ),
        {DOLPHIN: 1, CLAUDE: 1, FLUX_DEV: 1},
        resume_booster,
    ),
    Template(
        "podcast",
        "PodcastAI",
        ("Podcast assistant", "AI 播客助手"),
        ("One podcast audio file with two voices and music", "双人对话加背景音乐的一个播客音频文件"),
        (
            "incredibly-fast-whisper transcribes the recording, claude-4-sonnet writes a two-host dialogue "
            "(not in the book's list: chatterbox-pro speaks text, something must write it), chatterbox-pro "
            "speaks each line in its host's voice and the lines are joined over background music. "
            "minimax/music-01 writes songs from lyrics; a background bed needs a prompt-to-music model, so "
            "meta/musicgen replaces it. The default voice names are chatterbox-pro's (Luna is its default); set "
            "the two you want.",
            "incredibly-fast-whisper 转录录音，claude-4-sonnet 写出双人对话（创意书未列出：chatterbox-pro 只朗读文字，"
            "需要有模型来写），chatterbox-pro 用各主持人的声音朗读每句台词，拼接后配上背景音乐。minimax/music-01 "
            "依据歌词生成歌曲；背景音乐需要提示词生成音乐的模型，因此改用 meta/musicgen。默认声音名取自 chatterbox-pro"
            "（Luna 为其默认值），可改成想要的两个声音。",
        ),
        {FAST_WHISPER: 1, CLAUDE: 1, CHATTERBOX_PRO: 6, MUSICGEN: 1},
        podcast,
        items=6,
    ),
)
